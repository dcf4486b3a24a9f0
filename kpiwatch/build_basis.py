"""What a publication was built from, so that the next build may start from it.

An incremental build (docs/incremental.md) starts from a copy of the published warehouse
and recomputes only the rows that the files loaded since can change. That is exact only if
the copy's marts were built by the same dbt project and engine, from the raw files that the
working warehouse still holds under the same ids. So every build that passes writes its
basis into its own publication (``intermediate.build_basis``, one row): the last file id it
saw, a digest of the audit rows of every file up to it, the project's fingerprint and the
DuckDB version. The basis travels inside the file it describes, so a publication and its
basis can never disagree; any difference with the working warehouse means a full rebuild.

The fingerprint leaves out the KPI catalog: the incremental models compare the catalog
with the one the publication was built with (``int_kpi_versions_built``, in the same
file) and recompute the periods of every version that changed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.build_state import project_fingerprint
from core.home import PROJECT_DIR, Home
from core.sql import literal
from core.warehouse import PUBLICATION

TABLE = "intermediate.build_basis"


@dataclass(frozen=True)
class Basis:
    """The inputs of one build: equal bases mean equal marts for files up to the id."""

    built_through_file_id: int
    files_digest: str
    project_fingerprint: str
    engine: str


def files_digest(con: duckdb.DuckDBPyConnection, through: int) -> str:
    """MD5 of the audit rows of files 1..``through`` in load order: a working warehouse
    rebuilt from scratch reuses ids but not load times, so it never matches an old one."""
    (digest,) = con.execute(
        "select coalesce(md5(string_agg(concat_ws('|', file_id, source, content_hash, status, "
        "rows_loaded, epoch_us(loaded_at)), ';' order by file_id)), '') "
        "from audit.ingest_files where file_id <= ?",
        [through],
    ).fetchone()
    return str(digest)


def current(con: duckdb.DuckDBPyConnection, project: Path = PROJECT_DIR) -> Basis:
    """The basis of a build that starts now, from the working warehouse ``con``."""
    (through,) = con.execute("select coalesce(max(file_id), 0) from audit.ingest_files").fetchone()
    fingerprint = project_fingerprint(project, with_catalog=False)
    return Basis(int(through), files_digest(con, through), fingerprint, _engine())


def _engine() -> str:
    return f"duckdb {duckdb.__version__}"


def write(con: duckdb.DuckDBPyConnection, basis: Basis) -> None:
    """Record ``basis`` in the publication attached to ``con`` (after dbt passed)."""
    table = f"{PUBLICATION}.{TABLE}"
    con.execute(f"create schema if not exists {PUBLICATION}.intermediate")
    con.execute(
        f"create or replace table {table} (built_through_file_id bigint not null, "
        "files_digest varchar not null, project_fingerprint varchar not null, "
        "engine varchar not null)"
    )
    con.execute(
        f"insert into {table} values (?, ?, ?, ?)",
        [basis.built_through_file_id, basis.files_digest, basis.project_fingerprint, basis.engine],
    )
    con.execute(
        f"comment on table {table} is "
        + literal(
            "What these marts were built from (kpiwatch/build_basis.py): the next build "
            "starts from them only if the working warehouse still matches."
        )
    )


def read(path: Path) -> Basis | None:
    """The basis recorded in the publication at ``path``, or None (none recorded)."""
    with duckdb.connect(str(path), read_only=True) as con:
        try:
            row = con.execute(
                "select built_through_file_id, files_digest, project_fingerprint, engine "
                f"from {TABLE}"
            ).fetchall()
        except duckdb.CatalogException:
            return None
    return Basis(int(row[0][0]), *row[0][1:]) if len(row) == 1 else None


@dataclass(frozen=True)
class Start:
    """Where a build starts: from a copy built through ``through`` (None: from nothing)."""

    through: int | None
    reason: str

    @property
    def incremental(self) -> bool:
        return self.through is not None


def why_not_incremental(last: Basis | None, now: Basis, con: duckdb.DuckDBPyConnection) -> str:
    """Why a publication built on ``last`` cannot be the start of a build on ``now``,
    or '' when it can. ``con`` is the working warehouse."""
    if last is None:
        return "the published warehouse records no basis"
    if last.project_fingerprint != now.project_fingerprint:
        return "the dbt project or its reference data changed"
    if last.engine != now.engine:
        return f"the engine changed ({last.engine} -> {now.engine})"
    if last.built_through_file_id > now.built_through_file_id:
        return "the working warehouse holds fewer files than the last build saw"
    if files_digest(con, last.built_through_file_id) != last.files_digest:
        return "the files the last build saw are no longer the same in the working warehouse"
    return ""


def copy_file(source: Path, target: Path) -> None:
    """Copy a database file, sharing its blocks where the file system can (XFS, Btrfs)."""
    subprocess.run(
        ["cp", "--reflink=auto", "--", str(source), str(target)], check=True, capture_output=True
    )


def start(home: Home, now: Basis, con: duckdb.DuckDBPyConnection, full_refresh: bool) -> Start:
    """Put the next publication in place for a build on ``now``: a copy of the published
    warehouse when its basis allows an incremental build, else nothing (dbt builds every
    model from scratch). ``con`` is the working warehouse; the caller holds the writer
    lock and has removed any staged file."""
    if full_refresh:
        return Start(None, "--full-refresh")
    if not home.warehouse.exists():
        return Start(None, "nothing published yet")
    copy_file(home.warehouse, home.publication)
    last = read(home.publication)
    reason = why_not_incremental(last, now, con)
    if reason or last is None:
        home.publication.unlink()
        return Start(None, reason)
    return Start(last.built_through_file_id, f"files after id {last.built_through_file_id}")
