"""The audit tables of checks and runs, in the working warehouse beside ingest's.

They live in the warehouse (not in files beside it) so that every publication carries the
checks of the data it publishes, and the dashboard reads them with the same connection.
"""

from __future__ import annotations

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
create table if not exists audit.dq_results (
    run_id varchar not null,
    checked_at timestamptz not null,
    check_name varchar not null,
    source varchar,
    province_code varchar,
    status varchar not null,
    observed double,
    expected varchar,
    details json,
    subject varchar not null
);
"""


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; existing rows stay."""
    con.execute(DDL)


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
