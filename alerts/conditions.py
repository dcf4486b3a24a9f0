"""What is wrong right now, as conditions the lifecycle can compare with the last run.

A breach is a row of ``marts.kpi_breaches``: its severity (critical, major, minor) and its
episode ("since when") are read there, judged once by dbt for the alerts and the dashboard
alike, never computed here. A data condition is a check of this run that did not pass; it
keeps its own severity (a failed check is critical, a warning major). Both carry the facts
the digest shows (names in Chinese and English, value against threshold, since when), so
an alert can be rendered again, unchanged, when its delivery is retried a day later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from core.audit.dq_results import CheckResult
from core.config.alerts import AlertSettings
from core.contract import NATIONAL_CODE

NATION = ("全国", "National")


@dataclass(frozen=True)
class Condition:
    subject: str
    category: str
    """breach or data."""
    is_open: bool
    severity: str
    lifecycle: str = "condition"
    check_name: str | None = None
    source: str | None = None
    province_code: str | None = None
    kpi_id: str | None = None
    segment: str | None = None
    period_start: date | None = None
    remind: bool = True
    facts: dict[str, Any] = field(default_factory=dict)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def province_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    names = {NATIONAL_CODE: NATION}
    if has_table(con, "raw", "provinces"):
        for code, zh, en in con.execute(
            "select province_code, name_zh, name_en from raw.provinces"
        ).fetchall():
            names[code] = (zh, en)
    return names


def _breach_page(
    settings: AlertSettings,
    dashboard: str | None,
    province: str,
    kpi: str,
    segment: str,
    period: str,
) -> str | None:
    """The dashboard's page of one province × KPI × segment × month, when there is one."""
    if not dashboard:
        return None
    return settings.breach_page.format(
        url=dashboard, province_code=province, kpi_id=kpi, segment=segment, period=period
    )


def _kpi_keys(
    province: str, kpi: str, segment: str, month: date | None, source: str | None
) -> dict[str, Any]:
    """What a breach or at_risk condition of one province × KPI × segment × month is about."""
    return {
        "check_name": f"kpi:{kpi}",
        "source": source,
        "province_code": province,
        "kpi_id": kpi,
        "segment": segment,
        "period_start": month,
    }


def _kpi_names(
    names: dict[str, tuple[str, str]], province: str, kpi_zh: str, kpi_en: str
) -> dict[str, str]:
    """The first facts of a breach or at_risk condition: province and KPI, Chinese and English."""
    province_zh, province_en = names.get(province, (province, province))
    return {
        "province_zh": province_zh,
        "province_en": province_en,
        "kpi_zh": kpi_zh,
        "kpi_en": kpi_en,
    }


def breaches(
    con: duckdb.DuckDBPyConnection, settings: AlertSettings, dashboard: str | None
) -> list[Condition]:
    """Every judged province × KPI × segment of the look-back months, open or not.

    Which months were judged comes from ``marts.kpi_compliance`` (a met KPI resolves an open
    alert); what is breached, how badly and since when from ``marts.kpi_breaches``, as the
    dashboard shows it.
    """
    if not (has_table(con, "marts", "kpi_compliance") and has_table(con, "marts", "kpi_breaches")):
        return []
    latest = con.execute("select max(period_month) from marts.kpi_compliance").fetchone()[0]
    if latest is None:
        return []
    names = province_names(con)
    catalog = {}
    if has_table(con, "raw", "kpi_catalog"):
        for kpi, segment, version, zh, en, source, limit, limit_unit in con.execute(
            "select kpi_id, segment, catalog_version, name_zh, name_en, source, case_limit, "
            "case_limit_unit from raw.kpi_catalog"
        ).fetchall():
            catalog[(kpi, segment, str(version))] = (zh, en, source, limit, limit_unit)
    recent = con.execute(
        """
        select
            c.period_month, c.province_code, c.kpi_id, c.segment, c.value, c.threshold,
            c.comparator, c.unit, c.sample_size, c.breach_count, c.margin, c.catalog_version,
            b.severity, b.relative_shortfall, b.episode_start_month, b.months_in_breach,
            b.days_missed
        from marts.kpi_compliance as c
        left join marts.kpi_breaches as b
            on c.period_month = b.period_month and c.province_code = b.province_code
            and c.kpi_id = b.kpi_id and c.segment = b.segment
        where c.period_month > cast(? as date) - to_months(?) and (? or c.province_code <> ?)
        order by all
        """,
        [latest, settings.lookback_months, settings.include_national, NATIONAL_CODE],
    ).fetchall()
    # Where the shortfall comes from: the top driver of each breach, one line in the digest.
    drivers: dict[tuple, tuple[str, str]] = {}
    if has_table(con, "marts", "kpi_breach_drivers"):
        for month, province, kpi, segment, zh, en in con.execute(
            "select period_month, province_code, kpi_id, segment, driver_label_zh, "
            "driver_label_en from marts.kpi_breach_drivers where driver_rank = 1"
        ).fetchall():
            drivers[(month, province, kpi, segment)] = (zh, en)
    out = []
    for (month, province, kpi, segment, value, threshold, comparator, unit, sample, count,
         margin, version, severity, relative, since, months, days) in recent:  # fmt: skip
        driver_zh, driver_en = drivers.get((month, province, kpi, segment), (None, None))
        zh, en, source, limit, limit_unit = catalog.get(
            (kpi, segment, str(version)), (kpi, kpi, None, None, None)
        )
        period = f"{month:%Y-%m}"
        out.append(
            Condition(
                subject=f"breach:{province}:{kpi}:{segment}:{period}",
                category="breach",
                is_open=severity is not None,
                severity=severity or "info",
                remind=settings.remind_past_periods or month == latest,
                **_kpi_keys(province, kpi, segment, month, source),
                facts={
                    **_kpi_names(names, province, zh, en),
                    "period": period,
                    "value": value,
                    "threshold": threshold,
                    "comparator": comparator,
                    "unit": unit,
                    "margin": margin,
                    "shortfall": relative,
                    "sample_size": sample,
                    "breach_count": count,
                    "case_limit": limit,
                    "case_limit_unit": limit_unit,
                    "catalog_version": str(version),
                    "since_period": f"{since:%Y-%m}" if since else period,
                    "months_in_breach": months,
                    "days_missed": days,
                    "driver_zh": driver_zh,
                    "driver_en": driver_en,
                    "link": _breach_page(settings, dashboard, province, kpi, segment, period),
                },
            )
        )
    return out


def from_checks(
    con: duckdb.DuckDBPyConnection,
    results: list[CheckResult],
    settings: AlertSettings,
    dashboard: str | None,
) -> list[Condition]:
    """Data conditions: every check result (passing ones can resolve an open condition)."""
    names = province_names(con)
    out = []
    for r in results:
        family = r.check_name.split(":")[0]
        link = None
        if dashboard:
            link = settings.data_page.format(
                url=dashboard, source=r.source or "", province_code=r.province_code or ""
            )
        province = (
            names.get(r.province_code or "", (None, None)) if r.province_code else (None, None)
        )
        day = r.details.get("day")
        out.append(
            Condition(
                subject=r.subject,
                category="data",
                is_open=r.status != "pass",
                severity={"fail": "critical", "warn": "major"}.get(r.status, "info"),
                lifecycle=r.lifecycle,
                check_name=r.check_name,
                source=r.source,
                province_code=r.province_code,
                period_start=date.fromisoformat(day) if day else None,
                remind=settings.data_reminders and family in ("freshness", "dbt"),
                facts={
                    "province_zh": province[0] or r.province_code,
                    "province_en": province[1] or r.province_code,
                    "summary_zh": r.summary_zh,
                    "summary_en": r.summary_en,
                    "observed": r.observed,
                    "expected": r.expected,
                    "link": link,
                },
            )
        )
    return out


def at_risk(
    con: duckdb.DuckDBPyConnection, settings: AlertSettings, dashboard: str | None
) -> list[Condition]:
    """The running month's province × KPI × segment that marts.kpi_at_risk gives at least
    ``at_risk_probability`` of ending non-compliant; read there, never computed here.

    A projection marked too_early or too_few_cases raises nothing (a max KPI already lost
    does). Rows below the threshold are evaluated too, so an open warning resolves when the
    risk falls; one still open for a month the mart no longer holds resolves when its month
    has ended. Warnings are not reminded: the same month is announced once per episode.
    """
    if not has_table(con, "marts", "kpi_at_risk"):
        return []
    names = province_names(con)
    catalog: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    if has_table(con, "raw", "kpi_catalog"):
        for kpi, segment, zh, en, source in con.execute(
            "select kpi_id, segment, name_zh, name_en, source from raw.kpi_catalog"
        ).fetchall():
            catalog[(kpi, segment)] = (zh, en, source)
    rows = con.execute(
        """
        select
            period_month, province_code, kpi_id, segment, month_to_date_value, projected_value,
            projected_low, projected_high, probability_non_compliant, is_already_lost,
            threshold, comparator, unit, sample_size, days_observed, days_in_month,
            open_items_crossing_count, reliability
        from marts.kpi_at_risk
        where (? or province_code <> ?)
        order by all
        """,
        [settings.include_national, NATIONAL_CODE],
    ).fetchall()
    out = []
    for row in rows:
        (month, province, kpi, segment, so_far, projected, low, high, probability, lost) = row[:10]
        (threshold, comparator, unit, sample, observed, days, crossing, reliability) = row[10:]
        zh, en, source = catalog.get((kpi, segment), (kpi, kpi, None))
        period = f"{month:%Y-%m}"
        trusted = reliability not in ("too_early", "too_few_cases")
        is_open = (
            probability is not None and probability >= settings.at_risk_probability and trusted
        )
        out.append(
            Condition(
                subject=f"at_risk:{province}:{kpi}:{segment}:{period}",
                category="at_risk",
                is_open=is_open,
                severity=("major" if lost else "minor") if is_open else "info",
                remind=False,
                **_kpi_keys(province, kpi, segment, month, source),
                facts={
                    **_kpi_names(names, province, zh, en),
                    "period": period,
                    "value": so_far,
                    "projected_value": projected,
                    "projected_low": low,
                    "projected_high": high,
                    "probability": probability,
                    "is_already_lost": lost,
                    "threshold": threshold,
                    "comparator": comparator,
                    "unit": unit,
                    "sample_size": sample,
                    "days_observed": observed,
                    "days_in_month": days,
                    "open_items_crossing": crossing,
                    "reliability": reliability,
                    "link": _breach_page(settings, dashboard, province, kpi, segment, period),
                },
            )
        )
    out += _ended_warnings(con, {c.subject for c in out}, names, catalog)
    return out


def _ended_warnings(
    con: duckdb.DuckDBPyConnection,
    current: set[str],
    names: dict[str, tuple[str, str]],
    catalog: dict[tuple[str, str], tuple[str, str, str | None]],
) -> list[Condition]:
    """Open at_risk warnings of months kpi_at_risk no longer projects: their month ended
    (the breach alerts judge it now), so they resolve."""
    if not has_table(con, "audit", "alert_state"):
        return []
    out = []
    for subject, province, kpi, segment, month, source in con.execute(
        "select subject, province_code, kpi_id, segment, period_start, source "
        "from audit.alert_state where category = 'at_risk' and state = 'open'"
    ).fetchall():
        if subject in current:
            continue
        zh, en, _ = catalog.get((kpi, segment), (kpi, kpi, None))
        out.append(
            Condition(
                subject=subject,
                category="at_risk",
                is_open=False,
                severity="info",
                remind=False,
                **_kpi_keys(province, kpi, segment, month, source),
                facts={
                    **_kpi_names(names, province, zh, en),
                    "period": f"{month:%Y-%m}" if month else "",
                    "month_ended": True,
                },
            )
        )
    return out
