"""The early warning's backtest (tools/backtest_at_risk.py): precision and recall are
counted right, and the backtest runs the mart's projection over past cutoffs of a real,
small build (a copy of the shared dashboard warehouse: September has ended, with October's
data after it)."""

from __future__ import annotations

import shutil

import pytest
from dashboard_warehouse import published_home

from core.home import Home
from tools.backtest_at_risk import projections, score


def test_precision_and_recall_per_family_and_cutoff_day() -> None:
    rows = [
        # family, cutoff day, probability, did the month breach
        ("hall_tickets", 20, 0.95, True),  # hit
        ("hall_tickets", 20, 0.85, False),  # false alarm
        ("hall_tickets", 20, 0.30, True),  # missed
        ("hall_tickets", 20, 0.80, True),  # hit: at the threshold counts as flagged
        ("hall_tickets", 20, None, True),  # no projection: not flagged, a miss
        ("mobile_repairs", 20, 1.0, True),  # hit
        ("mobile_repairs", 10, 0.10, False),  # quiet and right
    ]
    by_key = {(s.family, s.cutoff_day): s for s in score(rows, threshold=0.8)}
    hall = by_key[("hall_tickets", 20)]
    assert (hall.flagged, hall.breached, hall.hits) == (3, 4, 2)
    assert hall.precision == pytest.approx(2 / 3) and hall.recall == pytest.approx(2 / 4)
    every = by_key[("all", 20)]
    assert (every.flagged, every.breached, every.hits) == (4, 5, 3)
    quiet = by_key[("mobile_repairs", 10)]
    assert quiet.precision is None and quiet.recall is None  # nothing to divide by


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A private copy (dbt compiles into the home) of the shared two-month warehouse."""
    shared = published_home(tmp_path_factory)
    target = tmp_path_factory.mktemp("backtest") / "home"
    shutil.copytree(shared.root, target, ignore=shutil.ignore_patterns("*.lock", "tmp", "landing"))
    return Home.resolve(target)


def test_the_backtest_projects_ended_months_at_day_10_and_20(history: Home) -> None:
    rows = projections(history)
    assert rows, "no projection for any ended month"
    days = {r[2] for r in rows}
    assert days <= {10, 20} and days
    for (
        source,
        _month,
        _day,
        _province,
        kpi,
        _seg,
        measure,
        probability,
        lost,
        _rel,
        _breached,
    ) in rows:
        assert source and kpi
        assert probability is None or 0.0 <= probability <= 1.0
        if lost:
            assert measure == "max" and probability == 1.0
