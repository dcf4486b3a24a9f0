"""Backtest the early warning: what kpi_at_risk would have flagged on day 10 and day 20 of
each ended month, against the month's final verdict, as precision and recall per KPI family.

The projection is the mart's own SQL (the dbt macro ``at_risk_ctes``, run over past cutoffs
by the analysis ``analyses/at_risk_backtest.sql``); the verdict is ``marts.kpi_compliance``.
Without ``--home`` a history with planted incidents is generated, ingested and built first:

    uv run --frozen python -m tools.backtest_at_risk --months 4 --scale 0.01
    uv run --frozen python -m tools.backtest_at_risk --home data      # an existing build
"""

from __future__ import annotations

import argparse
import calendar
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from core.home import Home

ANALYSIS = "at_risk_backtest"


@dataclass(frozen=True)
class Score:
    """One family × cutoff day: flags raised against breaches that happened."""

    family: str
    cutoff_day: int
    flagged: int
    breached: int
    hits: int

    @property
    def precision(self) -> float | None:
        return self.hits / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.breached if self.breached else None


def score(rows: Iterable[tuple[str, int, float | None, bool]], threshold: float) -> list[Score]:
    """(family, cutoff_day, probability, did_breach) rows → one Score per family × day and an
    "all" family per day. A row is flagged when its probability is at least ``threshold``
    (no probability: not flagged)."""
    counts: dict[tuple[str, int], list[int]] = {}
    for family, day, probability, breached in rows:
        flagged = probability is not None and probability >= threshold
        for key in ((family, day), ("all", day)):
            c = counts.setdefault(key, [0, 0, 0])
            c[0] += flagged
            c[1] += bool(breached)
            c[2] += flagged and bool(breached)
    return [
        Score(family, day, *c)
        for (family, day), c in sorted(
            counts.items(), key=lambda i: (i[0][1], i[0][0] == "all", i[0][0])
        )
    ]


def projections(home: Home) -> list[tuple]:
    """The analysis's rows for a built home: (source, period_month, cutoff_day,
    province_code, kpi_id, segment, measure, probability, is_already_lost, reliability,
    did_breach)."""
    from kpiwatch.build import run_dbt

    ok, failures, _ = run_dbt(
        home,
        home.work,
        ["compile", "--select", ANALYSIS, "--quiet"],
        quiet=True,
        publication=home.warehouse,
        publication_read_only=True,
    )
    if not ok:
        raise SystemExit("dbt could not compile the backtest: " + " ".join(failures)[-500:])
    compiled = next(home.dbt_target.glob(f"compiled/*/analyses/{ANALYSIS}.sql"))
    with duckdb.connect(str(home.work), read_only=True) as con:
        con.execute(f"attach '{home.warehouse}' as publication (read_only)")
        return con.execute(compiled.read_text(encoding="utf-8")).fetchall()


def table(scores: list[Score]) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    lines = [f"{'family':<18} {'day':>3} {'flagged':>8} {'breached':>9} {'hits':>5} "
             f"{'precision':>9} {'recall':>7}"]  # fmt: skip
    for s in scores:
        lines.append(
            f"{s.family:<18} {s.cutoff_day:>3} {s.flagged:>8} {s.breached:>9} {s.hits:>5} "
            f"{pct(s.precision):>9} {pct(s.recall):>7}"
        )
    return "\n".join(lines)


def generated_home(root: Path, months: int, scale: float, provinces: list[str], seed: int) -> Home:
    """A history of ``months`` whole months from January 2026 with the generator's planted
    incidents, ingested and built (the running month is the day after the last one)."""
    from generator import generate
    from ingest.loader import ingest
    from kpiwatch.build import build

    start = date(2026, 1, 1)
    days = sum(calendar.monthrange(2026, m)[1] for m in range(1, months + 1)) + 1
    home = Home.resolve(root / "home")
    generate(root / "landing", start, days, provinces, scale, seed)
    ingest(home, root / "landing")
    build(home, quiet=True)
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a built kpiwatch home (skip generating)")
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--provinces", default="110000,440000,510000,650000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args(argv)
    if args.home:
        home = Home.resolve(args.home)
        rows = projections(home)
    else:
        with tempfile.TemporaryDirectory(prefix="kpiwatch-backtest-") as tmp:
            home = generated_home(
                Path(tmp), args.months, args.scale, args.provinces.split(","), args.seed
            )
            rows = projections(home)
    provincial = [r for r in rows if r[3] != "100000"]
    scores = score(((r[0], r[2], r[7], r[10]) for r in provincial), args.threshold)
    print(f"early-warning backtest: {len(provincial)} province × KPI × month × cutoff rows, "
          f"flag at probability >= {args.threshold}")  # fmt: skip
    print(table(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
