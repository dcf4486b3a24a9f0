"""Which month and which provinces a report covers, and everything it shows, read from the marts.

Every figure is read, none recomputed: values, thresholds, compliance and the judging catalog
version from ``marts.kpi_compliance``; severity, its order (severity_rank), episode start and
months in breach from ``marts.kpi_breaches``. SQL here filters, joins and counts published
flags. Every choice reaches SQL as a parameter.

A national report holds the nation (100000) and the 31 provinces; a provincial report only
the provinces asked for (the dashboard's provincial viewer: their own), nothing of the nation
or of any other province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from core.config import severity as severity_config
from core.contract import NATIONAL_CODE, PROVINCE_CODES, STANDARD_ORDER

BEIJING = ZoneInfo("Asia/Shanghai")
"""Publication and generation times are shown in Beijing time, as on the dashboard."""
TREND_MONTHS = 6
"""How many published months, ending with the report's, the trends show."""
SEVERITIES = tuple(reversed(severity_config.SEVERITIES))
"""The report's severity columns, the worst first (core.config.severity's order, which is
marts.kpi_breaches.severity_rank's)."""


class ReportError(ValueError):
    """A month or province the report cannot be made for; the message is one line."""


@dataclass(frozen=True)
class Scope:
    """One report's month and the province codes whose rows it holds."""

    month: date
    provinces: tuple[str, ...]

    @property
    def national(self) -> bool:
        """The whole country: the nation's row and every province."""
        return NATIONAL_CODE in self.provinces

    @property
    def label(self) -> str:
        """For file names: ``2026-10`` or ``2026-10-440000``."""
        stamp = f"{self.month:%Y-%m}"
        return stamp if self.national else f"{stamp}-{'-'.join(self.provinces)}"


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the month's first day; ReportError otherwise."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ReportError(f"--month must be a month as YYYY-MM (e.g. 2026-10), not {text!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def scope(month: date, provinces: tuple[str, ...] | list[str] | None = None) -> Scope:
    """The whole country when ``provinces`` is empty, else those provinces (checked)."""
    if not provinces:
        return Scope(month, (NATIONAL_CODE, *PROVINCE_CODES))
    unknown = [p for p in provinces if p not in PROVINCE_CODES]
    if unknown:
        raise ReportError(
            f"--province {', '.join(unknown)}: not a mainland province code "
            "(GB/T 2260, e.g. 440000; leave --province out for the whole country)"
        )
    return Scope(month, tuple(dict.fromkeys(provinces)))


@dataclass(frozen=True)
class MonthlyData:
    """Everything one report shows, as published."""

    scope: Scope
    published_at: datetime | None
    provinces: pd.DataFrame
    """dim_provinces rows of the report, the nation first."""
    kpis: pd.DataFrame
    """The catalog versions that judged the month (one per kpi_id × segment), in the
    standard's order; ``kpi_key`` is ``kpi_id`` or ``kpi_id:segment``."""
    compliance: pd.DataFrame
    """kpi_compliance rows of the month and provinces."""
    breaches: pd.DataFrame
    """kpi_breaches rows of the month and provinces, the worst first, with their top
    drivers (drivers_zh, drivers_en: kpi_breach_drivers' labels, best first)."""
    scores: pd.DataFrame
    """Per province (not the nation): KPIs judged, met, and breaches by severity."""
    trend_months: list[date]
    trend_counts: pd.DataFrame
    """Per trend month, over the report's provinces (not the nation): judged, met, breaches
    by severity."""
    trend_values: pd.DataFrame
    """Per trend month: each KPI's published value and flag for the nation (national
    report) or for each of the report's provinces."""
    has_drivers: bool = False
    """The warehouse publishes kpi_breach_drivers (older ones do not)."""

    def kpi_name(self, lang: str, key: str) -> str:
        found = self.kpis[self.kpis["kpi_key"] == key]
        if found.empty:
            return key
        row = found.iloc[0]
        return (row.name_en or row.name_zh) if lang == "en" else (row.name_zh or row.name_en)

    def province_name(self, lang: str, code: str) -> str:
        found = self.provinces[self.provinces["province_code"] == code]
        if found.empty:
            return code
        row = found.iloc[0]
        return (row.name_en or row.name_zh) if lang == "en" else (row.name_zh or row.name_en)

    @property
    def province_codes(self) -> list[str]:
        """The report's provinces, the nation left out."""
        return [c for c in self.provinces["province_code"] if c != NATIONAL_CODE]


KEY = "if(segment = 'all', kpi_id, kpi_id || ':' || segment)"


def _frame(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def _counts(
    con: duckdb.DuckDBPyConnection, per: str, months: list[date], codes: list[str]
) -> pd.DataFrame:
    """Per ``per`` (province_code or period_month) over ``months`` and the provinces of
    ``codes``, the nation left out: KPIs judged, met, and breaches by severity. The scores
    and the trend counts are the same question at two groupings, so they cannot disagree."""
    return _frame(
        con,
        f"""
        select
            c.{per},
            count(*) as kpis_judged,
            count(*) filter (where c.is_compliant) as kpis_met,
            count(b.severity) filter (where b.severity = 'critical') as critical,
            count(b.severity) filter (where b.severity = 'major') as major,
            count(b.severity) filter (where b.severity = 'minor') as minor
        from marts.kpi_compliance as c
        left join marts.kpi_breaches as b
            on c.period_month = b.period_month and c.province_code = b.province_code
            and c.kpi_id = b.kpi_id and c.segment = b.segment
        where list_contains(?, c.period_month) and c.province_code <> ?
            and list_contains(?, c.province_code)
        group by c.{per}
        order by c.{per}
        """,
        months,
        NATIONAL_CODE,
        codes,
    )


def published_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Months with published compliance, oldest first."""
    rows = con.execute(
        "select distinct period_month from marts.kpi_compliance order by period_month"
    ).fetchall()
    return [r[0] for r in rows]


def load(
    con: duckdb.DuckDBPyConnection, chosen: Scope, published_at: datetime | None = None
) -> MonthlyData:
    """Read one report from the published marts; ReportError when its month is not published."""
    months = published_months(con)
    if chosen.month not in months:
        known = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "none yet"
        raise ReportError(
            f"--month {chosen.month:%Y-%m}: no published figures for that month "
            f"(published months: {known})"
        )
    month, codes = chosen.month, list(chosen.provinces)
    trend_months = [m for m in months if m <= month][-TREND_MONTHS:]
    provinces = _frame(
        con,
        """
        select province_code, name_zh, name_en, short_name_zh, is_national
        from marts.dim_provinces
        where list_contains(?, province_code)
        order by is_national desc, province_code
        """,
        codes,
    )
    compliance = _frame(
        con,
        f"""
        select
            province_code, {KEY} as kpi_key, kpi_id, segment, value, threshold, comparator,
            unit, sample_size, breach_count, is_compliant, margin, catalog_version
        from marts.kpi_compliance
        where period_month = ? and list_contains(?, province_code)
        order by province_code, coalesce(list_position(?, kpi_id), 99), kpi_id, segment desc
        """,
        month,
        codes,
        STANDARD_ORDER,
    )
    kpis = _frame(
        con,
        """
        with judged as (
            select distinct kpi_id, segment, catalog_version
            from marts.kpi_compliance
            where period_month = ? and list_contains(?, province_code)
        )
        select
            if(c.segment = 'all', c.kpi_id, c.kpi_id || ':' || c.segment) as kpi_key,
            c.kpi_id, c.segment, c.name_zh, c.name_en, c.unit, c.comparator, c.threshold,
            c.case_limit, c.case_limit_unit, c.origin, c.effective_from, c.effective_to,
            c.catalog_version
        from marts.dim_kpi_catalog as c
        join judged as j
            on c.kpi_id = j.kpi_id and c.segment = j.segment
            and c.catalog_version = j.catalog_version
        where c.effective_from <= ? and (c.effective_to is null or c.effective_to >= ?)
        order by coalesce(list_position(?, c.kpi_id), 99), c.kpi_id, c.segment desc
        """,
        month,
        codes,
        month,
        month,
        STANDARD_ORDER,
    )
    has_drivers = bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'kpi_breach_drivers'"
        ).fetchone()[0]
    )
    # Where each breach's shortfall comes from: its top drivers, best first, one cell.
    drivers = (
        """
        select
            period_month, province_code, kpi_id, segment,
            string_agg(driver_label_zh, '；' order by driver_rank) as drivers_zh,
            string_agg(driver_label_en, '; ' order by driver_rank) as drivers_en
        from marts.kpi_breach_drivers
        group by period_month, province_code, kpi_id, segment
        """
        if has_drivers
        else """
        select
            null::date as period_month, null as province_code, null as kpi_id,
            null as segment, null::varchar as drivers_zh, null::varchar as drivers_en
        """
    )
    breaches = _frame(
        con,
        f"""
        with drivers as ({drivers})
        select
            b.province_code,
            if(b.segment = 'all', b.kpi_id, b.kpi_id || ':' || b.segment) as kpi_key,
            b.kpi_id, b.segment, b.value, b.threshold, b.comparator, b.unit, b.shortfall,
            b.relative_shortfall, b.cases_over_limit,
            b.severity, b.severity_reason, b.episode_start_month, b.months_in_breach,
            b.days_missed, b.catalog_version, d.drivers_zh, d.drivers_en
        from marts.kpi_breaches as b
        left join drivers as d
            on b.period_month = d.period_month and b.province_code = d.province_code
            and b.kpi_id = d.kpi_id and b.segment = d.segment
        where b.period_month = ? and list_contains(?, b.province_code)
        order by b.severity_rank desc, b.relative_shortfall desc, b.province_code, kpi_key
        """,
        month,
        codes,
    )
    scores = _counts(con, "province_code", [month], codes)
    trend_counts = _counts(con, "period_month", trend_months, codes)
    focus = [NATIONAL_CODE] if chosen.national else codes
    trend_values = _frame(
        con,
        f"""
        select period_month, province_code, {KEY} as kpi_key, value, unit, is_compliant
        from marts.kpi_compliance
        where list_contains(?, period_month) and list_contains(?, province_code)
        order by period_month, province_code
        """,
        trend_months,
        focus,
    )
    return MonthlyData(
        scope=chosen,
        published_at=published_at,
        provinces=provinces,
        kpis=kpis,
        compliance=compliance,
        breaches=breaches,
        scores=scores,
        trend_months=trend_months,
        trend_counts=trend_counts,
        trend_values=trend_values,
        has_drivers=has_drivers,
    )
