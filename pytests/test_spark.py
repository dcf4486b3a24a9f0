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
from kpiwatch.spark import build_on_spark, compare_engines, spark_dir

WINDOW = dict(start=date(2026, 6, 28), days=6, provinces=["110000", "440000", "650000"],
              scale=0.002, seed=11)  # fmt: skip
MARTS = len(list((PROJECT_DIR / "models" / "marts").rglob("*.sql")))
"""Every mart of the project, each compared between the engines."""


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


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Home:
    root = tmp_path_factory.mktemp("engines")
    project = project_with_versioned_catalog(root / "project")
    demand_perfect_connections(project / "seeds" / "kpi_catalog.csv")
    home = Home.resolve(root / "home").ensure()
    generate(home.landing, **WINDOW)
    ingest(home, lake=Lake.resolve(home))
    build(home, quiet=True, project=project)
    began = time.perf_counter()
    nodes = build_on_spark(home, quiet=True, project=project)
    print(f"\nSpark build: {nodes} dbt nodes in {time.perf_counter() - began:.1f} s")
    return home


def test_every_mart_agrees_row_for_row(both_engines: Home) -> None:
    results = compare_engines(both_engines)
    assert len(results) == MARTS
    for result in results:
        assert result.rows_duckdb > 0, result.name
        assert result.agrees, result.describe()


def test_both_months_and_both_catalog_versions_were_compared(both_engines: Home) -> None:
    with duckdb.connect() as con:
        spark_marts = spark_dir(both_engines) / "warehouse" / "marts.db"
        judged = con.execute(
            "select period_month, kpi_id, catalog_version, count(*) "
            f"from read_parquet('{spark_marts}/kpi_compliance/*.parquet') "
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
    parts = sorted(mart.glob("*.parquet"))
    kept = {p: p.read_bytes() for p in parts}
    try:
        with duckdb.connect() as con:
            con.execute(
                f"copy (select * replace (value * (1 + 1e-6) as value) "
                f"from read_parquet('{mart}/*.parquet')) to '{mart}/tampered.parquet'"
            )
        for p in parts:
            p.unlink()
        differed = runner.invoke(app, ["--home", str(both_engines.root), "compare-engines"])
        assert differed.exit_code == 1
        assert "kpi_compliance" in differed.output and "differ in value" in differed.output
    finally:
        (mart / "tampered.parquet").unlink(missing_ok=True)
        for p, content in kept.items():
            p.write_bytes(content)


def test_spark_needs_the_lake(tmp_path) -> None:
    from kpiwatch.build import BuildError

    with pytest.raises(BuildError, match="no lake"):
        build_on_spark(Home.resolve(tmp_path / "empty").ensure(), quiet=True)
