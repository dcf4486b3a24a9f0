"""marts.kpi_breach_drivers against the incidents the generator planted.

The shared dashboard warehouse (31 provinces, two months with incidents) is generated with a
manifest that says where each incident was planted; the top driver of the breach it caused
must name that place (issue 18 asks 90 %: tools/driver_attribution.py prints the figure for
any generated history; this warehouse is too small to reach it, see the test).
"""

from __future__ import annotations

import json

import pytest
from dashboard_warehouse import marts_query, published_home

from core.home import Home
from tools.driver_attribution import attribute, report, share_named


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return published_home(tmp_path_factory)


def test_the_top_driver_names_where_incidents_were_planted(home: Home) -> None:
    """The shared warehouse is tiny (scale 0.001): a maximum's breach may rest on one or two
    cases over the ceiling, and then any small member holding them (a weekday) outscores
    the part of the month. ``python -m tools.driver_attribution --months 2 --scale 0.01``
    names 20 of 22 (the misses: the month-long installation backlog, which has no place);
    here at least three incidents in four."""
    manifest = json.loads((home.root / "landing" / "manifest.json").read_text(encoding="utf-8"))
    found = attribute(home.warehouse, manifest)
    assert len(found) == len(manifest["incidents"]) >= 20  # two months of eleven kinds
    print(report(found))
    assert share_named(found) >= 0.75, report(found)
    assert not any(a.named for a in found if not a.where)  # no place: nothing can name it


def test_every_breach_but_dark_hours_has_a_driver_whose_shares_add_up(home: Home) -> None:
    """Each breach of a share, rate or mean has a top driver (a maximum's cases over the
    ceiling may all be items still open, which are not split); within a dimension the
    shares of the shortfall add up to at most 100 % (only three members are published)."""
    missing = marts_query(
        home,
        """select b.period_month, b.province_code, b.kpi_id, b.segment
        from marts.kpi_breaches as b
        anti join marts.kpi_breach_drivers as d
            using (period_month, province_code, kpi_id, segment)
        where b.kpi_id <> 'hotline_24x7_dark_hours' and right(b.kpi_id, 4) <> '_max'""",
    )
    assert missing == []
    over = marts_query(
        home,
        """select period_month, province_code, kpi_id, segment, dimension, sum(excess_share)
        from marts.kpi_breach_drivers group by all having sum(excess_share) > 1 + 1e-9""",
    )
    assert over == []
    ranks = marts_query(
        home,
        """select count(*) from marts.kpi_breach_drivers as d
        where score > (select min(score) from marts.kpi_breach_drivers as better
            where (better.period_month, better.province_code, better.kpi_id, better.segment)
                = (d.period_month, d.province_code, d.kpi_id, d.segment)
                and better.driver_rank < d.driver_rank)""",
    )
    assert ranks == [(0,)]  # a lower rank never scores more than a higher one
