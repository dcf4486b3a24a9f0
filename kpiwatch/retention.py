"""How long the audit rows that every run adds are kept, and their pruning at a run's end.

Each ``kpiwatch run`` adds a row to ``audit.runs``, a few hundred check results to
``audit.dq_results`` and, when something breaches, rows to the alert outbox ``audit.alerts``;
each sign-in adds a line to the dashboard's access log. Over years of hourly runs these
would grow without end, so ``[retention]`` in ``kpiwatch.toml`` says how many days of each
to keep (docs/retention.md says why the defaults are 400 days: any 13 calendar months,
the longest comparison the product makes, fit in 397).

Never pruned, whatever the settings, because the warehouse cannot be rebuilt or trusted
without them: ``audit.ingest_files`` (the incremental build's basis and every
reconciliation count), ``audit.quarantine`` (its rows reconcile each file still in raw),
``audit.alert_state`` (what tells a new breach from a known one; one row per subject, not
per run), and alerts not yet delivered (``pending``) or given up (``failed``, an operator
must see those). Of ``audit.runs`` the rows the next run reads are always kept: the latest
run, the latest run that built, and the run that validated the most files.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from core.config.retention import RetentionSettings

KEPT_RUNS = " union all ".join(
    f"select run_id from (select run_id from audit.runs {where} order by {order} limit 1)"
    for where, order in (
        ("", "started_at desc"),
        ("where built", "started_at desc"),
        ("where validated_through_file_id is not null",
         "validated_through_file_id desc, started_at desc"),
    )
)  # fmt: skip
"""The runs the next run reads (``core.audit.runs``): the latest, the latest that built, and
the one that validated the most files. A query, never NULL, so ``not in`` stays exact."""

PRUNED_ALERTS = ("sent", "unrouted")
"""Delivered, or logged with no channel to send to: nothing will ever act on them again."""


@dataclass
class Pruned:
    """Rows (lines, for the access log) removed from each place by one pruning."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        if not self.total:
            return "nothing older than the retention settings"
        return ", ".join(f"{n:,} {place}" for place, n in self.counts.items() if n)


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days else None


def _delete(con: duckdb.DuckDBPyConnection, table: str, where: str, params: list) -> int:
    (before,) = con.execute(f"select count(*) from {table}").fetchone()
    con.execute(f"delete from {table} where {where}", params)
    (after,) = con.execute(f"select count(*) from {table}").fetchone()
    return int(before - after)


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def prune_audit(
    con: duckdb.DuckDBPyConnection, settings: RetentionSettings, now: datetime
) -> dict[str, int]:
    """Delete audit rows older than their retention, in one transaction; return counts."""
    counts = {"audit.dq_results": 0, "audit.runs": 0, "audit.alerts": 0}
    con.begin()
    try:
        cut = _cutoff(now, settings.dq_results_days)
        if cut and _has(con, "audit.dq_results"):
            counts["audit.dq_results"] = _delete(con, "audit.dq_results", "checked_at < ?", [cut])
        cut = _cutoff(now, settings.runs_days)
        if cut and _has(con, "audit.runs"):
            counts["audit.runs"] = _delete(
                con,
                "audit.runs",
                f"started_at < ? and run_id not in ({KEPT_RUNS})",
                [cut],
            )
        cut = _cutoff(now, settings.alerts_days)
        if cut and _has(con, "audit.alerts"):
            counts["audit.alerts"] = _delete(
                con,
                "audit.alerts",
                "created_at < ? and status in (select unnest(?::varchar[]))",
                [cut, list(PRUNED_ALERTS)],
            )
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return counts


def prune_access_log(path: Path, days: int, now: datetime) -> int:
    """Drop the lines of the dashboard's access log older than ``days``; return how many.

    The dashboard appends to the log while it serves (``dashboards.access.log_event``), so
    the file is rewritten in place under the same ``flock`` the dashboard takes for each
    line: no line written meanwhile is lost. Lines whose time cannot be read are kept.
    """
    cut = _cutoff(now, days)
    if cut is None or not path.exists():
        return 0
    with path.open("r+", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        lines = log.readlines()
        kept = [line for line in lines if not _older(line, cut)]
        if len(kept) == len(lines):
            return 0
        log.seek(0)
        log.writelines(kept)
        log.truncate()
        log.flush()
    return len(lines) - len(kept)


def _older(line: str, cut: datetime) -> bool:
    try:
        stamp = datetime.fromisoformat(line.split(" ", 1)[0])
    except ValueError:
        return False
    return stamp.tzinfo is not None and stamp < cut


def prune(
    con: duckdb.DuckDBPyConnection, settings: RetentionSettings, now: datetime, access_log: Path
) -> Pruned:
    """Everything retention removes at the end of a run (the caller holds the writer lock)."""
    counts = prune_audit(con, settings, now)
    counts["access log lines"] = prune_access_log(access_log, settings.access_log_days, now)
    return Pruned(counts)
