"""Does marts.kpi_breach_drivers find where the generator planted each incident?

The generator's manifest records, for every incident, where it was planted as members of
the mart's dimensions (``where``: the part of the month holding most of its days, and for
some kinds an hour band). An incident is *named* when the top driver (driver_rank 1) of the
breach it was planted to cause (the first KPI of its ``breaches``) is one of those members.
The figure is the share of incidents named; docs/drivers.md explains what it shows.

Reproduce it on a fresh generated history (two months, every province)::

    uv run --frozen python -m tools.driver_attribution --months 2 --scale 0.01

or on a home already built from a generated landing (``--home``, whose landing folder
holds the manifest).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Attribution:
    """One planted incident and the top driver of the breach it was planted to cause."""

    incident: str
    province_code: str
    period_month: str
    kpi_id: str
    segment: str
    where: tuple[tuple[str, str], ...]
    top: tuple[str, str] | None
    """(dimension, member) of driver_rank 1; None when the mart has no driver for it."""
    label_en: str | None

    @property
    def named(self) -> bool:
        return self.top is not None and self.top in self.where


def attribute(warehouse: Path, manifest: dict) -> list[Attribution]:
    """Each incident of the manifest against the published top driver of its breach."""
    found: list[Attribution] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for incident in manifest["incidents"]:
            primary = incident["breaches"][0]
            row = con.execute(
                """select dimension, member, driver_label_en from marts.kpi_breach_drivers
                where period_month = cast(? as date) and province_code = ? and kpi_id = ?
                    and segment = ? and driver_rank = 1""",
                [
                    incident["period_month"],
                    incident["province_code"],
                    primary["kpi_id"],
                    primary["segment"],
                ],
            ).fetchone()
            found.append(
                Attribution(
                    incident=incident["incident"],
                    province_code=incident["province_code"],
                    period_month=incident["period_month"],
                    kpi_id=primary["kpi_id"],
                    segment=primary["segment"],
                    where=tuple((w["dimension"], w["member"]) for w in incident["where"]),
                    top=(row[0], row[1]) if row else None,
                    label_en=row[2] if row else None,
                )
            )
    return found


def share_named(found: list[Attribution]) -> float:
    return sum(a.named for a in found) / len(found) if found else 0.0


def report(found: list[Attribution]) -> str:
    """One line per incident, then the figure."""
    lines = []
    for a in found:
        where = ", ".join(f"{d}={m}" for d, m in a.where) or "nowhere in particular"
        top = f"{a.top[0]}={a.top[1]}" if a.top else "no driver"
        mark = "named " if a.named else "missed"
        lines.append(
            f"{mark} {a.period_month[:7]} {a.province_code} {a.incident:<22} {a.kpi_id:<26} "
            f"planted: {where:<32} top driver: {top}"
        )
    named = sum(a.named for a in found)
    lines.append(
        f"top driver names the planted place for {named} of {len(found)} incidents "
        f"({100 * share_named(found):.1f} %)"
    )
    return "\n".join(lines)


def build_history(root: Path, months: int, scale: float, seed: int, start: date) -> Path:
    """Generate ``months`` whole months for every province, ingest and build; the home."""
    from core.home import Home
    from generator import generate
    from ingest.loader import ingest
    from kpiwatch.build import build

    after = start.month - 1 + months
    end = date(start.year + after // 12, after % 12 + 1, 1)
    home = Home.resolve(root / "home")
    generate(home.root / "landing", start, (end - start).days, None, scale, seed)
    ingest(home, home.root / "landing")
    build(home, quiet=True, data_tests=False)
    return home.root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a built home whose landing/ was generated")
    parser.add_argument("--months", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 1))
    args = parser.parse_args(argv)
    from core.home import Home

    with tempfile.TemporaryDirectory(prefix="kpiwatch-attribution-") as tmp:
        root = args.home or build_history(Path(tmp), args.months, args.scale, args.seed, args.start)
        manifest = json.loads((root / "landing" / "manifest.json").read_text())
        print(report(attribute(Home.resolve(root).warehouse, manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
