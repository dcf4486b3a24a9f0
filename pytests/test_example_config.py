"""kpiwatch.example.toml is complete, valid and honest about its defaults.

It is loaded with the readers ``kpiwatch run`` and ``kpiwatch dashboard`` use, so a key the
code no longer knows fails here (the readers refuse unknown keys). Every key a reader asks
for when the file is empty (its defaults) must appear in the example, so a setting added to
the code without the example fails here too. What the example calls a default must be one.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.config import CONFIG_FILE, Section
from core.config.alerts import CHANNEL_TYPES, AlertSettings
from core.config.quality import DEFAULT_RANGES, QualitySettings
from core.config.retention import RetentionSettings
from core.config.settings import load_settings
from core.home import PROJECT_DIR, Home
from dashboards import oidc

EXAMPLE = PROJECT_DIR / "kpiwatch.example.toml"


def home_with(root: Path, example: bool) -> Home:
    home = Home.resolve(root / "home")
    home.root.mkdir(parents=True)
    if example:
        shutil.copyfile(EXAMPLE, home.root / CONFIG_FILE)
    return home


def keys_asked(home: Home, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every dotted key the readers look up in ``home``'s kpiwatch.toml."""
    sections: list[Section] = []
    original = Section.__init__

    def recording(self: Section, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        sections.append(self)

    monkeypatch.setattr(Section, "__init__", recording)
    load_settings(home)
    oidc.settings(home)
    monkeypatch.setattr(Section, "__init__", original)
    return {f"{s.where}.{key}" if s.where else key for s in sections for key in s.used}


def keys_present(table: dict[str, Any], prefix: str = "") -> set[str]:
    found = set()
    for key, value in table.items():
        name = f"{prefix}{key}"
        found.add(name)
        if isinstance(value, dict):
            found |= keys_present(value, f"{name}.")
    return found


def test_the_example_loads_with_the_real_readers(tmp_path: Path) -> None:
    home = home_with(tmp_path, example=True)
    settings = load_settings(home)
    sso = oidc.settings(home)
    assert sso is not None and len(sso.roles) == 3
    assert {c.type for c in settings.alerts.channels.values()} == set(CHANNEL_TYPES)
    assert len(settings.alerts.routes) == 2
    assert settings.quality.freshness.per_source == {"install_orders": (48.0, 50.0)}


def test_every_key_a_reader_knows_is_in_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = keys_asked(home_with(tmp_path, example=False), monkeypatch)
    assert len(asked) > 40, "the readers were not recorded"
    present = keys_present(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert asked - present == set()
    ranges = {f"quality.ranges.{s}.{c}" for s, columns in DEFAULT_RANGES.items() for c in columns}
    assert ranges - present == set()


def test_what_the_example_calls_defaults_are_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(home_with(tmp_path, example=True))
    quality = settings.quality
    assert replace(quality, freshness=replace(quality.freshness, per_source={})) == (
        QualitySettings()
    )
    alerts = replace(settings.alerts, dashboard_url=None, channels={}, routes=())
    assert alerts == AlertSettings()
    every_kpi = next(row for row in settings.severity.overrides if row["kpi_id"] == "*")
    with (PROJECT_DIR / "seeds" / "default_severity_bands.csv").open(encoding="utf-8") as seed:
        shipped = {
            (float(r["major_shortfall"]), float(r["critical_shortfall"]))
            for r in csv.DictReader(seed)
        }
    assert shipped == {(every_kpi["major_shortfall"], every_kpi["critical_shortfall"])}
    assert settings.retention == RetentionSettings()
    assert settings.publish_deliveries is True
    assert settings.ingest == load_settings(home_with(tmp_path / "empty", example=False)).ingest
