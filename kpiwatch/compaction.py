"""Give a DuckDB file back the space that deleted rows and replaced tables left in it.

DuckDB never moves live blocks: after a ``delete`` or a ``create or replace table`` the old
blocks stay in the file as free blocks, reused by later writes but never returned, and a
checkpoint only truncates free blocks at the very end of the file (DuckDB's "Reclaiming
space" page). An incremental build starts from a copy of the published file and rebuilds
or delete+inserts its tables in it, and each publication replaces the audit trail in it, so
without help the published file would carry a build's worth of free blocks or more.

Compaction copies every schema, table, view, sequence and comment into a fresh file with
``COPY FROM DATABASE`` (what DuckDB's documentation recommends) and renames it over the
old one. It runs only when the free blocks are more than ``MAX_FREE_SHARE`` of the file
(5 %), so a build that freed little pays nothing.
The caller holds the writer lock and nobody else has the file open. kpiwatch compacts the
next publication and the working warehouse when it publishes (``kpiwatch.build.publish``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.home import Home
from core.sql import literal
from core.warehouse import SESSION, refused_as_busy

MAX_FREE_SHARE = 0.05
"""Compact when more than this share of the file's blocks is free: the file then stays
within about 5 % of what a fresh build of the same data writes."""


@dataclass(frozen=True)
class Compaction:
    """What one call found and did; sizes in bytes."""

    path: Path
    bytes_before: int
    bytes_after: int
    free_share: float
    compacted: bool
    seconds: float


def free_share(con: duckdb.DuckDBPyConnection, database: str) -> float:
    """Free blocks as a share of all blocks of the attached ``database``."""
    total, free = con.execute(
        "select total_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [database],
    ).fetchone()
    return free / total if total else 0.0


def compact(path: Path, share: float | None = None, *, always: bool = False) -> Compaction:
    """Rewrite ``path`` into a fresh file when its free blocks exceed ``share`` (or
    ``always``: what the same data takes in a fresh file, for measurements)."""
    share = MAX_FREE_SHARE if share is None else share
    began = time.perf_counter()
    before = path.stat().st_size
    fresh = path.with_name(path.name + ".compacting")
    fresh.unlink(missing_ok=True)
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = {literal(SESSION['memory_limit'])}")
        con.execute(f"set temp_directory = {literal(str(path.parent / 'compaction.tmp'))}")
        with refused_as_busy(path):  # someone opened it (an analyst's duckdb): WriterBusy
            con.execute(f"attach {literal(str(path))} as worn")
        con.execute("checkpoint worn")  # free blocks at the end go first, and the count is true
        found = free_share(con, "worn")
        if found <= share and not always:
            return Compaction(path, before, path.stat().st_size, found, False, 0.0)
        try:
            con.execute(f"attach {literal(str(fresh))} as fresh")
            con.execute("copy from database worn to fresh")
            con.execute("detach fresh")  # checkpoints it
        except BaseException:
            fresh.unlink(missing_ok=True)
            raise
    with fresh.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(fresh, path)
    return Compaction(path, before, path.stat().st_size, found, True, time.perf_counter() - began)


def compact_home(home: Home) -> list[Compaction]:
    """The next publication and the working warehouse, each if worn (at publishing: the
    caller holds the writer lock and has closed both). The working warehouse frees blocks
    at every build (dbt replaces the seeds there) and when retention prunes audit rows."""
    return [compact(path) for path in (home.publication, home.work) if path.exists()]
