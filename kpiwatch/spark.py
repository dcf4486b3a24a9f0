"""The same dbt models on Apache Spark, and proof that both engines publish the same numbers.

``build_on_spark`` runs ``dbt build --target spark``: a local Spark inside dbt's process
(pyspark, Java 17) that reads the raw rows from the Parquet lake (``KPIWATCH_LAKE``, else
``<home>/lake``, written by ``kpiwatch ingest --lake``) and keeps its metastore and
managed Parquet tables under ``<home>/spark``. Nothing is published: on Spark, the marts
live in the Spark catalog.

``compare_engines`` reads every mart Spark wrote (plain Parquet, schema ``marts``) next to
the published DuckDB warehouse and matches them row for row: the same rows, the same
texts, dates, instants and counts, and every floating-point value within 1e-9 (relative to
the value, and absolute below 1). Sums of doubles may be added in a different order on the
two engines, so the last bits may differ; nothing else may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.home import PROJECT_DIR, Home
from core.sql import quote
from kpiwatch.build import BuildError, run_dbt

TOLERANCE = 1e-9
FLOATING = {"DOUBLE", "FLOAT", "REAL"}


def spark_dir(home: Home) -> Path:
    """The local Spark's metastore (Derby) and warehouse of managed tables."""
    return home.root / "spark"


def build_on_spark(home: Home, quiet: bool = False, project: Path = PROJECT_DIR) -> int:
    """``dbt build --target spark`` over the home's lake; return the number of dbt nodes."""
    from ingest.lake import Lake

    lake = Lake.resolve(home).root
    missing = [p.name for p in (lake / "raw", lake / "audit") if not p.is_dir()]
    if missing:
        raise BuildError(
            f"no lake at {lake} ({', '.join(missing)} missing): run `kpiwatch ingest --lake` "
            "(or `kpiwatch lake export`) first"
        )
    target = spark_dir(home)
    target.mkdir(parents=True, exist_ok=True)
    env = {"KPIWATCH_LAKE": str(lake), "KPIWATCH_SPARK_DIR": str(target)}
    ok, failures, nodes = run_dbt(
        home, home.work, ["build", "--target", "spark"], quiet, project, env=env, dbt_dir=target
    )
    if not ok:
        raise BuildError("dbt build on Spark failed:\n  " + "\n  ".join(failures))
    return nodes


@dataclass
class MartComparison:
    name: str
    rows_duckdb: int
    rows_spark: int
    unmatched_duckdb: int = 0
    unmatched_spark: int = 0
    differing: dict[str, int] = field(default_factory=dict)
    largest_difference: float = 0.0

    @property
    def agrees(self) -> bool:
        return (
            self.rows_duckdb == self.rows_spark
            and not self.unmatched_duckdb
            and not self.unmatched_spark
            and not self.differing
        )

    def describe(self) -> str:
        if self.agrees:
            return (
                f"{self.name}: {self.rows_duckdb:,} rows agree "
                f"(largest floating-point difference {self.largest_difference:.1e})"
            )
        problems = [f"{self.rows_duckdb:,} rows on DuckDB, {self.rows_spark:,} on Spark"]
        if self.unmatched_duckdb or self.unmatched_spark:
            problems.append(
                f"{self.unmatched_duckdb:,} DuckDB rows and {self.unmatched_spark:,} Spark rows "
                "have no counterpart"
            )
        problems += [f"{n:,} rows differ in {column}" for column, n in self.differing.items()]
        return f"{self.name}: " + "; ".join(problems)


def compare_mart(con: duckdb.DuckDBPyConnection, name: str, spark_files: Path) -> MartComparison:
    """Match ``marts.<name>`` of the attached warehouse with Spark's Parquet files of it."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = 'warehouse' and schema_name = 'marts' and table_name = ? "
        "order by column_index",
        [name],
    ).fetchall()
    exact = [quote(c) for c, t in columns if t not in FLOATING]
    floating = [quote(c) for c, t in columns if t in FLOATING]
    listed = ", ".join(exact + floating)
    # Rows that share every exact column are paired in the order of their floating values.
    numbered = (
        f"row_number() over (partition by {', '.join(exact) or '1'} "
        f"order by {', '.join(floating) or '1'}) as _pair"
    )
    con.execute(
        f"create or replace temp table d as select {listed}, {numbered} "
        f"from warehouse.marts.{quote(name)}"
    )
    con.execute(
        f"create or replace temp table s as select {listed}, {numbered} "
        f"from read_parquet('{spark_files}/*.parquet')"
    )
    on = " and ".join(f"d.{c} is not distinct from s.{c}" for c in [*exact, "_pair"])
    both = "d._pair is not null and s._pair is not null"
    checks = []
    for c in floating:
        scale = f"greatest(1, abs(d.{c}))"
        checks.append(
            f"count(*) filter (where {both} and ((d.{c} is null) <> (s.{c} is null) "
            f"or abs(d.{c} - s.{c}) > {TOLERANCE} * {scale}))"
        )
        checks.append(f"coalesce(max(abs(d.{c} - s.{c}) / {scale}), 0)")
    row = con.execute(
        "select (select count(*) from d), (select count(*) from s), "
        "count(*) filter (where s._pair is null), count(*) filter (where d._pair is null)"
        + "".join(", " + check for check in checks)
        + f" from d full join s on {on}"
    ).fetchone()
    result = MartComparison(name, *row[:4])
    for i, c in enumerate(floating):
        differing, largest = row[4 + 2 * i], row[5 + 2 * i]
        if differing:
            result.differing[c.strip('"')] = differing
        result.largest_difference = max(result.largest_difference, largest)
    return result


def compare_engines(home: Home) -> list[MartComparison]:
    """Every mart of the published DuckDB warehouse against the one Spark built."""
    marts = spark_dir(home) / "warehouse" / "marts.db"
    with duckdb.connect() as con:
        con.execute(f"attach '{home.warehouse}' as warehouse (read_only)")
        names = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'warehouse' and schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        found = []
        for name in names:
            if (marts / name).is_dir():
                found.append(compare_mart(con, name, marts / name))
            else:
                rows = con.execute(f"select count(*) from warehouse.marts.{quote(name)}")
                count = rows.fetchone()[0]
                found.append(MartComparison(name, count, 0, unmatched_duckdb=count))
        return found
