"""The raw tables ingest writes, created from the contract, beside the audit tables of
files and quarantine (defined in ``core.audit.ingest_files``) that it fills.

Raw tables keep every version of every record exactly as typed from the file, with the
file it came from (``ingest_file_id``) and its position there (``source_row_number``).
``_reasons`` and ``_record`` carry a row's faults only while its file is being loaded:
faulty rows move to ``audit.quarantine`` in the same transaction, so both are always
null in a committed raw table.
"""

from __future__ import annotations

import duckdb

from core.audit.ingest_files import COMMENTS
from core.audit.ingest_files import DDL as AUDIT
from core.contract import SOURCES, raw_columns
from core.sql import literal
from ingest.rules import REASON_TYPE

RAW_COMMENT = (
    "{title} ({title_zh}) as delivered: every version of every record that passed the "
    "landing-file contract, typed; ingest_file_id and source_row_number trace each row to "
    "its file and line."
)


def raw_table(source: str) -> str:
    return f"raw.{source}"


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create whatever is missing; existing tables and their rows are left as they are.

    One transaction: each statement on its own would be a commit (and a WAL sync) of
    its own, and every ingest, build and run starts here."""
    con.begin()
    try:
        _create(con)
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(AUDIT)
    wanted: dict[str, str] = {}
    for name, source in SOURCES.items():
        columns = ",\n    ".join(f"{col} {typ}" for col, typ in raw_columns(source))
        con.execute(
            f"create table if not exists {raw_table(name)} (\n    {columns},\n"
            "    ingest_file_id bigint not null,\n    source_row_number bigint not null,\n"
            f"    _reasons {REASON_TYPE},\n    _record json\n)"
        )
        title = name.replace("_", " ").capitalize()
        wanted[raw_table(name)] = RAW_COMMENT.format(title=title, title_zh=source.title_zh)
    wanted.update(COMMENTS)
    present = _comments(con)
    for target, text in wanted.items():
        if present.get(target) != text:  # a comment set again is a write: only when it differs
            kind = "table" if target.count(".") == 1 else "column"
            con.execute(f"comment on {kind} {target} is {literal(text)}")


def _comments(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """The comments the raw and audit tables and their columns carry now, by target name.

    Setting a comment rewrites the catalog even when the text is the same, so a run with
    nothing new (hourly) would otherwise rewrite the working warehouse every time."""
    schemas = ["raw", "audit", "ingest_state"]
    tables = con.execute(
        "select schema_name || '.' || table_name, comment from duckdb_tables() "
        "where database_name = current_database() and list_contains(?, schema_name)",
        [schemas],
    ).fetchall()
    columns = con.execute(
        "select schema_name || '.' || table_name || '.' || column_name, comment "
        "from duckdb_columns() "
        "where database_name = current_database() and list_contains(?, schema_name)",
        [schemas],
    ).fetchall()
    return dict(tables + columns)
