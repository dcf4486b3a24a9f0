"""``audit.ingest_files``, ``audit.quarantine`` and ``ingest_state.landing_stats``: what
every landing file did, every refused record and why, and what a file looked like on disk
when it was last read.

Ingest fills them; checks, the lake, builds, retention and the dashboard read them. Their
definition and their descriptions live here, once.
"""

from __future__ import annotations

import duckdb

DDL = """
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


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; existing rows stay (descriptions: ``ingest.store``)."""
    con.execute(DDL)
