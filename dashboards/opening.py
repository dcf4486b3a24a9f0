"""Which KPI the province page opens on: the province's worst breach.

A reader who opens a province wants to see what is wrong there first, not the first KPI
of the catalogue (which the province may well meet). "Worst" is the largest shortfall
relative to the threshold, the measure the breaches page ranks by; a count judged against
a threshold of 0 counts one unit as 100 %. This reads only what the page already has
(``marts.standing``); once the marts publish one severity per breach, ``worst_breach`` is
the one place to read it instead.
"""

from __future__ import annotations

import pandas as pd


def relative_shortfall(margin: float, threshold: float) -> float:
    """How far a value falls short of its threshold, as a share of it (0 when met)."""
    if margin is None or margin != margin or margin >= 0:
        return 0.0
    return -margin / abs(threshold) if threshold else -margin


def worst_breach(standing: pd.DataFrame, order: list[str]) -> str | None:
    """The ``kpi_key`` of the missed KPI with the largest relative shortfall (ties: the
    catalogue ``order``), or None when every KPI is met."""
    missed = standing[standing["is_compliant"].eq(False)]
    if missed.empty:
        return None
    rank = {key: i for i, key in enumerate(order)}
    return min(
        missed.itertuples(),
        key=lambda r: (
            -relative_shortfall(r.margin, r.threshold),
            rank.get(r.kpi_key, len(rank)),
        ),
    ).kpi_key
