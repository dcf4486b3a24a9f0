"""Connections to the working warehouse (one writer) and the published one (readers).

DuckDB allows one writer process or many readers, never both. kpiwatch keeps them
apart: ingest and dbt write ``<home>/work/`` under an exclusive lock (the raw layer and
the audit trail in ``warehouse.duckdb``, the marts in ``publication.duckdb``), and
publishing renames the publication to ``<home>/warehouse.duckdb``, which readers open
read-only.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from core import build_state
from core.home import Home
from core.sql import literal

SESSION = {
    # No offset means Asia/Shanghai (docs/landing-contract.md): casting a naive text or TIMESTAMP to
    # TIMESTAMPTZ uses the session's time zone.
    "TimeZone": "Asia/Shanghai",
    # Row numbers come from WITH ORDINALITY, not from insertion order: let DuckDB
    # insert in parallel and keep memory flat.
    "preserve_insertion_order": False,
    # Bounded memory whatever the file size: DuckDB spills to disk beyond it.
    "memory_limit": os.environ.get("KPIWATCH_MEMORY_LIMIT", "4GB"),
}


def configure(con: duckdb.DuckDBPyConnection, writer: bool = True) -> duckdb.DuckDBPyConnection:
    """Session settings (set after connecting: TimeZone needs ICU loaded first)."""
    for name, value in SESSION.items() if writer else [("TimeZone", SESSION["TimeZone"])]:
        con.execute(
            f"set {name} = {value!r}" if isinstance(value, str) else f"set {name} = {value}"
        )
    return con


class WriterBusy(RuntimeError):
    """Another process writes the working warehouse: a kpiwatch holding the writer lock,
    or anything else holding DuckDB's own lock on the file (an analyst's ``duckdb`` on
    ``work/warehouse.duckdb``, a stray process). Busy, not broken: try again later."""


_HELD: dict[str, int] = {}
"""Writer locks this process holds, and how deeply: ``kpiwatch run`` holds it for ingest,
build, checks and publishing, and each step may take it again."""

_DESCRIPTORS: dict[str, int] = {}
"""The open lock file of each writer lock held: a child that writes inherits it."""


def lock_descriptors(home: Home) -> tuple[int, ...]:
    """The writer lock's descriptor if this process holds it, for a child to inherit
    (``kpiwatch.children``): an ``flock`` lasts until every copy of it is closed, so the
    lock is then held as long as this process or the child lives."""
    fd = _DESCRIPTORS.get(str(home.lock))
    return (fd,) if fd is not None else ()


LOCK_CONFLICT = "Could not set lock on file"
"""DuckDB's IO error when another process has the database file open."""
_LOCKED_FILE = re.compile(LOCK_CONFLICT + r' "([^"]+)"')
_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def busy_file(error: object, path: Path) -> WriterBusy | None:
    """The ``WriterBusy`` that DuckDB's ``error`` (opening ``path``) means, or None if it is
    another error: one line naming the file and, when DuckDB says, the process holding it."""
    text = str(error)
    if LOCK_CONFLICT not in text:
        return None
    named = _LOCKED_FILE.search(text)
    holder = _HOLDER.search(text)
    who = f"{holder[1]} (PID {holder[2]})" if holder else "another process"
    return WriterBusy(
        f"{named[1] if named else path} is open in {who}, which holds DuckDB's lock on it; "
        "wait for that process to end (or close it) and try again"
    )


@contextmanager
def refused_as_busy(path: Path) -> Iterator[None]:
    """Turn DuckDB's "Could not set lock on file" on ``path`` into ``WriterBusy``."""
    try:
        yield
    except duckdb.IOException as exc:
        busy = busy_file(exc, path)
        if busy is None:
            raise
        raise busy from None


@contextmanager
def exclusive(home: Home) -> Iterator[None]:
    """Hold the home's writer lock: one ingest or build at a time, never two."""
    key = str(home.lock)
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    home.ensure()
    home.work.parent.mkdir(parents=True, exist_ok=True)
    with home.lock.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WriterBusy(
                f"another kpiwatch process is writing {home.work} (lock {home.lock}); "
                "wait for it to finish"
            ) from exc
        _HELD[key] = 1
        _DESCRIPTORS[key] = lock.fileno()
        try:
            yield
        finally:
            del _HELD[key], _DESCRIPTORS[key]


PUBLICATION = "publication"
"""The catalog name under which the next publication is attached (dbt's `profiles.yml` and
`dbt_project.yml` use the same name)."""


def attach_publication(con: duckdb.DuckDBPyConnection, home: Home) -> bool:
    """Let ``marts.<name>`` resolve in the working warehouse's session; False if none.

    The marts live in the next publication while a tested build awaits publishing
    (``kpiwatch run`` checks and raises alerts in between), else in the published
    warehouse, which is then attached read-only: a staged file that no build recorded as
    passed (``build_state``) is never read. Either is attached as ``publication`` and put
    on the search path after the working warehouse's own schemas.
    """
    if build_state.tested(home):
        path, options = home.publication, ""
    elif home.warehouse.exists():
        path, options = home.warehouse, " (read_only)"
    else:
        return False
    with refused_as_busy(path):
        con.execute(f"attach if not exists {literal(str(path))} as {PUBLICATION}{options}")
    work = con.execute("select current_database()").fetchone()[0]
    con.execute(f"set search_path = '{work}.main,{PUBLICATION}.marts'")
    return True


@contextmanager
def connect_unlocked(home: Home, with_marts: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The working warehouse, for a caller that already holds ``exclusive(home)``.

    ``with_marts`` attaches the marts too (``attach_publication``). Raises ``WriterBusy``
    when another process has the file open (DuckDB's own lock).
    """
    with refused_as_busy(home.work):
        con = configure(duckdb.connect(str(home.work)))
    try:
        if with_marts:
            attach_publication(con, home)
        yield con
    finally:
        con.close()


@contextmanager
def writer(home: Home) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single writer of the working warehouse, under the home's writer lock."""
    with exclusive(home), connect_unlocked(home) as con:
        yield con
