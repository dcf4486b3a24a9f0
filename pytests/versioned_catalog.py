"""A KPI catalog with a second version of one indicator: how an operator changes a threshold.

The shipped catalog (``seeds/kpi_catalog.csv``) holds the standard's values only, one version
per indicator. Judging each period by the version in force still has to be proved, so the
tests that prove it use this fixture: the shipped catalog with ``hall_wait_15m`` tightened
from 0.90 to 0.92 on 1 July 2026 (release ``2026.07``), the way docs/standard.md describes a
change (close the old row, add a new one). 0.92 is an example, not a value of the standard.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

from core.home import PROJECT_DIR

SHIPPED = PROJECT_DIR / "seeds" / "kpi_catalog.csv"
KPI = "hall_wait_15m"
CHANGED_ON = date(2026, 7, 1)
OLD_THRESHOLD = 0.90
NEW_THRESHOLD = 0.92
NEW_VERSION = "2026.07"
PROJECT_COPY_IGNORES = (".git", ".venv", ".tools", "data", "target", "logs", "dbt_packages")


def versioned_catalog_text(shipped: Path = SHIPPED) -> str:
    """The shipped catalog's CSV with the example change of ``hall_wait_15m`` applied."""
    with shipped.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    changed = [r for r in rows if r["kpi_id"] == KPI and r["segment"] == "all"]
    if len(changed) != 1 or changed[0]["effective_to"]:
        raise ValueError(f"{shipped}: expected one open version of {KPI}")
    old = changed[0]
    if float(old["threshold"]) != OLD_THRESHOLD:
        raise ValueError(f"{shipped}: {KPI} threshold is {old['threshold']}, not {OLD_THRESHOLD}")
    new = {
        **old,
        "threshold": f"{NEW_THRESHOLD:.2f}",
        "effective_from": CHANGED_ON.isoformat(),
        "effective_to": "",
        "catalog_version": NEW_VERSION,
    }
    old["effective_to"] = (CHANGED_ON - timedelta(days=1)).isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if row is old:
            writer.writerow(new)
    return out.getvalue()


def write_versioned_catalog(target: Path) -> Path:
    """Write the versioned catalog to ``target`` (a CSV path); return it."""
    target.write_text(versioned_catalog_text(), encoding="utf-8")
    return target


def project_with_versioned_catalog(destination: Path) -> Path:
    """A copy of the dbt project whose ``seeds/kpi_catalog.csv`` carries the example change."""
    shutil.copytree(
        PROJECT_DIR,
        destination,
        ignore=shutil.ignore_patterns(*PROJECT_COPY_IGNORES, "*cache*", "pytests", "docs"),
    )
    write_versioned_catalog(destination / "seeds" / "kpi_catalog.csv")
    return destination
