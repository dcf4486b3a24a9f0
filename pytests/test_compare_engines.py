"""The engine comparison itself: it must see every kind of difference, and only those.

No Spark here: a DuckDB file stands for the published warehouse and Parquet files written
next to it stand for what Spark wrote, so each difference is planted on purpose.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kpiwatch.spark import compare_mart

ROWS = """
    select * from (values
        ('110000', date '2026-10-01', timestamptz '2026-10-01 00:00+08', 0.9::double, 100::bigint),
        ('110000', date '2026-10-02', timestamptz '2026-10-02 00:00:00+08', 0.8, 90::bigint),
        ('440000', date '2026-10-01', null, null, 0::bigint),
        -- two rows that differ only in their value: paired by value, not by position
        ('650000', date '2026-10-01', null, 1.5, 1::bigint),
        ('650000', date '2026-10-01', null, 2.5, 1::bigint)
    ) as t (province_code, period_date, measured_at, value, sample_size)
"""


def _compare(tmp_path: Path, spark_rows: str | None, duckdb_rows: str = ROWS) -> object:
    """marts.m holds ``duckdb_rows`` in DuckDB and ``spark_rows`` in Spark's folder (no file
    at all for None)."""
    warehouse = tmp_path / "warehouse.duckdb"
    spark = tmp_path / "spark" / "m"
    spark.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.m as {duckdb_rows}")
        if spark_rows is not None:
            con.execute(f"copy ({spark_rows}) to '{spark}/part-0.parquet' (format parquet)")
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        return compare_mart(con, "m", spark)


def test_identical_rows_in_another_order_agree(tmp_path: Path) -> None:
    result = _compare(tmp_path, f"select * from ({ROWS}) order by value desc nulls first")
    assert result.agrees, result.describe()
    assert result.rows_duckdb == result.rows_spark == 5


def test_a_difference_within_the_tolerance_agrees(tmp_path: Path) -> None:
    result = _compare(tmp_path, f"select * replace (value + 1e-12 as value) from ({ROWS})")
    assert result.agrees, result.describe()
    assert 0 < result.largest_difference < 1e-9


@pytest.mark.parametrize(
    ("spark_rows", "expected"),
    [
        (f"select * replace (value + 1e-7 as value) from ({ROWS})", "rows differ in value"),
        (
            f"select * replace (if(value = 0.9, null, value) as value) from ({ROWS})",
            "rows differ in value",
        ),
        (f"select * from ({ROWS}) where province_code <> '440000'", "have no counterpart"),
        (f"select * from ({ROWS}) union all select * from ({ROWS}) limit 6", "have no counterpart"),
        (
            f"select * replace (sample_size + 1 as sample_size) from ({ROWS})",
            "have no counterpart",
        ),
        (
            f"select * replace (measured_at + interval 1 microsecond as measured_at) from ({ROWS})",
            "have no counterpart",
        ),
        (
            f"select * replace (period_date + 1 as period_date) from ({ROWS})",
            "have no counterpart",
        ),
    ],
    ids=["value", "null value", "missing row", "extra row", "count", "instant", "date"],
)
def test_every_kind_of_difference_is_reported(
    tmp_path: Path, spark_rows: str, expected: str
) -> None:
    result = _compare(tmp_path, spark_rows)
    assert not result.agrees
    assert expected in result.describe()


def test_a_table_partitioned_by_period_compares_like_one_file(tmp_path: Path) -> None:
    """Spark writes a period-incremental mart as one folder per period, the period in the
    folder's name and not in the files: it is read back with the warehouse's type."""
    warehouse = tmp_path / "warehouse.duckdb"
    spark = tmp_path / "spark" / "m"
    spark.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.m as {ROWS}")
        con.execute(f"copy ({ROWS}) to '{spark}' (format parquet, partition_by (period_date))")
    assert sorted(p.name for p in spark.iterdir()) == [
        "period_date=2026-10-01",
        "period_date=2026-10-02",
    ]
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        assert compare_mart(con, "m", spark).agrees
        # and a period that went missing is seen
        for part in (spark / "period_date=2026-10-02").iterdir():
            part.unlink()
        missing = compare_mart(con, "m", spark)
        assert not missing.agrees and "have no counterpart" in missing.describe()


def test_a_partitioned_table_without_rows_has_no_file_and_no_rows(tmp_path: Path) -> None:
    result = _compare(tmp_path, None, f"select * from ({ROWS}) where false")
    assert result.agrees and result.rows_duckdb == result.rows_spark == 0
