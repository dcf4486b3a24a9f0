"""What is wrong right now, as conditions the lifecycle can compare with the last run.

A breach is a province × KPI × segment × month of ``marts.kpi_compliance`` that is not
compliant; a data condition is a check of this run that did not pass. Both carry the facts
the digest shows (names in Chinese and English, value against threshold, since when), so
an alert can be rendered again, unchanged, when its delivery is retried a day later.

Severity of a breach [operator settings in ``[alerts.severity]``]: *critical* when the value
misses its threshold by at least ``critical_shortfall`` of the threshold (per KPI if set),
or when the KPI has a per-case ceiling (units in ``ceiling_units``: the standard's
"最长为…" hours and days) and at least one case broke it; *warning* otherwise (close to
the threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from alerts.settings import AlertSettings
from kpiwatch.contract import NATIONAL_CODE
from quality.results import CheckResult

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


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def province_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    names = {NATIONAL_CODE: NATION}
    if _table_exists(con, "raw", "provinces"):
        for code, zh, en in con.execute(
            "select province_code, name_zh, name_en from raw.provinces"
        ).fetchall():
            names[code] = (zh, en)
    return names


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _streak_starts(rows: list[tuple[str, str, str, date, bool]]) -> dict[tuple, date]:
    """First month of the unbroken run of non-compliant months ending at each breach."""
    starts: dict[tuple, date] = {}
    last: dict[tuple[str, str, str], tuple[date, date]] = {}
    for province, kpi, segment, month, compliant in sorted(rows):
        key = (province, kpi, segment)
        if compliant:
            last.pop(key, None)
            continue
        previous = last.get(key)
        start = previous[1] if previous and _months_between(previous[0], month) == 1 else month
        last[key] = (month, start)
        starts[(*key, month)] = start
    return starts


def severity_of(
    settings: AlertSettings,
    kpi_id: str,
    margin: float,
    threshold: float,
    unit: str | None,
    breach_count: int | None,
) -> tuple[str, float]:
    """(severity, shortfall as a share of the threshold; inf for a zero threshold)."""
    shortfall = max(-margin, 0.0)
    relative = shortfall / abs(threshold) if threshold else math.inf
    ceiling = unit in settings.ceiling_units and (breach_count or 0) > 0
    critical = ceiling or relative >= settings.shortfall_limit(kpi_id)
    return ("critical" if critical else "warning"), relative


def breaches(
    con: duckdb.DuckDBPyConnection, settings: AlertSettings, dashboard: str | None
) -> list[Condition]:
    """Every row of the recent months of marts.kpi_compliance, open or not."""
    if not _table_exists(con, "marts", "kpi_compliance"):
        return []
    rows = con.execute(
        "select province_code, kpi_id, segment, period_month, is_compliant "
        "from marts.kpi_compliance where value is not null"
    ).fetchall()
    if not rows:
        return []
    starts = _streak_starts(rows)
    latest = max(r[3] for r in rows)
    names = province_names(con)
    catalog = {}
    if _table_exists(con, "raw", "kpi_catalog"):
        for kpi, segment, version, zh, en, source, limit, limit_unit in con.execute(
            "select kpi_id, segment, catalog_version, name_zh, name_en, source, case_limit, "
            "case_limit_unit from raw.kpi_catalog"
        ).fetchall():
            catalog[(kpi, segment, str(version))] = (zh, en, source, limit, limit_unit)
    first = con.execute(
        "select cast(? as date) - to_months(?)", [latest, settings.lookback_months - 1]
    ).fetchone()[0]
    recent = con.execute(
        "select period_month, province_code, kpi_id, segment, value, threshold, comparator, "
        "unit, sample_size, breach_count, is_compliant, margin, catalog_version "
        "from marts.kpi_compliance where value is not null and period_month >= ? "
        "order by all",
        [first],
    ).fetchall()
    out = []
    for (month, province, kpi, segment, value, threshold, comparator, unit, sample, count,
         compliant, margin, version) in recent:  # fmt: skip
        if province == NATIONAL_CODE and not settings.include_national:
            continue
        severity, relative = severity_of(settings, kpi, margin, threshold, unit, count)
        zh, en, source, limit, limit_unit = catalog.get(
            (kpi, segment, str(version)), (kpi, kpi, None, None, None)
        )
        period = f"{month:%Y-%m}"
        since = starts.get((province, kpi, segment, month))
        link = None
        if dashboard:
            link = settings.breach_page.format(
                url=dashboard, province_code=province, kpi_id=kpi, segment=segment, period=period
            )
        out.append(
            Condition(
                subject=f"breach:{province}:{kpi}:{segment}:{period}",
                category="breach",
                is_open=not compliant,
                severity=severity if not compliant else "info",
                check_name=f"kpi:{kpi}",
                source=source,
                province_code=province,
                kpi_id=kpi,
                segment=segment,
                period_start=month,
                remind=settings.remind_past_periods or month == latest,
                facts={
                    "province_zh": names.get(province, (province, province))[0],
                    "province_en": names.get(province, (province, province))[1],
                    "kpi_zh": zh,
                    "kpi_en": en,
                    "period": period,
                    "value": value,
                    "threshold": threshold,
                    "comparator": comparator,
                    "unit": unit,
                    "margin": margin,
                    "shortfall": None if math.isinf(relative) else round(relative, 4),
                    "sample_size": sample,
                    "breach_count": count,
                    "case_limit": limit,
                    "case_limit_unit": limit_unit,
                    "catalog_version": str(version),
                    "since_period": f"{since:%Y-%m}" if since else period,
                    "link": link,
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
                severity={"fail": "critical", "warn": "warning"}.get(r.status, "info"),
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
