"""Render times of every dashboard page, cold and warm, on a published warehouse.

"Cold" is the first render after Streamlit's caches were cleared (what the first reader
after a new publication sees: connection opened, every query run); "warm" is the median of
the next renders, what every later reader sees. A render is the server side of a page:
AppTest runs the same script a browser session does. Used by the dashboard and the history
benchmarks (``pytests/test_benchmarks_dashboard.py``, ``pytests/test_benchmarks_history.py``).
"""

from __future__ import annotations

import os
import statistics
import time

import duckdb
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from core.home import PROJECT_DIR, Home

PAGES = ("overview", "province", "kpi", "breaches", "health", "definitions")
WARM_RUNS = 5
APP = str(PROJECT_DIR / "dashboards" / "app.py")


def render_times(home: Home) -> list[tuple[str, float, float, float]]:
    """(page, cold s, warm s median, warm s max) for every page with its defaults, and the
    province page of the province with the most breach cases, the heaviest it can be."""
    os.environ["KPIWATCH_HOME"] = str(home.root)
    config.set_option("server.address", "127.0.0.1")  # loopback, no sign-in: national viewer
    AppTest.from_file(APP, default_timeout=600).run()  # imports once, as a server does at start
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        worst = con.execute(
            "select province_code from marts.kpi_breach_cases "
            "group by province_code order by count(*) desc limit 1"
        ).fetchone()
    rows = []
    pages = [(p, {}) for p in PAGES] + ([("province", {"province": worst[0]})] if worst else [])
    for page, params in pages:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["page"] = page
        for key, value in params.items():
            at.query_params[key] = value
        began = time.perf_counter()
        at.run()
        cold = time.perf_counter() - began
        assert not at.exception, [e.value for e in at.exception]
        warm = []
        for _ in range(WARM_RUNS):
            began = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - began)
        rows.append((" ".join([page, *params.values()]), cold, statistics.median(warm), max(warm)))
    return rows
