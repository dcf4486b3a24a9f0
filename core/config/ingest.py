"""Which instants a delivered row may carry: the plausibility window of ``[ingest]``.

A ticket dated 2999 or 1970 parses, yet it is a clock or export fault, not an event: loaded,
it would open a mart period of its own and lead the dashboard. So ingest quarantines every
instant before ``earliest`` or later than the file's delivery (the moment ingest reads it)
plus ``future_tolerance_hours``, with reason ``implausible_timestamp``. Both are operator
settings in ``<home>/kpiwatch.toml``::

    [ingest]
    earliest = "2000-01-01"          # Asia/Shanghai; a TOML date or "YYYY-MM-DD HH:MM:SS" too
    future_tolerance_hours = 24      # how far past the delivery a clock may run ahead
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.config import CONFIG_FILE, ConfigError, Section, read_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)
DEFAULT_TOLERANCE_HOURS = 24.0


@dataclass(frozen=True)
class Window:
    """The instants a file delivered at one moment may carry (both ends included)."""

    earliest: datetime
    latest: datetime

    def describe(self) -> str:
        """Both ends in Asia/Shanghai time, as a message shows them."""
        first, last = (t.astimezone(SHANGHAI) for t in (self.earliest, self.latest))
        return f"{first:%Y-%m-%d %H:%M:%S}+08:00 .. {last:%Y-%m-%d %H:%M:%S}+08:00"


@dataclass(frozen=True)
class IngestSettings:
    earliest: datetime = DEFAULT_EARLIEST
    """No instant before this is plausible (default 2000-01-01 00:00 Asia/Shanghai)."""
    future_tolerance_hours: float = DEFAULT_TOLERANCE_HOURS
    """How far after the file's delivery an instant may lie (clocks run ahead a little)."""

    def window(self, delivered: datetime) -> Window:
        return Window(self.earliest, delivered + timedelta(hours=self.future_tolerance_hours))

    @classmethod
    def from_config(cls, config: Section) -> IngestSettings:
        """The ``[ingest]`` table; an unknown or mistyped key is a ConfigError naming it."""
        section = config.table("ingest")
        earliest = _instant(section, "earliest")
        tolerance = section.number("future_tolerance_hours", DEFAULT_TOLERANCE_HOURS, low=0)
        section.reject_unknown()
        return cls(earliest, tolerance)

    @classmethod
    def read(cls, root: Path) -> IngestSettings:
        """``[ingest]`` of ``<root>/kpiwatch.toml`` (the defaults when there is none).

        Only this table is checked here: ``kpiwatch run`` checks the whole file."""
        return cls.from_config(read_config(root / CONFIG_FILE))


def _instant(section: Section, key: str) -> datetime:
    """A TOML date or date-time, or a string "YYYY-MM-DD[ HH:MM:SS]"; no offset means
    Asia/Shanghai."""
    section.used.add(key)
    value = section.data.get(key, DEFAULT_EARLIEST)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        shown = section.data.get(key)
        raise ConfigError(
            f"{section.path or CONFIG_FILE}: {section.where}.{key} = {shown!r}: expected a date "
            'such as "2000-01-01" or "2000-01-01 00:00:00" (Asia/Shanghai)'
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)
