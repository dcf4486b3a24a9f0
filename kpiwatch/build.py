"""Build the warehouse aside with dbt, and publish it only if its tests pass.

Readers (the dashboard, analysts' SQL sessions) hold the published file open read-only,
and DuckDB allows one writer or many readers, never both. So a build never writes where
readers read. Ingest writes the raw layer and the audit trail into the working warehouse
``<home>/work/warehouse.duckdb``, which only the writer opens (under the home's writer
lock). ``dbt build`` reads it and writes what readers use (the marts and the intermediate
aggregates) into a fresh file, ``<home>/work/publication.duckdb``, attached to dbt's
session as ``publication``; staging views and seeds stay in the working warehouse. When
no error-severity test failed, the audit trail is copied into the publication, and the
file is renamed over ``<home>/warehouse.duckdb`` in one atomic step. A reader that has
the old file open keeps reading it; its next connection sees the new one. A failed build
publishes nothing and says why.

Publishing costs a rename, not a copy of the warehouse: the raw rows (every version of
every ticket, with personal data) are never copied and never reach readers.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core import build_state
from core.config import ConfigError, severity
from core.home import PROJECT_DIR, Home
from core.sql import literal
from core.warehouse import (
    PUBLICATION,
    busy_file,
    exclusive,
    lock_descriptors,
    refused_as_busy,
)
from core.warehouse import connect_unlocked as writer_connection
from ingest import store
from kpiwatch import build_basis, children, compaction


class BuildError(RuntimeError):
    """dbt failed: nothing was published; the message says what failed."""


@dataclass(frozen=True)
class BuildResult:
    published: Path
    seconds: float
    nodes: int
    publish_seconds: float
    start: build_basis.Start | None = None


def run_dbt(
    home: Home,
    database: Path,
    args: list[str],
    quiet: bool = False,
    project: Path = PROJECT_DIR,
    *,
    env: dict[str, str] | None = None,
    dbt_dir: Path | None = None,
    publication: Path | None = None,
    publication_read_only: bool = False,
) -> tuple[bool, list[str], int]:
    """Run one dbt command against ``database``; return (ok, failures, nodes run).

    The marts go to ``publication`` (default: the home's next publication), attached
    read-only with ``publication_read_only`` (to document the published file).
    dbt runs in a child process: its DuckDB connection is closed (and checkpointed) when
    the process ends, before anything moves the file, and its logging stays its own. The
    child inherits the writer lock when this process holds it, and dies with this process
    (``kpiwatch.children``): it never writes without the lock. ``dbt_dir`` keeps another
    target's artifacts (target/, logs/) apart from the home's, and is also where the child
    process runs. Raises ``WriterBusy`` when dbt met another process's lock on a file.
    """
    environment = {
        **os.environ,
        "KPIWATCH_DBT_DATABASE": str(database),
        "KPIWATCH_DBT_PUBLICATION": str(publication or home.publication),
        "KPIWATCH_DBT_PUBLICATION_READ_ONLY": "true" if publication_read_only else "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        **(env or {}),
    }
    args = [*args, *vars_args(home, project)]
    target = dbt_dir / "target" if dbt_dir else home.dbt_target
    logs = dbt_dir / "logs" if dbt_dir else home.dbt_logs
    command = [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--project-dir", str(project),
        "--profiles-dir", str(project),
        "--target-path", str(target),
        "--log-path", str(logs),
    ]  # fmt: skip
    results = target / "run_results.json"
    results.unlink(missing_ok=True)
    done = children.run(
        command, env=environment, cwd=dbt_dir, capture=quiet, locks=lock_descriptors(home)
    )
    failures: list[str] = []
    nodes = 0
    if results.exists():
        for node in json.loads(results.read_text())["results"]:
            nodes += 1
            if node["status"] in ("error", "fail", "runtime error"):
                failures.append(f"{node['unique_id']}: {node.get('message') or node['status']}")
    if done.returncode != 0 and not failures:
        failures.append(done.output.strip()[-2000:] or "dbt failed")
    for failure in failures:
        busy = busy_file(failure, database)
        if busy is not None:  # someone opened a file between our check and dbt's start
            raise busy
    return done.returncode == 0, failures, nodes


def _severity(home: Home, project: Path) -> severity.SeveritySettings:
    try:
        return severity.load(home.root, project)
    except ConfigError as exc:
        raise BuildError(str(exc)) from exc


def severity_vars(home: Home, project: Path = PROJECT_DIR) -> dict[str, object]:
    """dbt vars carrying kpiwatch.toml's ``[severity]`` bands to kpi_breaches (none when
    the file keeps kpiwatch's defaults). Raises BuildError naming the key that is wrong."""
    settings = _severity(home, project)
    return settings.dbt_vars() if settings.overrides else {}


def vars_args(home: Home, project: Path = PROJECT_DIR) -> list[str]:
    """The ``--vars`` of every dbt command: the severity bands, when kpiwatch.toml sets them
    (none otherwise, so dbt's partial parsing holds from build to build)."""
    variables = severity_vars(home, project)
    return ["--vars", json.dumps(variables)] if variables else []


def marts_fingerprint(home: Home, project: Path = PROJECT_DIR) -> str:
    """What the marts are judged by: the dbt project and, when kpiwatch.toml sets them, the
    severity bands. A passed build records it; ``kpiwatch run`` rebuilds when it changed."""
    fingerprint = build_state.project_fingerprint(project)
    settings = _severity(home, project)
    if settings.overrides:
        fingerprint = f"{fingerprint[:8]}{settings.fingerprint()[:8]}"
    return fingerprint


def invocation_id(home: Home) -> str:
    """dbt's id for its last run in the home (in run_results.json and dbt.log)."""
    try:
        results = json.loads((home.dbt_target / "run_results.json").read_text())
        return str(results["metadata"]["invocation_id"])
    except (OSError, ValueError, KeyError):
        return "unknown"


# The schemas dbt builds in the working warehouse (staging views), and those that older
# versions built there (everything now goes to the publication).
BUILT_SCHEMAS = ("staging", "intermediate", "marts")


def drop_built_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what the last build left in the working warehouse: staging is rebuilt anyway.

    Older versions built the marts in the working warehouse; dropping them keeps a stale
    ``marts`` schema from shadowing the publication's (see ``attach_publication``).
    """
    for schema in BUILT_SCHEMAS:
        con.execute(f"drop schema if exists {schema} cascade")
    con.execute("checkpoint")


def _remove(database: Path) -> None:
    for path in (database, database.with_name(database.name + ".wal")):
        path.unlink(missing_ok=True)


def copy_audit(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the attached publication's audit schema with the working warehouse's.

    Same definitions (types, constraints, comments) and rows: the dashboard's data-health
    page and the alert log read them from the published file.
    """
    work = con.execute("select current_database()").fetchone()[0]
    tables = con.execute(
        "select table_name, sql, comment from duckdb_tables() "
        "where database_name = ? and schema_name = 'audit' order by table_name",
        [work],
    ).fetchall()
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = 'audit' and comment is not null",
        [work],
    ).fetchall()
    con.execute(f"drop schema if exists {PUBLICATION}.audit cascade")
    con.execute(f"create schema {PUBLICATION}.audit")
    con.execute(f"use {PUBLICATION}")
    try:
        for _, ddl, _ in tables:
            con.execute(ddl)  # "CREATE TABLE audit.<name>(...)", now in the publication
    finally:
        con.execute(f"use {work}")
    for name, _, comment in tables:
        target = f"{PUBLICATION}.audit.{name}"
        con.execute(f"insert into {target} select * from {work}.audit.{name}")
        if comment is not None:
            con.execute(f"comment on table {target} is {literal(comment)}")
    for name, column, comment in columns:
        con.execute(
            f'comment on column {PUBLICATION}.audit.{name}."{column}" is {literal(comment)}'
        )


def publish(home: Home) -> float:
    """Publish the next publication with the current audit trail; return seconds taken.

    After a build, the next publication holds the new marts. Without one (publishing
    again after alerts were delivered, or a run with nothing new to build), the current
    publication is copied first, so only its audit trail changes. A staged file that the
    last build did not record as passed (a build killed during its tests) is never
    published: it is removed, and the current publication is copied instead. The caller
    holds ``exclusive(home)``.
    """
    began = time.perf_counter()
    staged = home.publication
    from_build = build_state.tested(home)
    if not from_build:
        _remove(staged)
    if not staged.exists():
        if not home.warehouse.exists():
            raise BuildError("nothing to publish yet: run `kpiwatch build`")
        build_basis.copy_file(home.warehouse, staged)  # shares blocks where it can
    with writer_connection(home) as con:
        with refused_as_busy(staged):
            con.execute(f"attach {literal(str(staged))} as {PUBLICATION}")
        copy_audit(con)
        con.execute(f"detach {PUBLICATION}")  # checkpoints it
    compaction.compact_home(home)  # replaced tables and deleted rows leave free blocks
    with staged.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, home.warehouse)
    if from_build:
        build_state.record(home, build_state.PUBLISHED, **_passed_details(home))
    return time.perf_counter() - began


def _passed_details(home: Home) -> dict[str, str]:
    """What the passed build recorded, carried into the ``published`` record."""
    last = build_state.read(home) or {}
    kept = ("invocation_id", "built_through", "fingerprint")
    return {key: last[key] for key in kept if key in last} | {
        "invocation_id": last.get("invocation_id", "unknown")
    }


def seeds_loaded_by_last_build(home: Home, project: Path = PROJECT_DIR) -> bool:
    """True when the last build by any command passed with the project as it is now.

    dbt loads the seeds (the reference data) into the working warehouse's ``raw`` schema,
    where they stay between builds; the project's fingerprint covers them. So when the last
    build passed with the same fingerprint, they are in the working warehouse as the project
    has them, and an incremental build need not load them again (seven tables, each
    created, filled and commented: a fixed cost of every build). A build that failed or was
    killed may have loaded other seeds: the next one loads them again.
    """
    last = build_state.read(home) or {}
    if last.get("state") not in (build_state.PASSED, build_state.PUBLISHED):
        return False
    try:
        return last.get("fingerprint") == marts_fingerprint(home, project)
    except BuildError:
        return False


def build(
    home: Home,
    quiet: bool = False,
    project: Path = PROJECT_DIR,
    publish_after: bool = True,
    unit_tests: bool = False,
    full_refresh: bool = False,
    data_tests: bool = True,
) -> BuildResult:
    """dbt build on the working warehouse; publish it if every error-severity test passed.

    ``publish_after=False`` leaves publishing to the caller (``kpiwatch run`` checks the
    data first); hold ``exclusive(home)`` across both so nothing writes in between.
    dbt's unit tests run only with ``unit_tests=True`` (development and CI): their inputs
    are fixed rows in the project, so a build over new data learns nothing new from them,
    which is why dbt itself advises leaving them out of production builds.
    ``data_tests=False`` leaves out the data tests too: only for a test that compares this
    build's tables with those of a build that ran them (equal tables pass the same tests).
    A build records its progress (``core.build_state``) so that a build killed before
    its tests passed is never published and the next run builds again.

    The build starts from a copy of the published warehouse when what it was built from
    still holds (``kpiwatch.build_basis``), and the incremental models then recompute only
    what the files loaded since can change (docs/incremental.md); else, or with
    ``full_refresh``, from an empty file. The copy is a private file: the published one is
    never written, so a failed or killed build leaves it as it was.
    """
    began = time.perf_counter()
    with exclusive(home):
        seeded = seeds_loaded_by_last_build(home, project)
        with writer_connection(home) as con:
            build_state.record(home, build_state.BUILDING)
            store.create(con)  # a build before any ingest still has its sources
            (through,) = con.execute(
                "select coalesce(max(file_id) filter (where status = 'loaded'), 0) "
                "from audit.ingest_files"
            ).fetchone()
            drop_built_schemas(con)
            basis = build_basis.current(con, project)
            _remove(home.publication)  # never a leftover: a copy of the published one, or none
            start = build_basis.start(home, basis, con, full_refresh)
        excluded = [] if unit_tests else ["unit_test"]
        if not data_tests:
            excluded.append("test")
        command = ["build"]
        left_out = []
        if start.incremental:
            # A fact's unique test would read every row of the keys that arrived, which its
            # reconciliation with raw reads too and fails on a key kept twice ("a business
            # key kept twice"): on an incremental build it finds nothing the other does not.
            left_out.append("tag:fact_unique_key")
        if start.incremental and seeded:
            # The working warehouse holds the seeds as they are, and the copy of the
            # publication the dimensions read from them, which passed their tests then:
            # leave out both and every test that reads nothing else (tag reference; a test
            # that also reads a fact, as a relationship does, still runs).
            excluded.append("seed")
            left_out.append("tag:reference")
        if left_out:
            command += ["--exclude", *left_out, "--indirect-selection", "cautious"]
        for kind in excluded:
            command += ["--exclude-resource-type", kind]
        ok, failures, nodes = run_dbt(home, home.work, command, quiet, project)
        if ok:
            with writer_connection(home) as con:
                with refused_as_busy(home.publication):
                    con.execute(f"attach {literal(str(home.publication))} as {PUBLICATION}")
                build_basis.write(con, basis)
                con.execute(f"detach {PUBLICATION}")
            build_state.record(
                home,
                build_state.PASSED,
                invocation_id=invocation_id(home),
                built_through=str(through),
                fingerprint=marts_fingerprint(home, project),
            )
        else:
            _remove(home.publication)  # never published, not even by a later run
            build_state.record(home, build_state.FAILED, invocation_id=invocation_id(home))
            raise BuildError(
                "dbt build failed; the published warehouse was left untouched:\n  "
                + "\n  ".join(failures or ["see " + str(home.dbt_logs / "dbt.log")])
            )
        publish_seconds = publish(home) if publish_after else 0.0
    return BuildResult(home.warehouse, time.perf_counter() - began, nodes, publish_seconds, start)
