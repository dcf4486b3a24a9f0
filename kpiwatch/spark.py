"""The same dbt models on Apache Spark, and proof that both engines publish the same numbers.

``build_on_spark`` runs ``dbt build --target spark``: a local Spark inside dbt's process
(pyspark, Java 17) that reads the raw rows from the Parquet lake (``KPIWATCH_LAKE``, else
``<home>/lake``, written by ``kpiwatch ingest --lake``) and keeps its metastore and
managed Parquet tables under ``<home>/spark``. Nothing is published: on Spark, the marts
live in the Spark catalog.

A Spark build is incremental like a DuckDB one (docs/incremental.md): the period models
overwrite only the partitions of the affected periods. Spark's tables hold no record of
what they were built from, so ``<home>/spark/build_basis.json`` does: the greatest lake
file id the last passed build saw, a digest of the lake's audit rows up to it and the
project's fingerprint. The next build passes that file id to dbt when the rest still holds,
and asks ``--full-refresh`` when it does not.

``compare_engines`` reads every mart Spark wrote (plain Parquet, schema ``marts``) next to
the published DuckDB warehouse and matches them row for row: the same rows, the same
texts, dates, instants and counts, and every floating-point value within 1e-9 (relative to
the value, and absolute below 1). Sums of doubles may be added in a different order on the
two engines, so the last bits may differ; nothing else may.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from core.build_state import project_fingerprint
from core.home import PROJECT_DIR, Home
from core.sql import quote
from kpiwatch.build import BuildError, run_dbt
from kpiwatch.build_basis import files_digest

TOLERANCE = 1e-9
FLOATING = {"DOUBLE", "FLOAT", "REAL"}


def spark_dir(home: Home) -> Path:
    """The local Spark's metastore (Derby) and warehouse of managed tables."""
    return home.root / "spark"


@dataclass(frozen=True)
class SparkBasis:
    """What a passed Spark build was built from (the DuckDB build's basis, for the lake)."""

    built_through_file_id: int
    files_digest: str
    project_fingerprint: str


def basis_file(home: Home) -> Path:
    return spark_dir(home) / "build_basis.json"


def _lake_files(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """``audit.ingest_files`` in ``con``: the lake's own, or none yet."""
    snapshot = lake / "audit" / "ingest_files" / "ingest_files.parquet"
    con.execute("create schema audit")
    if snapshot.exists():
        quoted = "'" + str(snapshot).replace("'", "''") + "'"
        con.execute(f"create view audit.ingest_files as select * from read_parquet({quoted})")
    else:
        con.execute(
            "create table audit.ingest_files (file_id bigint, source varchar, "
            "content_hash varchar, status varchar, rows_loaded bigint, loaded_at timestamptz)"
        )


def lake_basis(lake: Path, project: Path, through: int | None = None) -> SparkBasis:
    """The basis of a Spark build over ``lake`` now: through its greatest file id, or
    through ``through`` (to check that the lake still holds what a build saw)."""
    with duckdb.connect() as con:
        _lake_files(con, lake)
        if through is None:
            (through,) = con.execute(
                "select coalesce(max(file_id), 0) from audit.ingest_files"
            ).fetchone()
        return SparkBasis(int(through), files_digest(con, through), project_fingerprint(project))


def read_basis(home: Home) -> SparkBasis | None:
    try:
        return SparkBasis(**json.loads(basis_file(home).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def why_full(
    home: Home, last: SparkBasis | None, now: SparkBasis, lake: Path, project: Path
) -> str | None:
    """Why this Spark build must recompute everything, or None when it can start from the
    tables of the last one."""
    if not (spark_dir(home) / "warehouse" / "marts.db").is_dir():
        return "no Spark tables yet"
    if last is None:
        return "the Spark tables record no basis"
    if last.project_fingerprint != now.project_fingerprint:
        return "the dbt project or its reference data changed"
    if last.built_through_file_id > now.built_through_file_id or (
        last.files_digest != lake_basis(lake, project, last.built_through_file_id).files_digest
    ):
        return "the lake no longer holds the files the last build saw"
    return None


def build_on_spark(
    home: Home,
    quiet: bool = False,
    project: Path = PROJECT_DIR,
    full_refresh: bool = False,
    unit_tests: bool = True,
) -> int:
    """``dbt build --target spark`` over the home's lake; return the number of dbt nodes.

    Incremental from the last passed Spark build when its basis still holds (the module's
    docstring), else with ``--full-refresh``. ``unit_tests=False`` leaves dbt's unit tests
    out: they read only their own fixtures, so they give the same answer for a project
    whatever the data (a third of a small Spark build's time)."""
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
    now = lake_basis(lake, project)
    last = read_basis(home)
    full = full_refresh or why_full(home, last, now, lake, project) is not None
    args = ["build", "--target", "spark"]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if full:
        args.append("--full-refresh")
    else:
        assert last is not None
        args += ["--vars", json.dumps({"built_through_file_id": last.built_through_file_id})]
    env = {"KPIWATCH_LAKE": str(lake), "KPIWATCH_SPARK_DIR": str(target)}
    basis_file(home).unlink(missing_ok=True)  # a failed build is never a basis
    ok, failures, nodes = run_dbt(home, home.work, args, quiet, project, env=env, dbt_dir=target)
    if not ok:
        raise BuildError("dbt build on Spark failed:\n  " + "\n  ".join(failures))
    basis_file(home).write_text(json.dumps(asdict(now)), encoding="utf-8")
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


def spark_table(files: Path, types: dict[str, str]) -> str:
    """A DuckDB table expression over the Parquet files of one table that Spark wrote.

    A table partitioned by period keeps its partition columns in the folder names
    (``period_month=2026-06-01/part-….parquet``), not in the files: they are read back with
    the type the DuckDB warehouse gives the column. A partitioned table without rows has no
    file at all: it reads as no rows of the warehouse's columns.
    """
    first = next(iter(sorted(files.rglob("*.parquet"))), None)
    if first is None:
        columns = ", ".join(f"cast(null as {t}) as {quote(c)}" for c, t in types.items())
        return f"(select {columns} where false)"
    keys = [part.split("=", 1)[0] for part in first.relative_to(files).parent.parts]
    if not keys:
        return f"read_parquet('{files}/*.parquet')"
    hive_types = ", ".join(f"'{k}': '{types[k]}'" for k in keys)
    return (
        f"read_parquet('{files}/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{{hive_types}}})"
    )


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
        f"from {spark_table(spark_files, dict(columns))}"
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
