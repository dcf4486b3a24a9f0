"""Build the warehouse aside with dbt, and publish it only if its tests pass.

Readers (the dashboard, analysts' SQL sessions) hold the published file open read-only,
and DuckDB allows one writer or many readers, never both. So a build never writes where
readers read: ingest and dbt write the working warehouse ``<home>/work/warehouse.duckdb``
under the home's writer lock; ``dbt build`` runs models, seeds and tests there; and only
when no error-severity test failed is the working file copied to
``<home>/warehouse.duckdb.publishing`` and renamed over ``<home>/warehouse.duckdb`` in one
atomic step. A reader that has the old file open keeps reading it; its next connection
sees the new one. A failed build publishes nothing and says why. The working file keeps
the published file's name, because dbt-duckdb names the catalog after the file stem and
views refer to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest import store
from kpiwatch.home import PROJECT_DIR, Home
from kpiwatch.warehouse import connect_unlocked as writer_connection
from kpiwatch.warehouse import exclusive


class BuildError(RuntimeError):
    """dbt failed: nothing was published; the message says what failed."""


@dataclass(frozen=True)
class BuildResult:
    published: Path
    seconds: float
    nodes: int
    publish_seconds: float


def run_dbt(
    home: Home,
    database: Path,
    args: list[str],
    quiet: bool = False,
    project: Path = PROJECT_DIR,
    *,
    env: dict[str, str] | None = None,
    dbt_dir: Path | None = None,
) -> tuple[bool, list[str], int]:
    """Run one dbt command against ``database``; return (ok, failures, nodes run).

    dbt runs in a child process: its DuckDB connection is closed (and checkpointed) when
    the process ends, before anything moves the file, and its logging stays its own.
    ``dbt_dir`` keeps another target's artifacts (target/, logs/) apart from the home's,
    and is also where the child process runs.
    """
    environment = {
        **os.environ,
        "KPIWATCH_DBT_DATABASE": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        **(env or {}),
    }
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
    done = subprocess.run(
        command, env=environment, cwd=dbt_dir, capture_output=quiet, text=True, check=False
    )
    failures: list[str] = []
    nodes = 0
    if results.exists():
        for node in json.loads(results.read_text())["results"]:
            nodes += 1
            if node["status"] in ("error", "fail", "runtime error"):
                failures.append(f"{node['unique_id']}: {node.get('message') or node['status']}")
    if done.returncode != 0 and not failures:
        failures.append((done.stderr or done.stdout or "").strip()[-2000:] or "dbt failed")
    return done.returncode == 0, failures, nodes


# The schemas dbt builds. Every model in them is rebuilt from raw on each build.
BUILT_SCHEMAS = ("staging", "intermediate", "marts")


def drop_built_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what the last build made, so this build writes into the freed space.

    dbt writes a table aside and then swaps it in, so the old and the new copy of each mart
    exist at once, and the file would keep the old copies' blocks free for good: 27 % of a
    national warehouse after a few rebuilds, all of it copied again by every publication.
    Nobody reads the working file, so nothing needs the old copies during the build.
    """
    for schema in BUILT_SCHEMAS:
        con.execute(f"drop schema if exists {schema} cascade")
    con.execute("checkpoint")


def publish(home: Home) -> float:
    """Copy the working warehouse over the published one atomically; return seconds taken."""
    began = time.perf_counter()
    staged = home.warehouse.with_name(home.warehouse.name + ".publishing")
    shutil.copyfile(home.work, staged)
    with staged.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, home.warehouse)
    return time.perf_counter() - began


def build(
    home: Home,
    quiet: bool = False,
    project: Path = PROJECT_DIR,
    publish_after: bool = True,
    unit_tests: bool = False,
) -> BuildResult:
    """dbt build on the working warehouse; publish it if every error-severity test passed.

    ``publish_after=False`` leaves publishing to the caller (``kpiwatch run`` checks the
    data first); hold ``exclusive(home)`` across both so nothing writes in between.
    dbt's unit tests run only with ``unit_tests=True`` (development and CI): their inputs
    are fixed rows in the project, so a build over new data learns nothing new from them,
    which is why dbt itself advises leaving them out of production builds.
    """
    began = time.perf_counter()
    with exclusive(home):
        with writer_connection(home) as con:
            store.create(con)  # a build before any ingest still has its sources
            drop_built_schemas(con)
        command = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
        ok, failures, nodes = run_dbt(home, home.work, command, quiet, project)
        if not ok:
            raise BuildError(
                "dbt build failed; the published warehouse was left untouched:\n  "
                + "\n  ".join(failures or ["see " + str(home.dbt_logs / "dbt.log")])
            )
        publish_seconds = publish(home) if publish_after else 0.0
    return BuildResult(home.warehouse, time.perf_counter() - began, nodes, publish_seconds)
