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
import statistics
import time
from datetime import date

import duckdb
import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build
from kpiwatch.contract import PROVINCE_CODES
from kpiwatch.home import PROJECT_DIR, Home

PAGES = ("overview", "province", "kpi", "breaches", "health", "definitions")
WARM_RUNS = 5


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
    os.environ["KPIWATCH_HOME"] = str(bench_home.root)
    config.set_option("server.address", "127.0.0.1")  # loopback, no sign-in: national viewer
    size = bench_home.warehouse.stat().st_size / 2**20
    rows = []
    # Import Streamlit's, Altair's and the app's modules once: a server does that at start.
    AppTest.from_file(str(PROJECT_DIR / "dashboards" / "app.py"), default_timeout=600).run()
    # Every page with its defaults, and the province page of the province with the most
    # breach cases, the heaviest it can be asked for.
    with duckdb.connect(str(bench_home.warehouse), read_only=True) as con:
        worst = con.execute(
            "select province_code from marts.kpi_breach_cases "
            "group by province_code order by count(*) desc limit 1"
        ).fetchone()[0]
    for page, params in [*((p, {}) for p in PAGES), ("province", {"province": worst})]:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(PROJECT_DIR / "dashboards" / "app.py"), default_timeout=600)
        at.query_params["page"] = page
        for key, value in params.items():
            at.query_params[key] = value
        page = " ".join([page, *params.values()])
        began = time.perf_counter()
        at.run()
        cold = time.perf_counter() - began
        assert not at.exception, [e.value for e in at.exception]
        warm = []
        for _ in range(WARM_RUNS):
            began = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - began)
        rows.append((page, cold, statistics.median(warm), max(warm)))
    print(f"\ndashboard render times on {bench_home.warehouse} ({size:,.0f} MiB)")
    print(f"{'page':<16} {'cold s':>8} {'warm s (median)':>16} {'warm s (max)':>13}")
    for page, cold, warm, slowest in rows:
        print(f"{page:<16} {cold:>8.2f} {warm:>16.3f} {slowest:>13.3f}")
    assert all(warm < 1.0 for _, _, warm, _ in rows), rows
