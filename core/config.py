"""What an operator can tune in ``<home>/kpiwatch.toml``, read once per run, checked early.

Every limit the checks use lives here with its default, so a scheduled run behaves the same
with or without a file, and a misspelt key fails the run before it touches the warehouse
(exit code 2) instead of being silently ignored. ``ConfigError`` names the file and the key.

A wrong value is repeated in the message only when it cannot be a secret (``shown``): never
for a key whose name suggests one (url, token, secret, password, key, webhook, user, …),
and never when the value itself looks like a URL, an address or a long string — a webhook
URL pasted under the wrong key must not end up in a terminal, a CI log or a ticket. Those
get their type instead. Numbers must be finite: TOML's ``nan`` and ``inf`` are refused.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.contract import SOURCES

CONFIG_FILE = "kpiwatch.toml"
SECRET_WORDS = ("url", "token", "secret", "pass", "key", "hook", "auth", "cred", "user", "sign")
"""A key whose name contains one of these may hold a secret: its value is never repeated."""
LONGEST_SHOWN = 64


def _harmless(value: Any) -> bool:
    """Numbers, booleans, dates, and short strings that are no URL or address."""
    if isinstance(value, bool | int | float) or hasattr(value, "isoformat"):
        return True
    if isinstance(value, str):
        return len(value) <= LONGEST_SHOWN and "://" not in value and "@" not in value
    if isinstance(value, list):
        return len(value) <= 12 and all(_harmless(v) for v in value)
    return False


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)} values"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def shown(key: str, value: Any) -> str:
    """``= value`` when the value may be repeated, else ``(its type, not shown)``."""
    if _harmless(value) and not any(word in key.lower() for word in SECRET_WORDS):
        return f"= {value!r}"
    return f"({_kind(value)}, not shown)"


class ConfigError(ValueError):
    """kpiwatch.toml cannot be used; the message names the file, the key and what is expected."""


class Section:
    """One table of the TOML file, with typed getters that say which key is wrong."""

    def __init__(self, data: dict[str, Any], where: str, path: Path | None) -> None:
        self.data = data
        self.where = where
        self.path = path
        self.used: set[str] = set()

    def _fail(self, key: str, expected: str) -> ConfigError:
        value = self.data.get(key)
        name = f"{self.where}.{key}" if self.where else key
        return ConfigError(
            f"{self.path or CONFIG_FILE}: {name} {shown(key, value)}: expected {expected}"
        )

    def number(
        self, key: str, default: float, low: float = 0.0, high: float | None = None
    ) -> float:
        self.used.add(key)
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number")
        if not math.isfinite(value):
            raise self._fail(key, "a finite number (nan and inf are not settings)")
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" + (f" and at most {high}" if high is not None else "")
            raise self._fail(key, f"a number {bounds}")
        return float(value)

    def integer(self, key: str, default: int, low: int = 0) -> int:
        self.used.add(key)
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self._fail(key, f"a whole number of at least {low}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        self.used.add(key)
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def text(
        self, key: str, default: str | None = None, choices: tuple[str, ...] = ()
    ) -> str | None:
        self.used.add(key)
        value = self.data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string")
        if choices and value not in choices:
            raise self._fail(key, "one of " + ", ".join(repr(c) for c in choices))
        return value

    def texts(
        self, key: str, default: tuple[str, ...] = (), choices: tuple[str, ...] = ()
    ) -> tuple[str, ...]:
        self.used.add(key)
        value = self.data.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        unknown = [v for v in value if choices and v not in choices]
        if unknown:
            raise self._fail(key, "values among " + ", ".join(repr(c) for c in choices))
        return tuple(value)

    def table(self, key: str) -> Section:
        self.used.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self._fail(
                key, "a table ([" + (f"{self.where}." if self.where else "") + f"{key}])"
            )
        return Section(value, f"{self.where}.{key}" if self.where else key, self.path)

    def tables(self, key: str) -> list[Section]:
        """An array of tables (``[[routes]]``)."""
        self.used.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._fail(key, f"an array of tables ([[{key}]])")
        return [Section(v, f"{key}[{i}]", self.path) for i, v in enumerate(value)]

    def names(self) -> list[str]:
        return list(self.data)

    def reject_unknown(self) -> None:
        """A key nobody read is a typo: say so instead of ignoring the operator's setting."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            where = f"[{self.where}]" if self.where else "the top level"
            raise ConfigError(
                f"{self.path or CONFIG_FILE}: unknown key(s) {', '.join(unknown)} in {where}; "
                "every key is in kpiwatch.example.toml (docs/configuration.md)"
            )


def read_config(path: Path) -> Section:
    """The parsed file (an empty one when it does not exist: every setting has a default)."""
    if not path.exists():
        return Section({}, "", path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return Section(data, "", path)


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
