"""One small published warehouse shared by the dashboard's tests (AppTest and browser).

All 31 provinces (the map and the matrix are whole), two months each with at least 21
days (so the generator plants incidents in both: breaches now, and a previous month to
compare with), at a small scale. Built once per test run, whichever pytest-xdist worker asks
first (``built_once``).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from built_once import built_once

from core.contract import PROVINCE_CODES
from core.home import Home
from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build

START = date(2026, 9, 10)
DAYS = 45
SCALE = 0.001


def published_home(factory: pytest.TempPathFactory) -> Home:
    """The shared home; ``KPIWATCH_DASHBOARD_TEST_HOME`` names one built before (to iterate
    on the dashboard without rebuilding, or while the models are mid-edit)."""
    prebuilt = os.environ.get("KPIWATCH_DASHBOARD_TEST_HOME")
    if prebuilt:
        return Home.resolve(prebuilt)
    return Home.resolve(built_once(factory, "dashboard_home", _build))


def _build(root: Path) -> None:
    home = Home.resolve(root)
    generate(root / "landing", START, DAYS, list(PROVINCE_CODES), SCALE, 11)
    ingest(home)
    build(home, quiet=True)


def marts_query(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    """The published marts, queried directly (what the dashboard must show)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
