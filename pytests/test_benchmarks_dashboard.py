"""Dashboard render times per page, cold and warm, on a bigger warehouse (not in `make test`).

    KPIWATCH_BENCH_HOME=/tmp/benchhome uv run pytest -m benchmark -s \\
        pytests/test_benchmarks_dashboard.py

uses a home built before (e.g. ``kpiwatch generate --days 31 --scale 0.05``, ``ingest``,
``build``); without it the test builds one month at ``KPIWATCH_BENCH_SCALE`` (default 0.05).
"Cold" is the first render after the caches were cleared (a new publication: connection
opened, every query run); "warm" is the median of the next renders, which is what every
reader after the first sees until the next publication. The render is the server side of
a page (AppTest runs the same script a browser session does).
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from page_timings import render_times

from core.contract import PROVINCE_CODES
from core.home import Home
from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build


@pytest.fixture(scope="module")
def bench_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    prebuilt = os.environ.get("KPIWATCH_BENCH_HOME")
    if prebuilt:
        return Home.resolve(prebuilt)
    home = Home.resolve(tmp_path_factory.mktemp("dashboard_bench"))
    scale = float(os.environ.get("KPIWATCH_BENCH_SCALE", "0.05"))
    generate(home.landing, date(2026, 10, 1), 31, list(PROVINCE_CODES), scale, 7)
    ingest(home)
    build(home, quiet=True)
    return home


@pytest.mark.benchmark
def test_every_page_renders_in_under_a_second_once_warm(bench_home: Home) -> None:
    size = bench_home.warehouse.stat().st_size / 2**20
    rows = render_times(bench_home)
    print(f"\ndashboard render times on {bench_home.warehouse} ({size:,.0f} MiB)")
    print(f"{'page':<16} {'cold s':>8} {'warm s (median)':>16} {'warm s (max)':>13}")
    for page, cold, warm, slowest in rows:
        print(f"{page:<16} {cold:>8.2f} {warm:>16.3f} {slowest:>13.3f}")
    assert all(warm < 1.0 for _, _, warm, _ in rows), rows
