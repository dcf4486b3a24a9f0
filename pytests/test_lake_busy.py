"""`kpiwatch lake export` while another process holds DuckDB's lock on the warehouse.

An analyst's ``duckdb`` (or any stray process) with the warehouse open for writing keeps
every other process from opening it, even read-only. Export then says who holds which
file and exits 75 (busy, try later), in one line and without a traceback; once the other
process is gone, the same command exports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_landing import KPIWATCH, ingest_cli, plant

from core.home import Home
from kpiwatch.cli import EXIT_BUSY

HOLD = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
    "print('open', flush=True); time.sleep(300)"
)
"""A process holding a read-write DuckDB connection (and so DuckDB's lock) on a file."""


def _export(home: Path, lake: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KPIWATCH, "--home", str(home), "lake", "export", str(lake)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "KPIWATCH_PII_KEY": "lake-busy-test"},
    )


@pytest.mark.parametrize("which", ["working", "published"])
def test_export_meeting_duckdbs_lock_exits_75_in_one_line(which: str, tmp_path: Path) -> None:
    home_dir, landing, lake = tmp_path / "home", tmp_path / "landing", tmp_path / "lake"
    plant(
        landing,
        "hall_tickets/a.csv",
        b"ticket_id,hall_id,hall_type,province_code,city_code,taken_at\n"
        b"T1,HALL1,own_hall,110000,110100,2026-10-12 09:00:00\n",
    )
    assert ingest_cli(home_dir, landing, {"KPIWATCH_PII_KEY": "lake-busy-test"}).code == 0
    home = Home.resolve(home_dir)
    if which == "published":  # no working warehouse: export reads the published one
        shutil.move(home.work, home.warehouse)
    held = home.work if which == "working" else home.warehouse
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(held)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"open"
        busy = _export(home_dir, lake)
    finally:
        holder.kill()
        holder.wait()
    said = busy.stdout + busy.stderr
    assert "Traceback" not in said, said
    assert busy.returncode == EXIT_BUSY, said
    assert len(said.strip().splitlines()) == 1, said
    flat = " ".join(said.split())
    assert f"{held} is open in" in flat and f"(PID {holder.pid})" in flat, said
    assert not list(lake.rglob("*.parquet")), "nothing is written while busy"

    done = _export(home_dir, lake)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(lake.glob("raw/hall_tickets/*/*.parquet"))
