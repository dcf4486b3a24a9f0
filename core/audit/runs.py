"""``audit.runs``: one row per ``kpiwatch run``, its definition and its only writers.

It lives in the warehouse (not in a file beside it) so that every publication carries the
runs that made it, and the dashboard reads it with the same connection. A run's row is
written by name (``record_run``, ``finish_run``): a column added here cannot shift the others.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

DDL = """
create schema if not exists audit;
create table if not exists audit.runs (
    run_id varchar primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    landing varchar,
    files_loaded bigint,
    files_failed bigint,
    rows_loaded bigint,
    built boolean,
    build_ok boolean,
    project_fingerprint varchar,
    built_through_file_id bigint,
    validated_through_file_id bigint,
    dq_pass bigint,
    dq_warn bigint,
    dq_fail bigint,
    alerts_new bigint,
    alerts_reminder bigint,
    alerts_resolved bigint,
    published boolean,
    deliveries_sent bigint,
    deliveries_pending bigint,
    exit_code integer,
    seconds json
);
"""


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; existing rows stay."""
    con.execute(DDL)


def record_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    started_at: datetime,
    landing: str,
    files_loaded: int,
    files_failed: int,
    rows_loaded: int,
    built: bool,
    build_ok: bool,
    project_fingerprint: str,
    built_through_file_id: int | None,
    validated_through_file_id: int,
    dq_pass: int,
    dq_warn: int,
    dq_fail: int,
    alerts_new: int,
    alerts_reminder: int,
    alerts_resolved: int,
    published: bool,
) -> None:
    """A run's row, written in the transaction that stores its checks and alerts (so a run
    that dies before it validates nothing twice); ``finish_run`` completes it."""
    values = {k: v for k, v in locals().items() if k != "con"}
    con.execute(
        f"insert into audit.runs ({', '.join(values)}) values ({', '.join('?' for _ in values)})",
        list(values.values()),
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    finished_at: datetime,
    deliveries_sent: int,
    deliveries_pending: int,
    exit_code: int,
    seconds: dict[str, float],
) -> None:
    """What a run knows only at its end: deliveries, its exit code and the seconds per step."""
    con.execute(
        "update audit.runs set finished_at = ?, deliveries_sent = ?, "
        "deliveries_pending = ?, exit_code = ?, seconds = ? where run_id = ?",
        [finished_at, deliveries_sent, deliveries_pending, exit_code,
         json.dumps({k: round(v, 3) for k, v in seconds.items()}), run_id],
    )  # fmt: skip


def validated_through(con: duckdb.DuckDBPyConnection) -> int:
    """The greatest ingest file id whose rows a run has validated (0: none yet). A run's
    row is written in the transaction that stores its checks, so a run that died after
    them does not validate (and alert on) the same files again."""
    row = con.execute(
        "select coalesce(max(validated_through_file_id), 0) from audit.runs"
    ).fetchone()
    return int(row[0]) if row else 0


def last_build(con: duckdb.DuckDBPyConnection) -> tuple[bool, int, str] | None:
    """(succeeded, files built through, project fingerprint) of the last build a run tried.
    A failed build leaves the working warehouse half rebuilt: the next run must build."""
    row = con.execute(
        "select build_ok, coalesce(built_through_file_id, 0), project_fingerprint "
        "from audit.runs where built order by started_at desc limit 1"
    ).fetchone()
    return (bool(row[0]), int(row[1]), str(row[2])) if row else None


def checks_changed_since_publication(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """True when one of the run's checks (``audit.dq_results``) came out otherwise than in the
    last run that published (a check that run did not make counts as passed there), or when
    no run has published yet: what decides whether a run with nothing else new has anything
    to show the dashboard's readers. Checks the run did not make (Great Expectations runs on
    new batches only) say nothing new."""
    last = con.execute(
        "select run_id from audit.runs where published and run_id <> ? "
        "order by started_at desc limit 1",
        [run_id],
    ).fetchone()
    if last is None:
        return True
    differing = con.execute(
        "select 1 from audit.dq_results r left join audit.dq_results l "
        "on l.run_id = ? and l.check_name = r.check_name and l.subject = r.subject "
        "and l.source is not distinct from r.source "
        "and l.province_code is not distinct from r.province_code "
        "where r.run_id = ? and r.status <> coalesce(l.status, 'pass') limit 1",
        [last[0], run_id],
    ).fetchone()
    return differing is not None
