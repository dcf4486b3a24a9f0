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
    return changed_catalog_text(
        KPI, "all", CHANGED_ON, shipped=shipped,
        threshold=f"{NEW_THRESHOLD:.2f}", catalog_version=NEW_VERSION,
        expect_threshold=OLD_THRESHOLD,
    )  # fmt: skip


def changed_catalog_text(
    kpi: str,
    segment: str,
    on: date | None,
    *,
    shipped: Path = SHIPPED,
    expect_threshold: float | None = None,
    **changes: str,
) -> str:
    """The shipped catalog's CSV with the open version of ``kpi``/``segment`` changed the way
    docs/standard.md describes: closed the day before ``on`` and followed by a new version
    from ``on`` that takes ``changes`` (column: value as written in the CSV). With ``on``
    None, the version itself is edited in place (every period it judges changes)."""
    with shipped.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    changed = [r for r in rows if r["kpi_id"] == kpi and r["segment"] == segment]
    if len(changed) != 1 or changed[0]["effective_to"]:
        raise ValueError(f"{shipped}: expected one open version of {kpi}/{segment}")
    old = changed[0]
    if expect_threshold is not None and float(old["threshold"]) != expect_threshold:
        raise ValueError(
            f"{shipped}: {kpi} threshold is {old['threshold']}, not {expect_threshold}"
        )
    if on is None:
        old.update(changes)
        new = None
    else:
        new = {**old, **changes, "effective_from": on.isoformat(), "effective_to": ""}
        old["effective_to"] = (on - timedelta(days=1)).isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if row is old and new is not None:
            writer.writerow(new)
    return out.getvalue()


def write_versioned_catalog(target: Path) -> Path:
    """Write the versioned catalog to ``target`` (a CSV path); return it."""
    target.write_text(versioned_catalog_text(), encoding="utf-8")
    return target


def project_copy(destination: Path) -> Path:
    """A copy of the dbt project (with the shipped catalog) whose catalog a test may change."""
    shutil.copytree(
        PROJECT_DIR,
        destination,
        ignore=shutil.ignore_patterns(*PROJECT_COPY_IGNORES, "*cache*", "pytests", "docs"),
    )
    return destination


def project_with_versioned_catalog(destination: Path) -> Path:
    """A copy of the dbt project whose ``seeds/kpi_catalog.csv`` carries the example change."""
    project_copy(destination)
    write_versioned_catalog(destination / "seeds" / "kpi_catalog.csv")
    return destination
