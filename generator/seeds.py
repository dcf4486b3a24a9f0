"""Random streams named by what they draw, never by who draws them.

Every chunk of work -- a province's month of one source, a province's file of one day --
gets its own stream from the master seed, through NumPy's ``SeedSequence`` with a spawn
key spelled from the chunk's identity (source, province, month or day). A worker that
draws the chunk gets the same numbers whichever worker it is and in whatever order the
chunks run, so the landing folder is byte-identical for a seed at any ``--workers``.
"""

from __future__ import annotations

from datetime import date

import numpy as np

SOURCE_IDS = {
    "hall_tickets": 1,
    "hotline_calls": 2,
    "network_calls": 3,
    "mobile_repairs": 4,
    "broadband_faults": 5,
    "install_orders": 6,
}
"""Fixed numbers for the spawn keys (a source's place in a dict must not matter)."""

SETUP = 0
"""Purpose tags: a province's fixed set-up, a month of events, a day's files."""
MONTH = 1
FILES = 2


def rng_for(
    seed: int, source: str, province: str, purpose: int, when: int = 0
) -> np.random.Generator:
    key = (SOURCE_IDS[source], int(province), purpose, when)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def month_rng(seed: int, source: str, province: str, month: date) -> np.random.Generator:
    return rng_for(seed, source, province, MONTH, month.year * 100 + month.month)


def day_rng(seed: int, source: str, province: str, day: date) -> np.random.Generator:
    return rng_for(seed, source, province, FILES, day.year * 10_000 + day.month * 100 + day.day)
