"""Shared fixtures: one small generated, ingested and built warehouse for the session.

Building a warehouse is the slow part of most tests, so it happens once; a test that
changes the home gets its own copy (``home_copy``), which is cheap at this size.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dashboard_warehouse
import pytest
from receivers import HttpReceiver

from core.home import Home
from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build

# A pytest-xdist worker runs under execnet, whose ``__main__`` has neither a spec nor a file:
# PySpark then takes itself for a doctest run and ends the worker with exit 0 when Great
# Expectations imports it (pyspark/sql/connect/utils.py). Give that ``__main__`` a file that
# does nothing, which is also what a spawned child would run first.
if getattr(sys.modules["__main__"], "__spec__", None) is None and not hasattr(
    sys.modules["__main__"], "__file__"
):
    sys.modules["__main__"].__file__ = str(Path(__file__).with_name("worker_main.py"))

SMALL = dict(start=date(2026, 10, 1), days=3, provinces=["110000", "440000", "650000"],
             scale=0.002, seed=9)  # fmt: skip


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Generated (3 provinces, 3 days), ingested, built (dbt's unit tests included) and
    published. Do not change it."""
    root = tmp_path_factory.mktemp("built")
    home = Home.resolve(root / "home")
    generate(root / "landing", **SMALL)
    ingest(home, root / "landing")
    build(home, quiet=True, unit_tests=True)
    return home


@pytest.fixture
def home_copy(built_home: Home, tmp_path: Path) -> Home:
    """A private copy of ``built_home`` that a test may change."""
    target = tmp_path / "home"
    shutil.copytree(built_home.root, target, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    return Home.resolve(target)


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    """A real HTTP receiver on 127.0.0.1 that records what it is sent."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def keep_the_main_module() -> Iterator[None]:
    """Streamlit's AppTest runs a page as ``__main__`` and leaves it in ``sys.modules``; a
    later ``generate()`` would then start its spawned workers by re-running that page.
    Each test gets back the ``__main__`` it started with."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test`` runs two pytest-xdist workers with ``--dist loadgroup``: each module's
    tests stay on one worker (its module fixtures are built once), and every module that
    reads the shared dashboard warehouse runs on the same worker, so it is built once too."""
    for item in items:
        module = getattr(item, "module", None)
        if module is None or item.get_closest_marker("xdist_group"):
            continue
        shares = getattr(module, "published_home", None) is dashboard_warehouse.published_home
        group = "dashboard_warehouse" if shares else module.__name__
        item.add_marker(pytest.mark.xdist_group(group))
