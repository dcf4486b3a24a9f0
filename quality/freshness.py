"""Freshness: a province or a whole source that stops delivering.

Two clocks, because they catch different failures:

- **Province behind its source** (data clock): the newest event a province delivered for a
  source, against the newest event any province delivered for it. A province whose export
  job died falls behind the others while they keep coming, whatever the wall clock says,
  so replays and backfills judge the same way as live runs.
- **Source silent** (wall clock): hours since a file of the source was last loaded with
  rows. When every province stops at once (the exporter, the transfer), the data clock
  stops too; only the wall clock notices.

Only provinces that have delivered a source at some point are expected to keep doing so.

A province's newest event is kept per source in ``quality_state.newest_activity``, with the
last raw file it has seen: raw rows are only ever added (ingest appends whole files; nothing
deletes them), so each check reads the rows of the files loaded since, not the history — a
year of national data is ~840 M rows, and an hourly run with nothing new reads none.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from core.audit.dq_results import CheckResult
from core.config.quality import FreshnessSettings
from core.contract import SOURCES
from core.sql import quote


def event_columns(source: str) -> list[str]:
    """Columns saying when something happened (updated_at may be the load time: excluded)."""
    return [
        c.name for c in SOURCES[source].columns if c.type == "timestamp" and c.name != "updated_at"
    ]


def _activity(source: str) -> str:
    return "greatest(" + ", ".join(quote(c) for c in event_columns(source)) + ")"


NEWEST = "quality_state.newest_activity"


def _catch_up(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Bring ``NEWEST`` up to the last raw file of ``source``: only the rows of files loaded
    since the last check are read (raw is stored in load order: zone maps skip the rest)."""
    (through,) = con.execute(
        f"select coalesce(max(through_file_id), 0) from {NEWEST} where source = ?", [source]
    ).fetchone()
    (last,) = con.execute(f"select max(ingest_file_id) from raw.{source}").fetchone()
    if last is None or last <= through:
        return  # nothing new: nothing is read or written
    con.execute(
        f"""
        insert or replace into {NEWEST}
        with fresh as (
            select province_code, max({_activity(source)}) as newest
            from raw.{source}
            where ingest_file_id > ? and ingest_file_id <= ?
            group by province_code
        ),
        known as (
            select province_code, newest from {NEWEST} where source = ?
        )
        select ?, province_code, greatest(fresh.newest, known.newest), ?
        from fresh full join known using (province_code)
        """,
        [through, last, source, source, last],
    )


def check(
    con: duckdb.DuckDBPyConnection, settings: FreshnessSettings, now: datetime
) -> list[CheckResult]:
    results: list[CheckResult] = []
    con.execute("create schema if not exists quality_state")
    con.execute(
        f"create table if not exists {NEWEST} (source varchar, province_code varchar, "
        "newest timestamptz, through_file_id bigint, primary key (source, province_code))"
    )
    for source in SOURCES:
        max_lag, max_silence = settings.limits(source)
        _catch_up(con, source)
        # A clock error in one file must not make every other province look late: the
        # frontier is never later than now.
        rows = con.execute(
            f"""
            with latest as (
                select province_code, newest from {NEWEST} where source = ?
            ),
            frontier as (select least(max(newest), ?::timestamptz) as newest from latest)
            select l.province_code, l.newest, f.newest,
                   (epoch(f.newest) - epoch(l.newest)) / 3600.0 as lag_hours
            from latest l, frontier f
            where l.newest is not null
            order by l.province_code
            """,
            [source, now],
        ).fetchall()
        for province, newest, frontier, lag in rows:
            lag = max(float(lag), 0.0)
            stale = lag > max_lag
            results.append(
                CheckResult(
                    check_name="freshness:province",
                    subject=f"freshness:{source}:{province}",
                    status="fail" if stale else "pass",
                    source=source,
                    province_code=province,
                    observed=round(lag, 2),
                    expected=f"<= {max_lag:g} h behind the newest {source} data",
                    details={
                        "unit": "hours",
                        "newest": newest.isoformat(),
                        "source_newest": frontier.isoformat(),
                        "max_lag_hours": max_lag,
                    },
                    summary_en=(
                        f"{source}: no new data since {newest:%Y-%m-%d %H:%M}, "
                        f"{lag:.0f} h behind the other provinces (limit {max_lag:g} h)"
                    ),
                    summary_zh=(
                        f"{source}:自 {newest:%Y-%m-%d %H:%M} 起无新数据,"
                        f"落后其他省份 {lag:.0f} 小时(上限 {max_lag:g} 小时)"
                    ),
                )
            )
        last = con.execute(
            "select max(loaded_at) from audit.ingest_files "
            "where source = ? and status = 'loaded' and rows_loaded > 0",
            [source],
        ).fetchone()[0]
        if last is None:
            continue  # never delivered: nothing stopped
        silence = max((now - last).total_seconds() / 3600.0, 0.0)
        silent = silence > max_silence
        results.append(
            CheckResult(
                check_name="freshness:source",
                subject=f"freshness:{source}",
                status="fail" if silent else "pass",
                source=source,
                observed=round(silence, 2),
                expected=f"a file with rows at least every {max_silence:g} h",
                details={"unit": "hours", "last_loaded_at": last.isoformat()},
                summary_en=(
                    f"{source}: no file loaded for {silence:.0f} h (limit {max_silence:g} h), "
                    f"last at {last:%Y-%m-%d %H:%M}"
                ),
                summary_zh=(
                    f"{source}:已 {silence:.0f} 小时未收到文件(上限 {max_silence:g} 小时),"
                    f"最近一次 {last:%Y-%m-%d %H:%M}"
                ),
            )
        )
    return results
