"""The raw and audit tables ingest writes, created from the contract.

Raw tables keep every version of every record exactly as typed from the file, with the
file it came from (``ingest_file_id``) and its position there (``source_row_number``).
``_reasons`` and ``_record`` carry a row's faults only while its file is being loaded:
faulty rows move to ``audit.quarantine`` in the same transaction, so both are always
null in a committed raw table.
"""

from __future__ import annotations

import duckdb

from ingest.rules import REASON_TYPE, raw_columns
from kpiwatch.contract import SOURCES

AUDIT = """
create schema if not exists raw;
create schema if not exists audit;
create sequence if not exists audit.ingest_file_ids start 1;
create table if not exists audit.ingest_files (
    file_id bigint primary key,
    source varchar not null,
    path varchar not null,
    content_hash varchar not null,
    status varchar not null,
    format varchar,
    encoding varchar,
    bytes bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    error varchar,
    duplicate_of bigint,
    loaded_at timestamptz not null,
    seconds double
);
create table if not exists audit.quarantine (
    file_id bigint not null,
    source varchar not null,
    path varchar not null,
    row_number bigint not null,
    reasons varchar[] not null,
    messages varchar[] not null,
    record json
);
"""

STATUS = ("loaded", "skipped_duplicate", "failed")


def raw_table(source: str) -> str:
    return f"raw.{source}"


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create whatever is missing; existing tables and their rows are left as they are."""
    con.execute(AUDIT)
    for name, source in SOURCES.items():
        columns = ",\n    ".join(f"{col} {typ}" for col, typ in raw_columns(source))
        con.execute(
            f"create table if not exists {raw_table(name)} (\n    {columns},\n"
            "    ingest_file_id bigint not null,\n    source_row_number bigint not null,\n"
            f"    _reasons {REASON_TYPE},\n    _record json\n)"
        )
