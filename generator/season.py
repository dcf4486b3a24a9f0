"""The year's rhythm: Spring Festival (春节) and summer, as a factor per day and source.

The weekday and hour profiles in ``simulate.py`` shape a week; these factors shape a
year, so a multi-month history looks like one: halls empty and repairs slow over the
Spring Festival holiday (customers travel home, crews are on leave), and summer brings
hotline peaks and storm-driven broadband faults. Every factor is mild enough that the
baseline stays compliant; only planted incidents breach the standard.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

SPRING_FESTIVAL: dict[int, date] = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
}
"""First day of the lunar year (正月初一); years outside the table have no festival."""

HOLIDAY = (-1, 6)
"""The statutory holiday around it: New Year's Eve (除夕) to the sixth day (初六)."""

HALL_HOLIDAY = 0.45
"""Hall traffic in the holiday: most halls run reduced hours, customers are away."""
HALL_EVE_WEEK = 0.85
"""... and in the week before, when people leave for home."""
HOTLINE_HOLIDAY = 0.75
REPAIR_HOLIDAY_SLOWDOWN = 1.5
"""Repairs and installations reported in the holiday take this much longer (crews on leave)."""

SUMMER_PEAK_DAY = 205
"""Day of the year (late July) at the middle of the rainy, stormy, hot season."""
SUMMER_WIDTH_DAYS = 40.0
HOTLINE_SUMMER = 0.15
BROADBAND_SUMMER = 0.30


def festival_offset(days: list[date] | np.ndarray) -> np.ndarray:
    """Days from the nearest Spring Festival (negative before it), or a large number."""
    out = np.full(len(days), 10_000, dtype=np.int64)
    for i, day in enumerate(days):
        best = 10_000
        for year in (day.year - 1, day.year, day.year + 1):
            feast = SPRING_FESTIVAL.get(year)
            if feast is not None and abs((day - feast).days) < abs(best):
                best = (day - feast).days
        out[i] = best
    return out


def in_holiday(days: list[date]) -> np.ndarray:
    offset = festival_offset(days)
    return (offset >= HOLIDAY[0]) & (offset <= HOLIDAY[1])


def _summer(days: list[date]) -> np.ndarray:
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    return np.exp(-(((doy - SUMMER_PEAK_DAY) / SUMMER_WIDTH_DAYS) ** 2))


def demand(source: str, days: list[date]) -> np.ndarray:
    """Factor on a source's daily volume for each day (1.0 = an ordinary day)."""
    factor = np.ones(len(days))
    offset = festival_offset(days)
    holiday = (offset >= HOLIDAY[0]) & (offset <= HOLIDAY[1])
    if source == "hall_tickets":
        factor[(offset >= -8) & (offset < HOLIDAY[0])] = HALL_EVE_WEEK
        factor[holiday] = HALL_HOLIDAY
    elif source == "hotline_calls":
        factor *= 1 + HOTLINE_SUMMER * _summer(days)
        factor[holiday] *= HOTLINE_HOLIDAY
    elif source == "broadband_faults":
        factor *= 1 + BROADBAND_SUMMER * _summer(days)
    return factor


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]
