"""Which KPI the province page opens on: the province's worst breach.

A reader who opens a province wants to see what is wrong there first, not the first KPI
of the catalogue (which the province may well meet). "Worst" is the largest shortfall
relative to the threshold, the measure the breaches page ranks by. The rule is
``marts.kpi_breaches``'s: ``marts.standing`` carries its ``relative_shortfall`` beside each
missed KPI, and this only picks the largest.
"""

from __future__ import annotations

import pandas as pd


def worst_breach(standing: pd.DataFrame, order: list[str]) -> str | None:
    """The ``kpi_key`` of the missed KPI with the largest published relative shortfall (ties:
    the catalogue ``order``), or None when every KPI is met."""
    missed = standing[standing["is_compliant"].eq(False)]
    if missed.empty:
        return None
    rank = {key: i for i, key in enumerate(order)}
    return min(
        missed.itertuples(),
        key=lambda r: (-_or_zero(r.relative_shortfall), rank.get(r.kpi_key, len(rank))),
    ).kpi_key


def _or_zero(value: object) -> float:
    """A breach the mart has no shortfall for (NaN) sorts after every measured one."""
    return 0.0 if pd.isna(value) else float(value)
