"""How bad a breach is: the operator's severity bands, from ``[severity]`` of kpiwatch.toml.

The service standard says whether a KPI is met, never how badly it is missed, so severity
is an operator setting. kpiwatch ships default bands per KPI (the seed
``default_severity_bands``); ``[severity]`` overrides them for every KPI and
``[severity.kpis.<kpi_id>]`` for one. The overrides reach dbt as the var
``severity_overrides``: ``marts.kpi_breaches`` judges every breach once, and the alerts and
the dashboard read its verdict, so no two screens can disagree on it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import CONFIG_FILE, ConfigError, Section, read_config
from core.home import PROJECT_DIR

SEVERITIES = ("minor", "major", "critical")
"""From least to most severe: the names of kpi_breaches.severity, the digest and the routes,
for Python that has no breach row to read (a route's min_severity, an alert's stored state,
a report's columns). A name's position, from 1, is the severity_rank kpi_breaches publishes
beside it; pytests/test_breaches.py holds the two to it."""
KEYS = ("major_shortfall", "critical_shortfall", "critical_when_cases_over_ceiling")


def banded_kpis(project: Path = PROJECT_DIR) -> list[str]:
    """The KPIs kpiwatch's default bands cover (every measured KPI of the catalog)."""
    with (project / "seeds" / "default_severity_bands.csv").open(encoding="utf-8") as handle:
        return [row["kpi_id"] for row in csv.DictReader(handle)]


@dataclass(frozen=True)
class SeveritySettings:
    overrides: tuple[dict[str, Any], ...] = ()
    """Rows of the dbt var: kpi_id ('*' for every KPI) and the three settings (None: default)."""

    def dbt_vars(self) -> dict[str, Any]:
        return {"severity_overrides": [dict(row) for row in self.overrides]}

    def fingerprint(self) -> str:
        """Changes when the bands change: the marts must then be rebuilt."""
        text = json.dumps(self.dbt_vars(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_config(cls, config: Section, project: Path = PROJECT_DIR) -> SeveritySettings:
        if "severity" in config.table("alerts").data:
            raise ConfigError(
                f"{config.path or CONFIG_FILE}: [alerts.severity] is now [severity] (it judges "
                "the dashboard's breaches too): major_shortfall, critical_shortfall, "
                "critical_when_cases_over_ceiling and [severity.kpis.KPI]; see docs/alerts.md"
            )
        section = config.table("severity")
        kpis = section.table("kpis")
        rows = []
        every = _row(section, "*")
        if any(every[k] is not None for k in KEYS):
            rows.append(every)
        known = banded_kpis(project)
        for kpi in kpis.names():
            if kpi not in known:
                raise ConfigError(
                    f"{config.path or CONFIG_FILE}: [severity.kpis.{kpi}]: {kpi!r} is not a "
                    f"KPI; expected one of {', '.join(known)}"
                )
            rows.append(_row(kpis.table(kpi), kpi))
        kpis.reject_unknown()
        section.reject_unknown()
        return cls(tuple(rows))


def _row(section: Section, kpi_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {"kpi_id": kpi_id}
    for key in KEYS:
        present = key in section.data
        if key == "critical_when_cases_over_ceiling":
            row[key] = section.boolean(key, False) if present else None
        else:
            row[key] = section.number(key, 0.0, high=1e6) if present else None
    section.reject_unknown()
    if (
        row["major_shortfall"] is not None
        and row["critical_shortfall"] is not None
        and row["critical_shortfall"] < row["major_shortfall"]
    ):
        raise ConfigError(
            f"{section.path or CONFIG_FILE}: [{section.where}] critical_shortfall "
            f"{row['critical_shortfall']} is below major_shortfall {row['major_shortfall']}: "
            "a breach must be major before it is critical"
        )
    return row


def load(home_root: Path, project: Path = PROJECT_DIR) -> SeveritySettings:
    """``[severity]`` of ``<home>/kpiwatch.toml`` (raises ConfigError naming the key)."""
    return SeveritySettings.from_config(read_config(home_root / CONFIG_FILE), project)
