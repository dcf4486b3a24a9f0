"""The analysts' guide cannot rot: every query in docs/analysts.md runs and returns rows."""

from __future__ import annotations

import re
from datetime import date

import pytest

import kpiwatch
from generator import generate
from ingest.loader import ingest
from kpiwatch.build import build
from kpiwatch.home import PROJECT_DIR, Home

GUIDE = PROJECT_DIR / "docs" / "analysts.md"
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
SHORT_HISTORY = {"having count(*) >= 3": "having count(*) >= 1"}
"""A month of data cannot hold a three-month streak: that query is also run as a one-month one."""


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A full month with incidents planted, for three provinces."""
    root = tmp_path_factory.mktemp("docs")
    home = Home.resolve(root / "home")
    generate(root / "landing", date(2026, 10, 1), 31, ["440000", "510000", "650000"], 0.002, 7)
    ingest(home, root / "landing")
    build(home, quiet=True)
    return home


def test_the_guide_has_its_ten_questions() -> None:
    assert len(re.findall(r"^\*\*\d+\. ", GUIDE.read_text(encoding="utf-8"), re.M)) == 10
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("number", range(len(QUERIES)))
def test_every_query_runs_and_returns_rows(month: Home, number: int) -> None:
    query = QUERIES[number]
    with kpiwatch.connect(month.root) as con:
        rows = con.execute(query).fetchall()
        for original, short in SHORT_HISTORY.items():
            if original in query:
                rows = con.execute(query.replace(original, short)).fetchall()
    assert rows, query
