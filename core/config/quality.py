"""``[quality]``: the limits the data-quality checks use, each with its default."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.config import ConfigError, Section, shown
from core.contract import SOURCES

DEFAULT_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    # Plausibility limits of durations derived from each row [operator setting]: a value
    # outside is a clock or export fault, not a slow service (a 30-day hall wait is not a
    # queue). They are far beyond every ceiling of the standard so that true breaches pass.
    "hall_tickets": {"wait_minutes": (0, 8 * 60), "handle_minutes": (0, 4 * 60)},
    "hotline_calls": {"answer_seconds": (0, 2 * 3600), "call_minutes": (0, 8 * 60)},
    "network_calls": {"attempts": (0, 50_000_000), "connected": (0, 50_000_000)},
    "mobile_repairs": {"repair_hours": (0, 30 * 24), "suspended_minutes": (0, 30 * 24 * 60)},
    "broadband_faults": {"repair_hours": (0, 30 * 24), "suspended_minutes": (0, 30 * 24 * 60)},
    "install_orders": {"install_days": (0, 180), "suspended_minutes": (0, 180 * 24 * 60)},
}


@dataclass(frozen=True)
class FreshnessSettings:
    max_lag_hours: float = 24.0
    """A province whose newest event of a source is this far behind the source's newest."""
    max_silence_hours: float = 26.0
    """A source from which no file has been loaded for this long (wall clock)."""
    per_source: dict[str, tuple[float, float]] = field(default_factory=dict)

    def limits(self, source: str) -> tuple[float, float]:
        return self.per_source.get(source, (self.max_lag_hours, self.max_silence_hours))


@dataclass(frozen=True)
class VolumeSettings:
    judged_days: int = 7
    """Complete days judged each run (the most recent ones before a province's latest day)."""
    history_weeks: int = 4
    """Same weekdays before a day that make its norm."""
    min_history: int = 2
    """Fewer same weekdays than this with data: not judged yet."""
    min_norm: float = 20.0
    """A norm below this many records is too small to tell noise from loss: not judged."""
    low_ratio: float = 0.6
    high_ratio: float = 1.8
    min_z: float = 3.0
    """Robust z-score: (value - median) / max(1.4826 MAD, sqrt(median))."""
    low_status: str = "fail"
    high_status: str = "warn"


@dataclass(frozen=True)
class FileSettings:
    max_quarantined_share: float = 0.05
    min_rows: int = 100
    """Files smaller than this are not judged by their share (one bad row in 10 is 10%)."""
    share_status: str = "warn"


@dataclass(frozen=True)
class QualitySettings:
    chunk_rows: int = 200_000
    """Rows per pandas batch handed to Great Expectations: bounds memory at national scale."""
    docs_keep_days: int = 30
    """Validation results older than this are pruned from Data Docs."""
    block_publish: bool = False
    """True: a run with a failed check does not publish (the previous publication stays)."""
    freshness: FreshnessSettings = field(default_factory=FreshnessSettings)
    volume: VolumeSettings = field(default_factory=VolumeSettings)
    files: FileSettings = field(default_factory=FileSettings)
    ranges: dict[str, dict[str, tuple[float, float]]] = field(
        default_factory=lambda: {s: dict(r) for s, r in DEFAULT_RANGES.items()}
    )

    @classmethod
    def from_config(cls, config: Section) -> QualitySettings:
        q = config.table("quality")
        statuses = ("warn", "fail")
        f = q.table("freshness")
        per_source = {}
        sources = f.table("sources")
        for name in sources.names():
            if name not in SOURCES:
                raise ConfigError(
                    f"{config.path}: [quality.freshness.sources.{name}]: not a source; "
                    f"expected one of {', '.join(SOURCES)}"
                )
            s = sources.table(name)
            lag = s.number("max_lag_hours", f.data.get("max_lag_hours", 24.0), low=1)
            silence = s.number("max_silence_hours", f.data.get("max_silence_hours", 26.0), low=1)
            s.reject_unknown()
            per_source[name] = (lag, silence)
        freshness = FreshnessSettings(
            f.number("max_lag_hours", 24.0, low=1),
            f.number("max_silence_hours", 26.0, low=1),
            per_source,
        )
        f.reject_unknown()
        v = q.table("volume")
        volume = VolumeSettings(
            v.integer("judged_days", 7, low=1),
            v.integer("history_weeks", 4, low=1),
            v.integer("min_history", 2, low=1),
            v.number("min_norm", 20.0),
            v.number("low_ratio", 0.6, high=1.0),
            v.number("high_ratio", 1.8, low=1.0),
            v.number("min_z", 3.0),
            v.text("low_status", "fail", statuses) or "fail",
            v.text("high_status", "warn", statuses) or "warn",
        )
        v.reject_unknown()
        fs = q.table("files")
        files = FileSettings(
            fs.number("max_quarantined_share", 0.05, high=1.0),
            fs.integer("min_rows", 100),
            fs.text("share_status", "warn", statuses) or "warn",
        )
        fs.reject_unknown()
        ranges = {s: dict(r) for s, r in DEFAULT_RANGES.items()}
        r = q.table("ranges")
        for source in r.names():
            if source not in ranges:
                raise ConfigError(
                    f"{config.path}: [quality.ranges.{source}]: not a source; expected one of "
                    + ", ".join(ranges)
                )
            limits = r.table(source)
            for column in limits.names():
                value = limits.data[column]
                if column not in ranges[source]:
                    raise ConfigError(
                        f"{config.path}: quality.ranges.{source}.{column}: no such range; "
                        f"expected one of {', '.join(ranges[source])}"
                    )
                if (
                    not isinstance(value, list)
                    or len(value) != 2
                    or not all(
                        isinstance(x, int | float) and not isinstance(x, bool) for x in value
                    )
                    or not all(math.isfinite(x) for x in value)
                    or value[0] > value[1]
                ):
                    raise ConfigError(
                        f"{config.path}: quality.ranges.{source}.{column} {shown(column, value)}: "
                        "expected [low, high], finite numbers with low <= high"
                    )
                ranges[source][column] = (float(value[0]), float(value[1]))
        settings = cls(
            q.integer("chunk_rows", 200_000, low=1000),
            q.integer("docs_keep_days", 30, low=1),
            q.boolean("block_publish", False),
            freshness,
            volume,
            files,
            ranges,
        )
        q.reject_unknown()
        return settings
