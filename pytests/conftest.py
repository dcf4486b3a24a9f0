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

import pytest
from receivers import HttpReceiver

from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build
from kpiwatch.home import Home

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
