"""Analysts' SQL: read-only, scriptable, never in a build's way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpiwatch
from core.home import Home
from core.readers import SqlError
from kpiwatch.build import build
from kpiwatch.cli import app


@pytest.fixture
def home(built_home: Home) -> Home:
    return built_home


def _sql(home: Home, *args: str):
    return CliRunner().invoke(app, ["--home", str(home.root), "sql", *args])


def test_command_in_every_format(home: Home) -> None:
    query = (
        "select province_code, name_en from marts.dim_provinces "
        "where province_code <> '100000' order by 1 limit 2"
    )
    as_json = _sql(home, "--format", "json", "-c", query)
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert rows == [
        {"province_code": "110000", "name_en": "Beijing"},
        {"province_code": "120000", "name_en": "Tianjin"},
    ]
    as_csv = _sql(home, "--format", "csv", "-c", query)
    assert as_csv.stdout.splitlines() == [
        "province_code,name_en",
        "110000,Beijing",
        "120000,Tianjin",
    ]
    as_table = _sql(home, "-c", query)
    assert "Beijing" in as_table.stdout and "2 rows" in as_table.stdout


def test_file_with_several_statements(home: Home, tmp_path: Path) -> None:
    script = tmp_path / "q.sql"
    script.write_text(
        "-- a comment; with a semicolon\nselect 1 as one;\nselect 'a;b' as two;\n", encoding="utf-8"
    )
    result = _sql(home, "--format", "csv", "-f", str(script))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["one", "1", "two", "a;b"]


@pytest.mark.parametrize(
    "statement",
    [
        "delete from marts.dim_provinces",
        "create table marts.mine as select 1",
        "drop schema marts cascade",
    ],
)
def test_writing_is_refused_with_a_clear_message(home: Home, statement: str) -> None:
    count = "select count(*) from marts.dim_provinces where province_code <> '100000'"
    result = _sql(home, "-c", statement)
    assert result.exit_code == 1
    assert "readers are read-only" in " ".join(result.output.split())
    assert _sql(home, "--format", "csv", "-c", count).stdout.splitlines()[1] == "31"


def test_a_session_open_during_a_build_neither_fails_nor_blocks_it(home_copy: Home) -> None:
    home = home_copy
    con = kpiwatch.connect(home.root)
    try:
        before = con.execute("select count(*) from audit.ingest_files").fetchone()[0]
        result = build(home, quiet=True)  # would raise if the session blocked the build
        assert result.nodes > 0
        assert con.execute("select count(*) from audit.ingest_files").fetchone()[0] == before
    finally:
        con.close()


def test_connect_is_polars_pandas_and_arrow_friendly(home: Home) -> None:
    with kpiwatch.connect(home.root) as con:
        relation = con.sql("select * from marts.dim_kpi_catalog")
        assert (
            relation.pl().height
            == relation.df().shape[0]
            == relation.arrow().read_all().num_rows
            > 0
        )
        assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "Asia/Shanghai"


def test_no_warehouse_yet(tmp_path: Path) -> None:
    with pytest.raises(SqlError, match="no published warehouse"):
        kpiwatch.connect(tmp_path)
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "sql", "-c", "select 1"])
    assert result.exit_code == 2 and "kpiwatch build" in result.output


def test_docs_site_is_generated_and_served_offline(home_copy: Home) -> None:
    home = home_copy
    import threading
    import urllib.request

    from core.static_site import server
    from kpiwatch.docs import SITE_FILES, generate

    site = generate(home)
    assert all((site / name).exists() for name in SITE_FILES)
    catalog = json.loads((site / "catalog.json").read_text())
    provinces = catalog["nodes"]["seed.kpiwatch.provinces"]
    assert provinces["metadata"]["schema"] == "raw"
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["nodes"]["seed.kpiwatch.provinces"]["columns"]["region"]["description"]
    httpd = server(site, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"dbt" in response.read()
        with urllib.request.urlopen(url + "catalog.json", timeout=10) as response:
            assert json.loads(response.read())["nodes"]
    finally:
        httpd.shutdown()


def test_every_mart_and_column_explains_itself(home: Home) -> None:
    """persist_docs: dbt's descriptions reach the database, so `describe` tells analysts."""
    with kpiwatch.connect(home.root) as con:
        tables = con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'marts' and (comment is null or comment = '')"
        ).fetchall()
    assert {"kpi_compliance", "kpi_breach_cases", "dim_kpi_catalog"} <= {t for t, _ in tables}
    assert all(comment for _, comment in tables), tables
    assert columns == []
