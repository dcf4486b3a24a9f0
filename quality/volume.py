"""Volume anomalies: a province's day far from its recent same-weekday norm.

A partial export (a job that died half-way, a file cut short in transfer) loads cleanly:
every row is valid, there are just too few. The classic sign is a day whose volume is far
below the same weekday of recent weeks (weekdays differ a lot: halls close early on
Sundays). Volume is counted as distinct business keys by the local day of the record's
first event (``taken_at``, ``queued_at``, ``stat_hour``, ``reported_at``, ``accepted_at``),
which is what the KPIs see: re-sent versions of a ticket do not count twice. The count is
DuckDB's HyperLogLog estimate (exact for small counts, about 1 % off for large ones, five
times faster than an exact distinct count over five weeks of a national feed): far below
the 40 % a partial export removes, and the ratio test below must hold too.

A day is anomalous when both its ratio to the norm (the median of the last
``history_weeks`` same weekdays) is outside [``low_ratio``, ``high_ratio``] and its robust
z-score, (value − median) / max(1.4826·MAD, √median), is beyond ``min_z``: the ratio alone
would flag small provinces' natural noise, the z-score alone would flag a quiet day in a big
one. The √median floor is the Poisson noise of a count. Only complete days are judged: a
province's latest day may still be arriving (its absence is freshness's business).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import median

import duckdb

from core.audit.dq_results import CheckResult
from core.config.quality import VolumeSettings
from core.contract import SOURCES
from core.sql import quote

WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def day_column(source: str) -> str:
    """The first required timestamp of a source: when its records happen."""
    return next(c.name for c in SOURCES[source].columns if c.type == "timestamp" and c.required)


def daily_counts(
    con: duckdb.DuckDBPyConnection, source: str, days_back: int
) -> dict[str, dict[date, int]]:
    """Distinct keys per province and local day, for the last ``days_back`` days of data;
    days without any record inside a province's span count 0 (a missing file is a loss too)."""
    key = SOURCES[source].key
    keyed = quote(key[0]) if len(key) == 1 else "(" + ", ".join(quote(k) for k in key) + ")"
    at = quote(day_column(source))
    # The newest time first, then the recent rows by a constant bound: DuckDB then skips
    # the row groups whose zone maps end before it (raw is stored in load order, so older
    # deliveries are skipped), and the check costs the recent weeks, not the whole history.
    (newest,) = con.execute(f"select max({at}) from raw.{source}").fetchone()
    if newest is None:
        return {}
    rows = con.execute(
        f"""
        with recent as (
            select province_code, cast(timezone('Asia/Shanghai', {at}) as date) as day, {keyed} as k
            from raw.{source}
            where {at} >= ?::timestamptz - to_days(?)
        )
        select province_code, day, approx_count_distinct(k) from recent group by all
        """,
        [newest, days_back + 1],
    ).fetchall()
    counts: dict[str, dict[date, int]] = {}
    for province, day, n in rows:
        counts.setdefault(province, {})[day] = int(n)
    for days in counts.values():
        first, last = min(days), max(days)
        for i in range((last - first).days + 1):
            days.setdefault(first + timedelta(days=i), 0)
    return counts


def robust_z(value: float, history: list[int]) -> tuple[float, float]:
    """(median, z) of a value against its history."""
    norm = float(median(history))
    mad = float(median(abs(h - norm) for h in history))
    spread = max(1.4826 * mad, math.sqrt(norm), 1.0)
    return norm, (value - norm) / spread


def check(con: duckdb.DuckDBPyConnection, settings: VolumeSettings) -> list[CheckResult]:
    results: list[CheckResult] = []
    span = settings.judged_days + 7 * settings.history_weeks + 1
    for source in SOURCES:
        counts = daily_counts(con, source, span)
        if not counts:
            continue
        newest = max(max(days) for days in counts.values())
        first_judged = newest - timedelta(days=settings.judged_days)
        for province, days in sorted(counts.items()):
            complete = [d for d in sorted(days) if d < max(days)]
            for day in (d for d in complete if d >= first_judged):
                history = [
                    days[day - timedelta(weeks=w)]
                    for w in range(1, settings.history_weeks + 1)
                    if day - timedelta(weeks=w) in days
                ]
                if len(history) < settings.min_history:
                    continue
                value = days[day]
                norm, z = robust_z(value, history)
                if norm < settings.min_norm:
                    continue
                ratio = value / norm
                low = ratio < settings.low_ratio and z <= -settings.min_z
                high = ratio > settings.high_ratio and z >= settings.min_z
                status = settings.low_status if low else settings.high_status if high else "pass"
                weekday = day.weekday()
                results.append(
                    CheckResult(
                        check_name="volume:daily",
                        subject=f"volume:{source}:{province}:{day.isoformat()}",
                        status=status,  # type: ignore[arg-type]
                        source=source,
                        province_code=province,
                        observed=float(value),
                        expected=(
                            f"{settings.low_ratio:g}-{settings.high_ratio:g} x the median "
                            f"{norm:g} of the last {len(history)} {WEEKDAYS_EN[weekday]}s"
                        ),
                        details={
                            "day": day.isoformat(),
                            "unit": "records",
                            "norm": norm,
                            "history": history,
                            "ratio": round(ratio, 3),
                            "z": round(z, 2),
                        },
                        summary_en=(
                            f"{source} on {day} ({WEEKDAYS_EN[weekday]}): {value:,} records, "
                            f"{ratio:.0%} of the usual {norm:,.0f} (z = {z:.1f})"
                            + (" - partial export?" if low else "")
                        ),
                        summary_zh=(
                            f"{source} {day}({WEEKDAYS_ZH[weekday]}):{value:,} 条,"
                            f"为近期同星期中位数 {norm:,.0f} 的 {ratio:.0%}"
                            + ("(疑似导出不完整)" if low else "")
                        ),
                    )
                )
    return results
