"""A national month (31 provinces, October 2026, scale 0.002, seed 7), generated, ingested and
built once per test run (``built_once``) and only read after: test_warehouse holds its marts
against the generator's truth, test_docs runs the analysts' queries on it. Both modules are
one group (conftest's ``SHARED_GROUPS``), so one worker builds it and then runs both.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from built_once import built_once

from core.home import Home
from generator.landing import generate
from ingest.loader import ingest
from kpiwatch.build import build

OCTOBER = dict(start=date(2026, 10, 1), days=31, provinces=None, scale=0.002, seed=7)


def national_month(factory: pytest.TempPathFactory) -> Home:
    """The built home; its landing (with the manifest and the truth) is ``home.landing``."""
    return Home.resolve(built_once(factory, "national_month", _build) / "home")


def _build(root: Path) -> None:
    home = Home.resolve(root / "home").ensure()
    generate(home.landing, **OCTOBER)
    report = ingest(home)
    assert report.rows_loaded > 0
    build(home, quiet=True)
