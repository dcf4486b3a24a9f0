"""The generation window in Asia/Shanghai time, and the random draws over it.

Every instant is kept as integer epoch milliseconds (UTC) while simulating; exporters
decide later how to spell it (with or without an offset, as UTC, in Parquet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np

SHANGHAI = timezone(timedelta(hours=8))
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def local_midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp() * 1000)


def local_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(SHANGHAI).date()


def local_day_index(ms: np.ndarray, t0: int) -> np.ndarray:
    """Day number (0 = first day of the window) of each instant, in Shanghai time."""
    return np.floor_divide(ms - t0, DAY_MS)


@dataclass(frozen=True)
class Month:
    start: date
    first_day: int
    """Index in the window of the first covered day of this month."""
    covered_days: int
    length_days: int

    @property
    def is_whole(self) -> bool:
        return self.covered_days == self.length_days


@dataclass(frozen=True)
class Window:
    start: date
    days: int

    @property
    def t0(self) -> int:
        return local_midnight_ms(self.start)

    @property
    def t_end(self) -> int:
        return self.t0 + self.days * DAY_MS

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def weekdays(self, first: int = 0) -> np.ndarray:
        """Weekday (0 = Monday) of window days ``first .. days-1``."""
        return (np.arange(first, self.days) + self.start.weekday()) % 7

    def months(self) -> list[Month]:
        out: list[Month] = []
        i = 0
        while i < self.days:
            d = self.day(i)
            month_start = d.replace(day=1)
            nxt = (month_start + timedelta(days=32)).replace(day=1)
            length = (nxt - month_start).days
            covered = min(self.days - i, (nxt - d).days)
            out.append(Month(month_start, i, covered, length))
            i += covered
        return out


def daily_counts(
    rng: np.random.Generator, per_day: float, weekday_factor: np.ndarray, weekdays: np.ndarray
) -> np.ndarray:
    """Poisson counts per day around ``per_day``, shaped by the day of the week."""
    return rng.poisson(per_day * weekday_factor[weekdays])


def times_in_days(
    rng: np.random.Generator,
    counts: np.ndarray,
    first_day_ms: int,
    hourly: np.ndarray,
) -> np.ndarray:
    """Instants for ``counts[d]`` events on each day ``d``, hours drawn from ``hourly``."""
    n = int(counts.sum())
    days = np.repeat(np.arange(len(counts)), counts)
    hours = rng.choice(24, size=n, p=hourly / hourly.sum())
    ms_in_hour = rng.integers(0, HOUR_MS, size=n)
    return first_day_ms + days * DAY_MS + hours * HOUR_MS + ms_in_hour


def lognormal_hours(
    rng: np.random.Generator, n: int, median: float, sigma: float, low: float, high: float
) -> np.ndarray:
    """Right-skewed durations (repairs, installations), clipped to a plausible range."""
    return np.clip(rng.lognormal(np.log(median), sigma, size=n), low, high)
