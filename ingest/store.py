"""The raw and audit tables ingest writes, created from the contract.

Raw tables keep every version of every record exactly as typed from the file, with the
file it came from (``ingest_file_id``) and its position there (``source_row_number``).
``_reasons`` and ``_record`` carry a row's faults only while its file is being loaded:
faulty rows move to ``audit.quarantine`` in the same transaction, so both are always
null in a committed raw table.
"""

from __future__ import annotations

import duckdb

from core.contract import SOURCES, raw_columns
from core.sql import literal
from ingest.rules import REASON_TYPE

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
create schema if not exists ingest_state;
create table if not exists ingest_state.landing_stats (
    path varchar primary key,
    content_hash varchar not null,
    bytes bigint not null,
    mtime_ns bigint not null,
    ctime_ns bigint not null,
    inode bigint not null
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

STATUS = ("loaded", "skipped_duplicate", "failed", "refused")

COMMENTS = {
    "audit.ingest_files": (
        "One row per landing file seen by kpiwatch ingest: rows_read = rows_loaded + "
        "rows_quarantined for every loaded file."
    ),
    "audit.ingest_files.file_id": "Id of the file; raw rows carry it as ingest_file_id.",
    "audit.ingest_files.path": "Path of the file relative to the landing folder.",
    "audit.ingest_files.content_hash": (
        "SHA-256 of the file's bytes as delivered; empty for a refused entry (never read)."
    ),
    "audit.ingest_files.status": (
        "loaded; skipped_duplicate (the same content loaded before for the same source); "
        "failed (the file cannot be read as a whole: error says why, without its content); "
        "refused (a link leading outside the landing folder: never read)."
    ),
    "audit.ingest_files.encoding": "utf-8 or gb18030 for text files (null for Parquet).",
    "audit.ingest_files.rows_read": "Data records in the file.",
    "audit.ingest_files.rows_loaded": "Records that passed every rule and are in raw.",
    "audit.ingest_files.rows_quarantined": "Records moved to audit.quarantine.",
    "audit.ingest_files.error": (
        "Why a failed file could not be read, or why an entry was refused: plain words and a "
        "line number, never the file's content."
    ),
    "audit.ingest_files.duplicate_of": "For skipped_duplicate: the file_id of the same content.",
    "audit.ingest_files.loaded_at": "When the file was recorded; stands in for absent updated_at.",
    "ingest_state.landing_stats": (
        "The file-system identity of each landing file when its content was last hashed: "
        "a file whose size, modification and change times and inode are unchanged is not "
        "read again. Private to the working warehouse (never published)."
    ),
    "audit.quarantine": "Delivered records that broke a landing-contract rule, with every reason.",
    "audit.quarantine.row_number": "1-based position of the record among the file's data records.",
    "audit.quarantine.reasons": (
        "Stable reason codes, one per broken rule; malformed_line for a line that cannot be "
        "taken apart into fields (the rest of its file loads)."
    ),
    "audit.quarantine.messages": (
        "Readable messages naming the column and the value; for malformed_line, the line "
        "number and what is wrong, never the line itself."
    ),
    "audit.quarantine.record": (
        "The record as delivered (personal data hashed), as JSON; null for malformed_line "
        "(its fields are unknown, so personal data in it could not be hashed)."
    ),
}
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
