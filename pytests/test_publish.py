"""Write, audit, publish: readers never fail during a build, a failed build publishes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.home import PROJECT_DIR, Home
from core.warehouse import exclusive
from generator import generate
from ingest.loader import ingest
from kpiwatch.build import BuildError, build, publish

READER = textwrap.dedent(
    """
    import pathlib, sys, duckdb
    path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    ok = errors = 0
    seen = set()

    def read():
        global ok, errors
        try:
            with duckdb.connect(path, read_only=True) as con:
                seen.add(con.execute("select count(*) from audit.ingest_files").fetchone()[0])
            ok += 1
        except Exception as exc:
            errors += 1
            print("error:", exc, file=sys.stderr)

    while not stop.exists():
        read()
    read()  # the first connection after the build
    print(ok, errors, sorted(seen))
    """
)


@pytest.fixture
def published(home_copy: Home) -> Home:
    return home_copy


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_readers_never_fail_and_see_the_new_publication(published: Home, tmp_path: Path) -> None:
    home = published
    with duckdb.connect(str(home.warehouse), read_only=True) as held:
        before = held.execute("select count(*) from audit.ingest_files").fetchone()[0]
        more = tmp_path / "more"
        generate(more, date(2026, 10, 4), 1, ["110000"], 0.002, 4)
        ingest(home, more)
        stop = tmp_path / "stop"
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(home.warehouse), str(stop)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        result = build(home, quiet=True)
        stop.touch()
        out, err = reader.communicate(timeout=120)
        # A connection held open across the build keeps reading the old publication.
        assert held.execute("select count(*) from audit.ingest_files").fetchone()[0] == before
    ok, errors, seen = out.split(maxsplit=2)
    assert int(errors) == 0, err
    assert int(ok) > 50
    after = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        now = after.execute("select count(*) from audit.ingest_files").fetchone()[0]
    finally:
        after.close()
    assert now > before
    assert str(now) in seen  # readers saw the new data on their next connection
    assert result.publish_seconds < result.seconds


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project,
        ignore=shutil.ignore_patterns(".git", ".venv", ".tools", "data", "target", "logs"),
    )  # fmt: skip
    return project


def test_a_failed_build_publishes_nothing(published: Home, tmp_path: Path) -> None:
    home = published
    project = _project_copy(tmp_path)
    provinces = project / "seeds" / "provinces.csv"
    lines = provinces.read_text(encoding="utf-8").splitlines(keepends=True)
    provinces.write_text("".join([*lines, lines[1]]), encoding="utf-8")  # a duplicate code
    before = _digest(home.warehouse)
    with pytest.raises(BuildError, match="unique_provinces_province_code"):
        build(home, quiet=True, project=project)
    assert _digest(home.warehouse) == before
    # the half-built publication is gone, so no later publish can pick it up
    assert not home.publication.exists()


def _audit(database: Path) -> dict[str, tuple]:
    """Per audit table: its definition, comments and a digest of its rows."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name, sql, comment from duckdb_tables() where schema_name = 'audit'"
        ).fetchall()
        return {
            name: (
                ddl,
                comment,
                con.execute(
                    "select column_name, comment from duckdb_columns() "
                    "where schema_name = 'audit' and table_name = ? order by column_index",
                    [name],
                ).fetchall(),
                con.execute(f"select count(*), sum(hash(columns(*))) from audit.{name}").fetchall(),
            )
            for name, ddl, comment in tables
        }


def test_readers_get_the_marts_and_the_audit_trail_not_the_raw_rows(published: Home) -> None:
    """Publishing is a rename of the build's own file: no raw row, no staging view reaches
    readers, and the audit trail is the working warehouse's, definitions and all."""
    home = published
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        schemas = {
            s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()
    assert schemas == {"marts", "intermediate", "audit"}
    assert views == (0,)
    assert not home.publication.exists()
    audit = _audit(home.work)
    assert set(audit) >= {"ingest_files", "quarantine"}
    assert _audit(home.warehouse) == audit


def test_publishing_again_keeps_the_marts_and_brings_the_new_audit_rows(published: Home) -> None:
    """`kpiwatch run` publishes again after deliveries: same marts, the audit trail as now."""
    home = published
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        marts = con.execute("select sum(hash(columns(*))) from marts.kpi_compliance").fetchall()
    with duckdb.connect(str(home.work)) as con:
        con.execute("delete from audit.quarantine where row_number = 1")
    with exclusive(home):
        publish(home)
    assert _audit(home.warehouse) == _audit(home.work)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert (
            con.execute("select sum(hash(columns(*))) from marts.kpi_compliance").fetchall()
            == marts
        )


def test_unit_tests_run_only_when_asked(published: Home, tmp_path: Path) -> None:
    """A production build leaves dbt's unit tests out; `--unit-tests` runs and enforces them."""
    home = published
    project = _project_copy(tmp_path)
    tests = project / "models" / "staging" / "landing" / "_landing__unit_tests.yml"
    text = tests.read_text(encoding="utf-8")
    wrong = text.replace(
        "- {ticket_id: T1, customer_tier: standard,", "- {ticket_id: T1, customer_tier: gold,", 1
    )
    assert wrong != text
    tests.write_text(wrong, encoding="utf-8")  # an expectation the model does not meet
    before = _digest(home.warehouse)
    with pytest.raises(BuildError, match="stg_hall_tickets_apply_the_contract_defaults"):
        build(home, quiet=True, project=project, unit_tests=True)
    assert _digest(home.warehouse) == before

    result = build(home, quiet=True, project=project)
    assert result.nodes > 0
    kinds = {node["unique_id"].split(".")[0] for node in _run_results(home)}
    assert "unit_test" not in kinds and {"model", "test", "seed"} <= kinds


def _run_results(home: Home) -> list[dict]:
    return json.loads((home.dbt_target / "run_results.json").read_text())["results"]


def test_the_shared_build_ran_every_unit_test(built_home: Home) -> None:
    results = _run_results(built_home)
    units = [node for node in results if node["unique_id"].startswith("unit_test.")]
    declared = sum(
        path.read_text(encoding="utf-8").count("\n  - name: ")
        for path in (PROJECT_DIR / "models").rglob("*unit_tests.yml")
    )
    assert len(units) == declared >= 31
    assert {node["status"] for node in units} == {"pass"}
