"""Build the warehouse aside with dbt, and publish it only if its tests pass.

Readers (the dashboard, analysts' SQL sessions) hold the published file open read-only,
and DuckDB allows one writer or many readers, never both. So a build never writes where
readers read: it builds ``<home>/build/warehouse.duckdb``, runs ``dbt build`` (models,
seeds and their tests), and only when no error-severity test failed does it move the
file over ``<home>/warehouse.duckdb`` in one atomic rename. A reader that has the old
file open keeps reading it; its next connection sees the new one. The build file keeps
the published file's name, because dbt-duckdb names the catalog after the file stem and
views refer to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kpiwatch.home import PROJECT_DIR, Home


class BuildError(RuntimeError):
    """dbt failed: nothing was published; the message says what failed."""


@dataclass(frozen=True)
class BuildResult:
    published: Path
    seconds: float
    nodes: int


def run_dbt(
    home: Home, database: Path, args: list[str], quiet: bool = False
) -> tuple[bool, list[str], int]:
    """Run one dbt command against ``database``; return (ok, failures, nodes run).

    dbt runs in a child process: its DuckDB connection is closed (and checkpointed) when
    the process ends, before anything moves the file, and its logging stays its own.
    """
    env = {
        **os.environ,
        "KPIWATCH_DBT_DATABASE": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
    }
    command = [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(home.dbt_target),
        "--log-path", str(home.dbt_logs),
    ]  # fmt: skip
    results = home.dbt_target / "run_results.json"
    results.unlink(missing_ok=True)
    done = subprocess.run(command, env=env, capture_output=quiet, text=True, check=False)
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


def build(home: Home, quiet: bool = False) -> BuildResult:
    """dbt build aside, then publish atomically; raise BuildError and publish nothing on failure."""
    home.ensure()
    began = time.perf_counter()
    staging = home.root / "build"
    staging.mkdir(exist_ok=True)
    target = staging / home.warehouse.name
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    ok, failures, nodes = run_dbt(home, target, ["build", "--fail-fast"], quiet)
    if not ok:
        raise BuildError(
            "dbt build failed; the published warehouse was left untouched:\n  "
            + "\n  ".join(failures or ["see " + str(home.dbt_logs / "dbt.log")])
        )
    os.replace(target, home.warehouse)
    return BuildResult(home.warehouse, time.perf_counter() - began, nodes)
