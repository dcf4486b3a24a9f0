"""What an operator can tune in ``<home>/kpiwatch.toml``, read once per run, checked early.

This package is the one reader of the file: ``Section`` and ``read_config`` here, and one
module per table (``quality``, ``alerts``, ``severity``, ``ingest``, ``retention``,
``readers``; ``settings`` reads them all for ``kpiwatch run``).

Every setting lives with its default, so a scheduled run behaves the same
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
from pathlib import Path
from typing import Any

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
