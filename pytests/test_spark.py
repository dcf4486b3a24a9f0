"""The same dbt project on Apache Spark publishes the same marts as on DuckDB, row for row.

One small generated dataset is ingested once, with the lake sink on: the DuckDB warehouse
and the Parquet lake hold the same validated rows. ``kpiwatch build`` builds and publishes
DuckDB; ``kpiwatch build --engine spark`` runs ``dbt build --target spark`` (models, seeds,
unit tests and data tests) on a local Spark over the lake. Every mart must then agree:
texts, dates, instants and counts exactly, floating-point values within 1e-9.

The window crosses a month end (30 June → 1 July) and, with the test catalog's example
change of the hall wait target on 1 July (``versioned_catalog``), a change of catalog
version, so both engines must attribute periods in Asia/Shanghai, age open
items at the period end and judge each month by the version in force.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner
from versioned_catalog import project_with_versioned_catalog

from core.home import PROJECT_DIR, Home
from generator import generate
from ingest.lake import Lake
from ingest.loader import ingest
from kpiwatch.build import build
from kpiwatch.cli import app
from kpiwatch.spark import (
    build_on_spark,
    compare_engines,
    lake_basis,
    read_basis,
    spark_dir,
    spark_table,
    why_full,
)

WINDOW = dict(start=date(2026, 6, 28), days=6, provinces=["110000", "440000", "650000"],
              scale=0.002, seed=11)  # fmt: skip
MARTS = len(list((PROJECT_DIR / "models" / "marts").rglob("*.sql")))
"""Every mart of the project, each compared between the engines."""
FIRST_DELIVERIES = "2026-07-03"
"""The first builds see the files delivered through this day; the incremental builds
(``more_files``) get the rest: the day after's files, a ``_v2`` re-export, late files."""


def demand_perfect_connections(catalog: Path) -> None:
    """Six days plant no incident, so nothing would breach and ``kpi_breaches`` would be
    empty on both engines (equal, proving nothing): in this test project only, an operator
    setting asks a mobile connection rate of 1.0, so every province breaches it."""
    with catalog.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        if row["kpi_id"] == "mobile_connect_rate":
            row["threshold"], row["origin"] = "1.00", "operator setting"
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def deliver(generated: Path, landing: Path, on: object) -> None:
    """Copy the generated files whose delivery day (their folder) passes ``on``."""
    for file in sorted(p for p in generated.rglob("*.*") if p.parent != generated):
        if on(file.parent.name):
            target = landing / file.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)


def re_export_across_month_end(generated: Path, landing: Path, rows: int) -> list[str]:
    """A ``_v2`` re-export, delivered on 4 July, of the first ``rows`` hall tickets of
    Xinjiang taken and finished on 30 June: taken, called and finished a day later, on
    1 July, and updated then (so it wins). Returns their ticket ids."""
    name = "hall_tickets_650000_20260630"
    text = gzip.decompress(
        (generated / "hall_tickets" / "2026-07-01" / f"{name}.csv.gz").read_bytes()
    )
    reader = csv.DictReader(io.StringIO(text.decode("utf-8")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    stamps = ("taken_at", "called_at", "finished_at", "updated_at")
    moved = [r for r in reader if all(r[c].startswith("2026-06-30 ") for c in stamps)][:rows]
    for row in moved:
        for column in stamps:
            row[column] = row[column].replace("2026-06-30 ", "2026-07-01 ")
        writer.writerow(row)
    target = landing / "hall_tickets" / "2026-07-04" / f"{name}_v2.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue(), encoding="utf-8")
    return [row["ticket_id"] for row in moved]


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Home:
    root = tmp_path_factory.mktemp("engines")
    project = project_with_versioned_catalog(root / "project")
    demand_perfect_connections(project / "seeds" / "kpi_catalog.csv")
    home = Home.resolve(root / "home").ensure()
    generate(root / "generated", **WINDOW)
    deliver(root / "generated", home.landing, lambda day: day <= FIRST_DELIVERIES)
    ingest(home, lake=Lake.resolve(home))
    build(home, quiet=True, project=project)
    began = time.perf_counter()
    nodes = build_on_spark(home, quiet=True, project=project)
    print(f"\nSpark build: {nodes} dbt nodes in {time.perf_counter() - began:.1f} s")
    # every unit test of the project ran on Spark in this build, and passed (the builds
    # after it leave them out: they read only their fixtures, so they would answer the same)
    target = spark_dir(home) / "target"
    ran = json.loads((target / "run_results.json").read_text())["results"]
    unit = {r["unique_id"]: r["status"] for r in ran if r["unique_id"].startswith("unit_test.")}
    declared = json.loads((target / "manifest.json").read_text())["unit_tests"]
    assert unit and unit == dict.fromkeys(declared, "pass"), unit
    return home


def test_every_mart_agrees_row_for_row(both_engines: Home) -> None:
    results = compare_engines(both_engines)
    assert len(results) == MARTS
    for result in results:
        assert result.rows_duckdb > 0, result.name
        assert result.agrees, result.describe()


def test_both_months_and_both_catalog_versions_were_compared(both_engines: Home) -> None:
    with duckdb.connect() as con:
        mart = spark_dir(both_engines) / "warehouse" / "marts.db" / "kpi_compliance"
        judged = con.execute(
            "select period_month, kpi_id, catalog_version, count(*) "
            f"from {spark_table(mart, {'period_month': 'DATE'})} "
            "where kpi_id = 'hall_wait_15m' group by all order by all"
        ).fetchall()
    months = {row[0] for row in judged}
    assert months == {date(2026, 6, 1), date(2026, 7, 1)}
    assert len({row[2] for row in judged}) == 2, "June and July are judged by two versions"


def test_compare_engines_exits_1_when_a_mart_differs(both_engines: Home) -> None:
    runner = CliRunner()
    agreed = runner.invoke(app, ["--home", str(both_engines.root), "compare-engines"])
    assert agreed.exit_code == 0, agreed.output
    mart = spark_dir(both_engines) / "warehouse" / "marts.db" / "kpi_compliance"
    parts = sorted(mart.rglob("*.parquet"))  # in one folder per month (partitions)
    kept = {p: p.read_bytes() for p in parts}
    try:
        with duckdb.connect() as con:
            for p in parts:
                tampered = p.with_name("tampered.parquet")
                con.execute(
                    f"copy (select * replace (value * (1 + 1e-6) as value) "
                    f"from read_parquet('{p}')) to '{tampered}'"
                )
                tampered.replace(p)
        differed = runner.invoke(app, ["--home", str(both_engines.root), "compare-engines"])
        assert differed.exit_code == 1
        assert "kpi_compliance" in differed.output and "differ in value" in differed.output
    finally:
        for p, content in kept.items():
            p.write_bytes(content)


# After the first builds, more files arrive: the next day's deliveries, a v2 re-export
# that moves June tickets into July, late files. Both engines build incrementally.

PARTITION_FILES = ("kpi_compliance_daily", "period_date"), ("kpi_compliance", "period_month")


def _partition_files(home: Home) -> dict[tuple[str, str], set[str]]:
    """The Parquet files Spark wrote for each period of the two compliance marts."""
    marts = spark_dir(home) / "warehouse" / "marts.db"
    found: dict[tuple[str, str], set[str]] = {}
    for mart, column in PARTITION_FILES:
        for folder in (marts / mart).glob(f"{column}=*"):
            found[(mart, folder.name.split("=", 1)[1])] = {p.name for p in folder.glob("*.parquet")}
    return found


@pytest.fixture(scope="module")
def more_files(both_engines: Home) -> tuple[Home, list[str], dict, dict]:
    """The home of ``both_engines`` after more deliveries and an incremental build on each
    engine; also the re-exported ticket ids and Spark's partition files before and after."""
    home = both_engines
    project = home.root.parent / "project"
    generated = home.root.parent / "generated"
    deliver(generated, home.landing, lambda day: day > FIRST_DELIVERIES)
    moved = re_export_across_month_end(generated, home.landing, rows=3)
    ingest(home, lake=Lake.resolve(home))
    result = build(home, quiet=True, project=project, data_tests=False)
    assert result.start is not None and result.start.incremental, result.start
    lake = Lake.resolve(home).root
    reason = why_full(home, read_basis(home), lake_basis(lake, project), lake, project)
    assert reason is None, reason
    before = _partition_files(home)
    began = time.perf_counter()
    nodes = build_on_spark(home, quiet=True, project=project, unit_tests=False)
    print(f"\nincremental Spark build: {nodes} dbt nodes in {time.perf_counter() - began:.1f} s")
    return home, moved, before, _partition_files(home)


def test_every_mart_agrees_after_incremental_builds(more_files) -> None:
    home, moved, _, _ = more_files
    results = compare_engines(home)
    assert len(results) == MARTS
    for result in results:
        assert result.rows_duckdb > 0, result.name
        assert result.agrees, result.describe()
    fact = spark_dir(home) / "warehouse" / "marts.db" / "fct_hall_tickets"
    with duckdb.connect() as con:
        months = con.execute(
            f"select taken_month, count(*) from read_parquet('{fact}/*.parquet') "
            f"where ticket_id in ({', '.join('?' for _ in moved)}) group by all",
            moved,
        ).fetchall()
    assert len(moved) == 3 and months == [(date(2026, 7, 1), 3)]  # the re-export moved them


def _affected(home: Home) -> set[tuple[str, str]]:
    """(grain, first day) of every period the last Spark build recomputed."""
    table = spark_dir(home) / "warehouse" / "intermediate.db" / "int_periods_affected"
    with duckdb.connect() as con:
        rows = con.execute(
            f"select distinct period_grain, cast(period_start as varchar) "
            f"from read_parquet('{table}/**/*.parquet', hive_partitioning = true)"
        ).fetchall()
    return {(grain, start) for grain, start in rows}


GRAIN = {"kpi_compliance_daily": "day", "kpi_compliance": "month"}


def _rewrites(before: dict, after: dict, affected: set) -> tuple[set, set, set]:
    """The partitions that kept their files, those rewritten (or dropped), those added; every
    one of the last two an affected period, every affected one not kept."""
    kept = {k for k in before if before[k] == after.get(k)}
    rewritten = set(before) - kept
    added = set(after) - set(before)
    assert {(m, p) for m, p in rewritten | added if (GRAIN[m], p) not in affected} == set()
    assert {(m, p) for m, p in kept if (GRAIN[m], p) in affected} == set()
    return kept, rewritten, added


def test_spark_rewrote_only_the_affected_periods(more_files) -> None:
    """The partitions the new files touch (int_periods_affected, worked out from the data:
    here an order accepted before the window and completed after it touches every day) were
    overwritten or added; a build with nothing new then rewrites only the running periods and
    every other partition keeps its files."""
    home, _, before, after = more_files
    project = home.root.parent / "project"
    _, rewritten, _ = _rewrites(before, after, _affected(home))
    assert {("kpi_compliance", "2026-06-01"), ("kpi_compliance", "2026-07-01")} <= rewritten
    assert ("kpi_compliance_daily", "2026-06-30") in rewritten  # the re-export's old day
    assert rewritten and not set(before) - set(after)

    build_on_spark(home, quiet=True, project=project, unit_tests=False)  # nothing new in the lake
    again = _partition_files(home)
    kept, _, _ = _rewrites(after, again, _affected(home))
    assert ("kpi_compliance", "2026-06-01") in kept  # an ended month, untouched
    assert {("kpi_compliance_daily", d) for d in ("2026-06-28", "2026-06-29")} <= kept
    assert [r.describe() for r in compare_engines(home) if not r.agrees] == []


# Last, and short: the worker gets its next group of tests as this module's last test
# starts (conftest's GroupsCostliestFirst), so that group does not wait for a Spark build.
def test_spark_needs_the_lake(tmp_path) -> None:
    from kpiwatch.build import BuildError

    with pytest.raises(BuildError, match="no lake"):
        build_on_spark(Home.resolve(tmp_path / "empty").ensure(), quiet=True)
