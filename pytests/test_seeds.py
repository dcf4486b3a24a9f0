"""The reference seeds load into raw with their types and docs, and their dbt tests bite.

Every KPI verdict joins these tables (thresholds, provinces, cities): a seed that does not
load, loads with the wrong types or loses its threshold versions breaks every mart at once,
far from the cause. The builds run dbt in-process on a throwaway DuckDB file.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult
from versioned_catalog import (
    CHANGED_ON,
    NEW_THRESHOLD,
    OLD_THRESHOLD,
    project_with_versioned_catalog,
)

from core.home import PROJECT_DIR

SEEDS = ("provinces", "cities", "kpi_catalog", "vip_tiers", "channels", "remote_services")

STANDARD_KPIS = {
    "hall_wait_15m",
    "hall_handle_10m",
    "hall_vip_wait_5m",
    "hall_appointment_no_wait",
    "hotline_sl20",
    "hotline_vip_sl20",
    "install_days_avg",
    "install_days_max",
    "fixed_connect_rate",
    "mobile_connect_rate",
    "mobile_repair_hours_avg",
    "mobile_repair_hours_max",
    "broadband_repair_hours_avg",
    "broadband_repair_hours_max",
}

# The repository's own statement of the standard, which quotes the deck's words verbatim.
STANDARD_DOC = PROJECT_DIR / "docs" / "standard.md"


def build_seeds(
    project_dir: Path, work_dir: Path, select: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[dbtRunnerResult, Path]:
    """Build the selected seeds and the tests whose every parent is selected.

    ``--indirect-selection cautious`` keeps out tests that also read models (those need the
    models built first), so this stays a seeds-only build as the project grows.
    """
    database = work_dir / "warehouse.duckdb"
    monkeypatch.setenv("KPIWATCH_DBT_DATABASE", str(database))
    monkeypatch.chdir(project_dir)
    result = dbtRunner().invoke(
        [
            "build",
            "--select",
            select,
            "--indirect-selection",
            "cautious",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--quiet",
        ]
    )
    release_warehouse()
    return result, database


def release_warehouse() -> None:
    """Close the database dbt-duckdb keeps open in the process after a run.

    It caches its DuckDB connection for the next invocation; while it is open, this process
    cannot open the file read-only, the way the dashboard and the checks will.
    """
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work_dir = tmp_path_factory.mktemp("seeds")
    with pytest.MonkeyPatch.context() as monkeypatch:
        result, database = build_seeds(PROJECT_DIR, work_dir, "resource_type:seed", monkeypatch)
    assert result.success, f"dbt build failed: {result.exception or failures(result)}"
    tests_run = [r for r in result.result if r.node.resource_type == "test"]
    assert len(tests_run) >= 50, "the seeds' data tests were not selected"
    yield database


def failures(result: dbtRunnerResult) -> list[str]:
    return [r.node.name for r in result.result or [] if r.status not in ("pass", "success")]


def query(database: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_provinces_are_the_31_mainland_divisions(warehouse: Path) -> None:
    [(total, north)] = query(
        warehouse, "select count(*), count(*) filter (where region = 'north') from raw.provinces"
    )
    assert (total, north) == (31, 10)
    codes = {code for (code,) in query(warehouse, "select province_code from raw.provinces")}
    assert not codes & {"710000", "810000", "820000"}, "Taiwan, Hong Kong, Macau are out of scope"


def test_guangdong_has_its_21_prefectures(warehouse: Path) -> None:
    [(count,)] = query(
        warehouse, "select count(*) from raw.cities where province_code = ?", ["440000"]
    )
    assert count == 21


def test_every_standard_kpi_is_catalogued(warehouse: Path) -> None:
    ids = {kpi_id for (kpi_id,) in query(warehouse, "select kpi_id from raw.kpi_catalog")}
    assert STANDARD_KPIS - ids == set()


def test_the_shipped_catalog_holds_one_version_per_kpi(warehouse: Path) -> None:
    """The standard's values only: an operator's change of a threshold is theirs to add."""
    rows = query(
        warehouse,
        """
        select kpi_id, segment, count(*), min(effective_from), bool_or(effective_to is not null)
        from raw.kpi_catalog group by all having count(*) > 1
            or min(effective_from) <> date '2009-01-01' or bool_or(effective_to is not null)
        """,
    )
    assert rows == []
    [(threshold,)] = query(
        warehouse, "select threshold from raw.kpi_catalog where kpi_id = 'hall_wait_15m'"
    )
    assert threshold == pytest.approx(0.90)


@pytest.fixture(scope="module")
def versioned_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only kpi_catalog, from a project copy whose catalog carries the example change."""
    work_dir = tmp_path_factory.mktemp("versioned")
    project = project_with_versioned_catalog(work_dir / "project")
    with pytest.MonkeyPatch.context() as monkeypatch:
        result, database = build_seeds(project, work_dir, "kpi_catalog", monkeypatch)
    assert result.success, f"dbt build failed: {result.exception or failures(result)}"
    return database


@pytest.mark.parametrize(
    ("on", "expected"),
    [(date(2026, 6, 30), OLD_THRESHOLD), (CHANGED_ON, NEW_THRESHOLD)],
)
def test_threshold_in_force_follows_effective_dates(
    versioned_warehouse: Path, on: date, expected: float
) -> None:
    rows = query(
        versioned_warehouse,
        """
        select threshold from raw.kpi_catalog
        where kpi_id = 'hall_wait_15m' and segment = 'all'
          and effective_from <= ? and (effective_to is null or effective_to >= ?)
        """,
        [on, on],
    )
    assert rows == [(pytest.approx(expected),)]


def test_codes_load_as_text_and_dates_as_dates(warehouse: Path) -> None:
    types = dict(
        query(
            warehouse,
            """
            select table_name || '.' || column_name, data_type from duckdb_columns()
            where schema_name = 'raw'
            """,
        )
    )
    assert types["provinces.province_code"] == "VARCHAR"
    assert types["cities.city_code"] == "VARCHAR"
    assert types["kpi_catalog.threshold"] == "DOUBLE"
    assert types["kpi_catalog.effective_from"] == "DATE"
    assert types["kpi_catalog.effective_to"] == "DATE"
    assert types["kpi_catalog.catalog_version"] == "VARCHAR"


def test_descriptions_reach_the_warehouse(warehouse: Path) -> None:
    undocumented = query(
        warehouse,
        """
        select table_name || '.' || column_name from duckdb_columns()
        where schema_name = 'raw' and list_contains(?, table_name) and comment is null
        """,
        [list(SEEDS)],
    )
    assert undocumented == []
    [(tables_with_comment,)] = query(
        warehouse,
        """
        select count(*) from duckdb_tables()
        where schema_name = 'raw' and list_contains(?, table_name) and comment is not null
        """,
        [list(SEEDS)],
    )
    assert tables_with_comment == len(SEEDS)


def test_a_duplicate_province_code_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR,
        project,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".tools", "data", "target", "logs", "dbt_packages", "*cache*"
        ),
    )
    provinces = project / "seeds" / "provinces.csv"
    lines = provinces.read_text(encoding="utf-8").splitlines(keepends=True)
    provinces.write_text("".join([*lines, lines[1]]), encoding="utf-8")

    result, _ = build_seeds(project, tmp_path, "provinces", monkeypatch)

    assert not result.success
    assert "unique_provinces_province_code" in failures(result)


def test_quoted_texts_are_the_standards_words() -> None:
    """Every Chinese commitment the seeds quote is quoted, character for character, in
    docs/standard.md, which cites the standard: a quote edited in one place shows here."""
    deck = STANDARD_DOC.read_text(encoding="utf-8")
    quotes = []
    with (PROJECT_DIR / "seeds" / "kpi_catalog.csv").open(encoding="utf-8") as handle:
        quotes += [row["source_text_zh"] for row in csv.DictReader(handle)]
    with (PROJECT_DIR / "seeds" / "channels.csv").open(encoding="utf-8") as handle:
        # a channel's commitment joins several cells of the deck's table with ";"
        for row in csv.DictReader(handle):
            quotes += [cell for cell in row["commitment_zh"].split(";") if cell]
    assert [quote for quote in quotes if quote not in deck] == []
