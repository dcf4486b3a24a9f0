"""The dashboard's only door to the warehouse: parameterised queries on the published marts.

- The published file ``<home>/warehouse.duckdb`` is opened **read-only**, through
  ``st.cache_resource`` keyed by the file's path, inode and mtime. ``kpiwatch build``
  publishes by renaming a new file over it, so the next rerun sees a new key, opens the
  new publication and drops the old connection; a query already running on the old one
  finishes on the old file (it stays readable until its last reader closes it). No
  restart, and no failure while a build runs.
- Results go through ``st.cache_data(ttl=...)`` keyed by the same publication, so a new
  publication is never hidden behind a stale cache, and a warm page reads no SQL at all.
- Every value the pages show comes from a mart: KPI values, thresholds, margins and
  compliance are read, never recomputed. SQL here only filters, joins, counts published
  flags and cases, and ranks.
- Every user choice reaches SQL as a parameter (``?``); the only identifiers built into
  SQL text are column names read from ``information_schema`` for tables other engineers
  are still shaping (``audit.alerts``, ``audit.dq_results``).
- **Who may see what is decided here**, from the viewer the door (``dashboards/door.py``)
  put in the session: every query that reads province rows keeps only the viewer's allowed
  provinces (a parameter, ``list_contains(?, province_code)``), so neither a hand-edited
  URL nor a CSV download reaches another province; the operational records (quarantined
  rows, the alert log, the ingest file list) are read only for the operations role. With
  no viewer in the session nothing is read at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import streamlit as st

from core.contract import NATIONAL_CODE, STANDARD_ORDER
from core.home import Home
from core.readers import reader
from core.sql import quote
from dashboards.access import Viewer

NATIONAL = NATIONAL_CODE
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
TTL_SECONDS = 600
"""How long a result stays cached for one publication (a new publication clears it at once)."""

SOURCE_ORDER = [
    "hall_tickets", "hotline_calls", "install_orders", "network_calls",
    "mobile_repairs", "broadband_faults",
]  # fmt: skip
"""The sources in the order of the standard's indicators."""

RELATIVE_MARGIN = """
    case
        when threshold = 0 then margin
        else margin / abs(threshold)
    end
"""
"""The margin as a share of the threshold (a count with threshold 0: one unit is 100 %)."""


@dataclass(frozen=True)
class Publication:
    """One published warehouse file: which file, and which version of it."""

    path: str
    inode: int
    mtime_ns: int

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, LOCAL_ZONE)


def home() -> Home:
    return Home.resolve()


def publication() -> Publication | None:
    """The published warehouse as it is now, or None when nothing was published yet."""
    path = home().warehouse
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return Publication(str(path), stat.st_ino, stat.st_mtime_ns)


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, inode: int, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one publication; evicted when a newer one appears.

    It is every reader's connection (``core.readers.reader``): the file is attached to
    a fresh in-memory instance, so a new publication is really opened, and nothing can be
    written. The path, inode and mtime are the cache key.
    """
    return reader(home())


@st.cache_data(ttl=TTL_SECONDS, max_entries=2000, show_spinner=False)
def _frame(path: str, inode: int, mtime_ns: int, sql: str, params: tuple) -> pd.DataFrame:
    cursor = _connection(path, inode, mtime_ns).cursor()  # one per query: thread-safe
    try:
        cursor.execute("use warehouse; set TimeZone = 'Asia/Shanghai'")
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


class NotPublished(RuntimeError):
    """No published warehouse yet: the app says so instead of failing."""


VIEWER = "kpiwatch_viewer"
"""Where the door keeps the signed-in viewer in ``st.session_state``."""


class NotAllowed(PermissionError):
    """Nobody is signed in, or the viewer's role may not read this."""


def viewer() -> Viewer:
    """The signed-in viewer of this session (raises NotAllowed when there is none)."""
    found = st.session_state.get(VIEWER)
    if not isinstance(found, Viewer):
        raise NotAllowed("nobody is signed in")
    return found


def scope() -> list[str]:
    """The province codes (the nation included) whose rows this session may read."""
    return list(viewer().allowed_provinces)


def sees_operations() -> bool:
    return viewer().sees_operations


def _operations_only(what: str) -> None:
    if not sees_operations():
        raise NotAllowed(f"{what} are for the operations role")


def query(sql: str, *params: object) -> pd.DataFrame:
    """Run a parameterised query on the current publication (cached per publication)."""
    pub = publication()
    if pub is None:
        raise NotPublished(str(home().warehouse))
    return _frame(pub.path, pub.inode, pub.mtime_ns, sql, tuple(params))


def _day(value: date) -> date:
    return value if type(value) is date else pd.Timestamp(value).date()


# --- what exists --------------------------------------------------------------------


def tables() -> set[str]:
    """``schema.table`` of every table and view in the publication."""
    frame = query("select table_schema || '.' || table_name as name from information_schema.tables")
    return set(frame["name"])


def has_table(name: str) -> bool:
    return name in tables()


def _newest_first(name: str, limit: int) -> pd.DataFrame:
    """A table whose shape another engineer owns, newest rows first by its first time column."""
    schema, table = name.split(".")
    columns = query(
        """
        select column_name, data_type
        from information_schema.columns
        where table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        schema,
        table,
    )
    timed = columns[columns["data_type"].str.contains("TIMESTAMP|DATE", regex=True)]
    order = ""
    if len(timed):
        column = quote(str(timed["column_name"].iloc[0]))
        order = f"order by {column} desc nulls last"
    relation = f"{quote(schema)}.{quote(table)}"  # names from information_schema
    return query(f"select * from {relation} {order} limit ?", limit)


# --- dimensions ---------------------------------------------------------------------


def periods() -> list[date]:
    """Published months, newest first."""
    frame = query(
        "select distinct period_month from marts.kpi_compliance order by period_month desc"
    )
    return [_day(v) for v in frame["period_month"]]


def provinces() -> pd.DataFrame:
    """The 31 provinces and the nation (100000), in GB/T 2260 order."""
    return query(
        """
        select province_code, name_zh, name_en, short_name_zh, is_national
        from marts.dim_provinces
        where list_contains(?, province_code)
        order by is_national desc, province_code
        """,
        scope(),
    )


def kpis() -> pd.DataFrame:
    """Every measured indicator (kpi_id × segment), latest catalog version, in the standard's order.

    ``kpi_key`` is ``kpi_id`` for segment ``all``, else ``kpi_id:segment``: one key per
    published series, as used in the URL.
    """
    return query(
        """
        select
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            kpi_id, segment, name_zh, name_en, source_text_zh, source, population, formula_en,
            unit, comparator, threshold, case_limit, case_limit_unit, origin,
            effective_from, effective_to, catalog_version
        from marts.dim_kpi_catalog
        where not is_information_only
        qualify row_number() over (partition by kpi_id, segment order by effective_from desc) = 1
        order by coalesce(list_position(?, kpi_id), 99), kpi_id, segment desc
        """,
        STANDARD_ORDER,
    )


def catalog() -> pd.DataFrame:
    """Every version of every indicator, information-only ones included."""
    return query(
        """
        select
            kpi_id, segment, name_zh, name_en, source_text_zh, population, formula_en,
            unit, comparator, threshold, case_limit, case_limit_unit, origin,
            is_information_only, effective_from, effective_to, catalog_version
        from marts.dim_kpi_catalog
        order by
            is_information_only, coalesce(list_position(?, kpi_id), 99), kpi_id,
            segment desc, effective_from
        """,
        STANDARD_ORDER,
    )


def tiers() -> pd.DataFrame:
    return query(
        """
        select customer_tier, name_zh, name_en, tier_rank, is_vip, has_appointment_no_wait,
            benefits_zh
        from marts.dim_customer_tiers
        order by tier_rank
        """
    )


def channels() -> pd.DataFrame:
    return query("select channel_id, name_zh, name_en, kind, commitment_zh from marts.dim_channels")


def remote_services() -> pd.DataFrame:
    return query(
        """
        select service_group_zh, service_item_zh, service_item_en, channel_id, offering
        from marts.dim_remote_services
        """
    )


def cities(province: str) -> pd.DataFrame:
    return query(
        """
        select city_code, name_zh, name_en, is_capital
        from marts.dim_cities
        where province_code = ? and list_contains(?, province_code)
        order by city_code
        """,
        province,
        scope(),
    )


# --- compliance ---------------------------------------------------------------------


def standing(period: date, province: str = NATIONAL) -> pd.DataFrame:
    """Every KPI of one province (or the nation) in one month, with the previous month's
    published value beside it and the month's published daily values for a sparkline.

    ``change`` is the difference with the previous month only where the comparison is like
    for like: both months complete, i.e. the KPI's source has published daily values on
    every day of each month (within what the viewer may see). A month the data covers in
    part (the first month of a history, carried-over tickets only, the month in progress)
    measures another population: ``current_complete`` / ``previous_complete`` say which
    month is partial, and ``change`` is null. ``relative_shortfall`` is the breach's, as
    ``marts.kpi_breaches`` publishes it (null where the KPI is met).
    """
    return query(
        """
        with allowed as (select unnest(?::varchar[]) as province_code),
        current_month as (
            select * from marts.kpi_compliance
            where period_month = ? and province_code = ?
                and province_code in (select province_code from allowed)
        ),
        previous_month as (
            select kpi_id, segment, value as previous_value, is_compliant as previous_compliant
            from marts.kpi_compliance
            where period_month = ? - interval 1 month and province_code = ?
                and province_code in (select province_code from allowed)
        ),
        days as (
            select kpi_id, segment, list(value order by period_date) as daily_values
            from marts.kpi_compliance_daily
            where province_code = ? and province_code in (select province_code from allowed)
                and period_date >= ? and period_date < ? + interval 1 month
            group by kpi_id, segment
        ),
        kpi_sources as (select distinct kpi_id, source from marts.dim_kpi_catalog),
        covered as (
            select
                date_trunc('month', d.period_date)::date as period_month,
                k.source,
                count(distinct d.period_date) as days_covered
            from marts.kpi_compliance_daily as d
            inner join kpi_sources as k on d.kpi_id = k.kpi_id
            where d.province_code in (select province_code from allowed)
                and d.period_date >= ? - interval 1 month and d.period_date < ? + interval 1 month
            group by all
        ),
        judged as (
            select
                c.*,
                k.source,
                coalesce(cc.days_covered, 0) = day(last_day(c.period_month)) as current_complete,
                coalesce(pc.days_covered, 0)
                = day(last_day(c.period_month - interval 1 month)) as previous_complete
            from current_month as c
            left join kpi_sources as k on c.kpi_id = k.kpi_id
            left join covered as cc on cc.period_month = c.period_month and cc.source = k.source
            left join covered as pc
                on pc.period_month = c.period_month - interval 1 month and pc.source = k.source
        )
        select
            if(c.segment = 'all', c.kpi_id, c.kpi_id || ':' || c.segment) as kpi_key,
            c.kpi_id, c.segment, c.value, c.threshold, c.comparator, c.unit,
            c.sample_size, c.breach_count, c.is_compliant, c.margin, c.catalog_version,
            p.previous_value, p.previous_compliant,
            c.current_complete, c.previous_complete,
            if(c.current_complete and c.previous_complete, c.value - p.previous_value, null)
                as change,
            d.daily_values,
            b.relative_shortfall
        from judged as c
        left join previous_month as p on c.kpi_id = p.kpi_id and c.segment = p.segment
        left join days as d on c.kpi_id = d.kpi_id and c.segment = d.segment
        left join marts.kpi_breaches as b
            on b.period_month = c.period_month and b.province_code = c.province_code
                and b.kpi_id = c.kpi_id and b.segment = c.segment
        """,
        scope(), period, province, period, province, province, period, period, period, period,
    )  # fmt: skip


def headline(period: date) -> pd.DataFrame:
    """Counts of published compliance flags and cases for the overview's figures."""
    return query(
        """
        select
            count(*) filter (where province_code = ? and is_compliant) as national_met,
            count(*) filter (where province_code = ?) as national_judged,
            count(*) filter (where province_code <> ? and not is_compliant) as breaches,
            (
                select count(*) from (
                    select province_code from marts.kpi_compliance
                    where period_month = ? and province_code <> ?
                        and list_contains(?, province_code)
                    group by province_code
                    having bool_and(is_compliant)
                )
            ) as provinces_all_met,
            count(distinct province_code) filter (where province_code <> ?) as provinces,
            (
                select count(*) from marts.kpi_breach_cases
                where period_month = ? and list_contains(?, province_code)
            ) as cases
        from marts.kpi_compliance
        where period_month = ? and list_contains(?, province_code)
        """,
        NATIONAL, NATIONAL, NATIONAL, period, NATIONAL, scope(), NATIONAL, period, scope(),
        period, scope(),
    )  # fmt: skip


def province_scores(period: date) -> pd.DataFrame:
    """Per province: how many published KPIs were judged and how many were met."""
    return query(
        """
        select
            province_code,
            count(*) as kpis_judged,
            count(*) filter (where is_compliant) as kpis_met,
            count(*) filter (where is_compliant) / count(*) as share_met
        from marts.kpi_compliance
        where period_month = ? and province_code <> ? and list_contains(?, province_code)
        group by province_code
        """,
        period,
        NATIONAL,
        scope(),
    )


def kpi_across_provinces(period: date, kpi_id: str, segment: str) -> pd.DataFrame:
    """One KPI in every province (and the nation) for one month."""
    return query(
        f"""
        select
            province_code, value, threshold, comparator, unit, sample_size, breach_count,
            is_compliant, margin, {RELATIVE_MARGIN} as relative_margin, catalog_version
        from marts.kpi_compliance
        where period_month = ? and kpi_id = ? and segment = ? and list_contains(?, province_code)
        order by province_code
        """,
        period,
        kpi_id,
        segment,
        scope(),
    )


def matrix(period: date) -> pd.DataFrame:
    """Every province × KPI of one month, with the margin relative to the threshold."""
    return query(
        f"""
        select
            province_code,
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            value, threshold, comparator, unit, is_compliant, margin,
            {RELATIVE_MARGIN} as relative_margin
        from marts.kpi_compliance
        where period_month = ? and province_code <> ? and list_contains(?, province_code)
        """,
        period,
        NATIONAL,
        scope(),
    )


def daily_series(province: str, kpi_id: str, segment: str) -> pd.DataFrame:
    """A KPI's published daily values in one province, with the threshold of each day."""
    return query(
        """
        select period_date, value, threshold, is_compliant
        from marts.kpi_compliance_daily
        where province_code = ? and kpi_id = ? and segment = ? and list_contains(?, province_code)
        order by period_date
        """,
        province,
        kpi_id,
        segment,
        scope(),
    )


def monthly_series(province: str, kpi_id: str, segment: str) -> pd.DataFrame:
    return query(
        """
        select period_month, value, threshold, is_compliant, sample_size, breach_count
        from marts.kpi_compliance
        where province_code = ? and kpi_id = ? and segment = ? and list_contains(?, province_code)
        order by period_month
        """,
        province,
        kpi_id,
        segment,
        scope(),
    )


def city_values(period: date, province: str, kpi_id: str, segment: str) -> pd.DataFrame:
    return query(
        """
        select
            c.city_code, d.name_zh, d.name_en, c.value, c.threshold, c.comparator, c.unit,
            c.sample_size, c.breach_count, c.is_compliant, c.margin
        from marts.kpi_compliance_city as c
        left join marts.dim_cities as d on c.city_code = d.city_code
        where c.period_month = ? and c.province_code = ? and c.kpi_id = ? and c.segment = ?
            and list_contains(?, c.province_code)
        order by c.city_code
        """,
        period,
        province,
        kpi_id,
        segment,
        scope(),
    )


def segments(period: date, province: str) -> pd.DataFrame:
    """KPIs published per area (urban / rural) for one province and month."""
    return query(
        """
        select kpi_id, segment, value, threshold, comparator, unit, sample_size,
            breach_count, is_compliant, margin
        from marts.kpi_compliance
        where period_month = ? and province_code = ? and segment in ('urban', 'rural')
            and list_contains(?, province_code)
        order by kpi_id, segment
        """,
        period,
        province,
        scope(),
    )


def cases_by_tier(period: date, province: str) -> pd.DataFrame:
    """This month's published breach cases of hall and hotline KPIs, counted by customer tier."""
    return query(
        """
        select kpi_id, customer_tier, count(*) as cases
        from marts.kpi_breach_cases
        where period_month = ? and (? = ? or province_code = ?)
            and source in ('hall_tickets', 'hotline_calls') and list_contains(?, province_code)
        group by kpi_id, customer_tier
        """,
        period, province, NATIONAL, province, scope(),
    )  # fmt: skip


def breach_cases(
    period: date, province: str, kpi_id: str, segment: str, limit: int = 1000
) -> tuple[int, pd.DataFrame]:
    """Cases of one KPI that broke its per-case limit: how many, and the worst ``limit``."""
    where = """
        where b.period_month = ? and (? = ? or b.province_code = ?)
            and b.kpi_id = ? and b.segment = ? and list_contains(?, b.province_code)
    """
    params = (period, province, NATIONAL, province, kpi_id, segment, scope())
    total = query(f"select count(*) as n from marts.kpi_breach_cases as b {where}", *params)
    rows = query(
        f"""
        select
            b.case_id, b.source, b.province_code, b.city_code, c.name_zh as city_zh,
            c.name_en as city_en, b.measured_value, b.case_limit, b.case_limit_unit,
            b.is_open, b.catalog_version
        from marts.kpi_breach_cases as b
        left join marts.dim_cities as c on b.city_code = c.city_code
        {where}
        order by b.measured_value desc nulls first, b.case_id
        limit ?
        """,
        *params,
        limit,
    )
    return int(total["n"].iloc[0]), rows


# --- breaches -----------------------------------------------------------------------
# Severity, its order (severity_rank) and episodes are published by marts.kpi_breaches
# (judged once, by dbt, for the alert digests too): these queries filter, sort and count
# them, never judge them.


def current_breaches(period: date) -> pd.DataFrame:
    """Every province × KPI missed in ``period``: severity and its band, since when, months in
    a row, days missed; the worst first."""
    return query(
        """
        select
            province_code, is_national,
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            kpi_id, segment, value, threshold, comparator, unit, margin, shortfall,
            relative_shortfall, sample_size, cases_over_limit as breach_count, severity,
            severity_reason, band_major_shortfall, band_critical_shortfall,
            band_critical_when_cases_over_ceiling, band_origin,
            episode_start_month as since_month, months_in_breach as months, days_missed
        from marts.kpi_breaches
        where period_month = ? and list_contains(?, province_code)
        order by severity_rank desc, relative_shortfall desc, province_code, kpi_key
        """,
        period,
        scope(),
    )


def past_breaches(period: date) -> pd.DataFrame:
    """Breach episodes that ended before ``period`` (the KPI was met again, or not published),
    each with the worst severity it reached."""
    return query(
        """
        select
            province_code,
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            kpi_id, segment,
            episode_start_month as since_month,
            max(period_month) as until_month,
            max(months_in_breach) as months,
            max(relative_shortfall) as worst_relative_shortfall,
            arg_max(severity, severity_rank) as severity
        from marts.kpi_breaches
        where period_month <= ? and list_contains(?, province_code)
        group by province_code, kpi_id, segment, episode_start_month
        having max(period_month) < ?
        order by until_month desc, worst_relative_shortfall desc, province_code
        """,
        period,
        scope(),
        period,
    )


def breach_drivers(period: date, province: str) -> pd.DataFrame:
    """The top drivers of each of the province's breaches in ``period`` (marts.
    kpi_breach_drivers: where the shortfall comes from), in rank order; empty when the
    publication predates the mart."""
    if province not in scope() or not has_table("marts.kpi_breach_drivers"):
        columns = ["kpi_key", "kpi_id", "segment", "driver_rank", "dimension", "member"]
        return pd.DataFrame(
            columns=[*columns, "excess_share", "case_share", "driver_label_zh", "driver_label_en"]
        )
    return query(
        """
        select
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            kpi_id, segment, driver_rank, dimension, member, excess_share, case_share,
            driver_label_zh, driver_label_en
        from marts.kpi_breach_drivers
        where period_month = ? and province_code = ?
        order by kpi_key, driver_rank
        """,
        period,
        province,
    )


def breach_history() -> pd.DataFrame:
    """Missed province × KPI per month and severity, all published months (no nation)."""
    return query(
        """
        select period_month, severity, count(*) as breaches
        from marts.kpi_breaches
        where not is_national and list_contains(?, province_code)
        group by period_month, severity
        order by period_month
        """,
        scope(),
    )


def alerts(limit: int = 500) -> pd.DataFrame | None:
    """The alert outbox / log, newest first, when ``audit.alerts`` exists (operations only)."""
    _operations_only("the alert log's entries")
    return _newest_first("audit.alerts", limit) if has_table("audit.alerts") else None


# --- data health --------------------------------------------------------------------


def ingest_summary() -> pd.DataFrame:
    return query(
        """
        select
            source, status, count(*) as files,
            coalesce(sum(rows_read), 0) as rows_read,
            coalesce(sum(rows_loaded), 0) as rows_loaded,
            coalesce(sum(rows_quarantined), 0) as rows_quarantined,
            max(loaded_at) as last_loaded_at
        from audit.ingest_files
        group by source, status
        order by coalesce(list_position(?, source), 99), status
        """,
        SOURCE_ORDER,
    )


def failed_files() -> pd.DataFrame:
    """Files that could not be loaded (failed, or refused: leading outside the landing
    folder), with their errors (operations only: an error may
    quote a delivered row)."""
    _operations_only("the failed files")
    return query(
        """
        select file_id, source, path, status, error, loaded_at
        from audit.ingest_files
        where status in ('failed', 'refused')
        order by loaded_at desc, file_id desc
        """
    )


def recent_files(limit: int = 200) -> pd.DataFrame:
    """The ingest log file by file (operations only)."""
    _operations_only("the ingest file list")
    return query(
        """
        select file_id, source, path, status, format, encoding, bytes, rows_read,
            rows_loaded, rows_quarantined, loaded_at, seconds, error
        from audit.ingest_files
        order by loaded_at desc, file_id desc
        limit ?
        """,
        limit,
    )


def quarantine_by_reason() -> pd.DataFrame:
    return query(
        """
        select source, reason, count(*) as rows
        from (select source, unnest(reasons) as reason from audit.quarantine)
        group by source, reason
        order by source, rows desc
        """
    )


def quarantine_sample(limit: int = 200) -> pd.DataFrame:
    """Quarantined rows as delivered (operations only)."""
    _operations_only("quarantined records")
    return query(
        """
        select
            source, path, row_number,
            array_to_string(reasons, ', ') as reasons,
            array_to_string(messages, '; ') as messages,
            cast(record as varchar) as record
        from audit.quarantine
        order by file_id desc, row_number
        limit ?
        """,
        limit,
    )


def freshness() -> pd.DataFrame:
    """Per source × province: the latest event loaded, and hours behind that source's latest."""
    return query(
        """
        with latest as (
            select source, province_code, latest_event_at as latest_at
            from marts.source_freshness
            where list_contains(?, province_code)
        ),
        loads as (
            select source, max(loaded_at) as last_loaded_at
            from audit.ingest_files
            where status = 'loaded'
            group by source
        )
        select
            latest.source, latest.province_code, latest.latest_at,
            max(latest.latest_at) over (partition by latest.source) as source_latest_at,
            date_diff(
                'minute', latest.latest_at, max(latest.latest_at) over (partition by latest.source)
            ) / 60.0 as hours_behind,
            loads.last_loaded_at
        from latest
        left join loads on latest.source = loads.source
        order by coalesce(list_position(?, latest.source), 99), latest.province_code
        """,
        scope(),
        SOURCE_ORDER,
    )


def dq_results(limit: int = 500) -> pd.DataFrame | None:
    return _newest_first("audit.dq_results", limit) if has_table("audit.dq_results") else None


def data_docs() -> Path:
    """Where the quality engineer's Great Expectations Data Docs are built."""
    return home().root / "quality" / "data_docs"


# --- the monthly report -------------------------------------------------------------


def report_workbook(period: date, lang: str, who: Viewer | None = None) -> bytes:
    """The monthly report's workbook (``reports/``) for ``period``: a national or operations
    viewer gets the whole country, a provincial viewer a workbook holding only their own
    provinces (not the nation, not another province)."""
    from core.report.data import load
    from core.report.data import scope as report_scope
    from core.report.workbook import workbook

    who = who if who is not None else viewer()
    pub = publication()
    if pub is None:
        raise NotPublished(str(home().warehouse))
    provinces = who.provinces if who.role == "provincial" else None
    with reader(home()) as con:
        data = load(con, report_scope(period, provinces), pub.published_at)
    return workbook(data, lang)


def at_risk(province: str | None = None, at_least: float = 0.5) -> pd.DataFrame:
    """The running month's projections (marts.kpi_at_risk) at least ``at_least`` likely to
    end non-compliant, or already lost: one province's, or every province's and the
    nation's; the likeliest first. Empty when the mart is not published yet."""
    if not has_table("marts.kpi_at_risk"):
        return pd.DataFrame()
    return query(
        """
        select
            period_month, province_code, is_national,
            if(segment = 'all', kpi_id, kpi_id || ':' || segment) as kpi_key,
            kpi_id, segment, month_to_date_value, projected_value, projected_low,
            projected_high, probability_non_compliant, is_already_lost, threshold,
            comparator, unit, sample_size, days_observed, days_in_month, open_item_count,
            open_items_crossing_count, reliability
        from marts.kpi_at_risk
        where list_contains(?, province_code) and (? is null or province_code = ?)
            and (is_already_lost or probability_non_compliant >= ?)
        order by probability_non_compliant desc, province_code, kpi_key
        """,
        scope(),
        province,
        province,
        at_least,
    )
