"""How long the checks take next to the build, at scale: not part of ``make test``.

    KPIWATCH_BENCH_SCALE=0.05 uv run pytest -m benchmark -s pytests/test_benchmark_run.py

Generates a month for all 31 provinces and runs ``kpiwatch run`` three times: a backfill of
everything but the last day's deliveries, then the last day alone (what a daily scheduled
run sees), then nothing new. Prints each step's seconds, Great Expectations' throughput and
this process's peak memory (dbt runs in its own process).
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.contract import PROVINCE_CODES
from core.home import PROJECT_DIR, Home
from generator import generate
from kpiwatch.pipeline import RunReport, run

pytestmark = pytest.mark.benchmark

SCALE = float(os.environ.get("KPIWATCH_BENCH_SCALE", "0.05"))
LAST_ARRIVAL = "2026-11-01"


def _rows(home: Home) -> int:
    with duckdb.connect(str(home.work), read_only=True) as con:
        return con.execute(
            "select coalesce(sum(rows_loaded), 0) from audit.ingest_files where status = 'loaded'"
        ).fetchone()[0]


def _report(name: str, report: RunReport, rows: int) -> None:
    checks = report.checks.seconds
    gx = checks.get("gx_read", 0) + checks.get("gx_validate", 0)
    build = report.seconds.get("build", 0.0)
    ratio = f"{report.seconds['checks'] / build:.2f}" if build else "n/a (no build)"
    steps = {k: round(v, 1) for k, v in report.seconds.items()}
    print(f"{name}: {rows:,} new rows; steps {steps}")
    print(f"  checks {({k: round(v, 1) for k, v in checks.items()})}; checks / build = {ratio}"
          + (f"; GX read+validate {rows / gx:,.0f} rows/s" if gx else ""))  # fmt: skip


def test_checks_against_build_at_scale(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    began = time.perf_counter()
    generate(landing, date(2026, 10, 1), 31, list(PROVINCE_CODES), SCALE, 7)
    generated = time.perf_counter() - began
    held = tmp_path / "held"
    for folder in landing.glob(f"*/{LAST_ARRIVAL[:8]}*"):
        if folder.name >= LAST_ARRIVAL:
            target = held / folder.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(target)
    project = tmp_path / "project"  # as of now: others' edits must not trigger rebuilds
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "data", "target", "logs", "pytests"))  # fmt: skip
    home = Home.resolve(tmp_path / "home")

    backfill = run(home, landing, send=False, project=project)
    month = _rows(home)
    for folder in held.glob("*/*"):
        folder.rename(landing / folder.relative_to(held))
    daily = run(home, landing, send=False, project=project)
    day = _rows(home) - month
    idle = run(home, landing, send=False, project=project)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    size = home.warehouse.stat().st_size / 1e9
    print(f"\nscale {SCALE}, 31 provinces: generated in {generated:.0f} s; warehouse {size:.2f} GB;"
          f" peak RSS of this process {peak:.2f} GB")  # fmt: skip
    _report("backfill (30 days of deliveries)", backfill, month)
    _report(f"daily (deliveries arriving from {LAST_ARRIVAL})", daily, day)
    _report("idle (nothing new)", idle, 0)
    assert backfill.build_error is None and daily.build_error is None
    assert daily.built and not idle.built
