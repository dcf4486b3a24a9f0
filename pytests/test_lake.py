"""The lake: the raw rows and audit tables as Parquet, exactly the warehouse's, written
once per landing file, and the same whether written by ingest or exported afterwards."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SMALL
from typer.testing import CliRunner

from core.contract import SOURCES
from core.home import Home
from core.sql import literal
from generator import generate
from ingest.lake import EVENT_COLUMNS, PARTITION, Lake, raw_lake_columns
from ingest.loader import ingest
from kpiwatch.cli import app
from kpiwatch.pipeline import run


@pytest.fixture(scope="module")
def sunk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, Path, Lake]:
    """A small month's landing ingested with the lake sink on."""
    root = tmp_path_factory.mktemp("lake")
    home = Home.resolve(root / "home")
    generate(root / "landing", **SMALL)
    report = ingest(home, root / "landing", lake=Lake.resolve(home))
    assert report.lake is not None and report.lake.error is None
    assert report.lake.files_written == report.count("loaded") - _all_quarantined(home)
    return home, root / "landing", Lake.resolve(home)


def _all_quarantined(home: Home) -> int:
    return _query(home, "select count(*) from audit.ingest_files where status = 'loaded' "
                  "and rows_loaded = 0")[0][0]  # fmt: skip


def _query(home: Home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.work), read_only=True) as con:
        con.execute("set TimeZone = 'Asia/Shanghai'")
        return con.execute(sql).fetchall()


def _raw(lake: Lake, source: str) -> str:
    pattern = literal(str(lake.raw_dir(source) / "**" / "*.parquet"))
    return f"read_parquet({pattern}, hive_partitioning = true)"


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: its content hash and when it was last written."""
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _same_rows(home: Home, left: str, right: str, columns: str = "*") -> None:
    """The two relations hold the same rows, each as many times (and not just as many)."""
    counts = _query(
        home,
        f"select (select count(*) from (select {columns} from {left} except all "
        f"select {columns} from {right})), (select count(*) from (select {columns} from {right} "
        f"except all select {columns} from {left})), (select count(*) from {left}), "
        f"(select count(*) from {right})",
    )[0]
    assert counts[:2] == (0, 0) and counts[2] == counts[3], (left, right, counts)


def test_each_source_is_dated_by_when_its_record_opens() -> None:
    assert EVENT_COLUMNS == {
        "hall_tickets": "taken_at",
        "hotline_calls": "queued_at",
        "network_calls": "stat_hour",
        "mobile_repairs": "reported_at",
        "broadband_faults": "reported_at",
        "install_orders": "accepted_at",
    }
    for source, column in EVENT_COLUMNS.items():
        assert SOURCES[source].column(column).required


def test_the_lake_holds_exactly_the_raw_rows(sunk) -> None:
    home, _, lake = sunk
    for source in SOURCES:
        columns = ", ".join(raw_lake_columns(source))
        _same_rows(home, f"raw.{source}", _raw(lake, source), columns)
        # The raw table's columns and types (scratch columns aside), then the partition.
        raw_types = _query(home, f"describe select {columns} from raw.{source}")
        lake_types = _query(home, f"describe select * from {_raw(lake, source)}")
        assert [r[:2] for r in lake_types] == [r[:2] for r in raw_types] + [(PARTITION, "DATE")]


def test_partitions_are_local_dates_of_the_event_and_files_are_landing_files(sunk) -> None:
    home, _, lake = sunk
    past_utc_midnight = 0
    for source, column in EVENT_COLUMNS.items():
        wrong = _query(
            home,
            f"select count(*) filter (where {PARTITION} <> "
            f"cast(timezone('Asia/Shanghai', {column}) as date)), "
            "count(*) filter (where parse_filename(filename, true) <> ingest_file_id::varchar), "
            f"count(*) from read_parquet({literal(str(lake.raw_dir(source) / '**' / '*.parquet'))}"
            ", hive_partitioning = true, filename = true)",
        )[0]
        assert wrong[:2] == (0, 0) and wrong[2] > 0, source
        # Before 08:00 in Shanghai is the previous day in UTC: the local date is used.
        past_utc_midnight += _query(
            home,
            f"select count(*) from {_raw(lake, source)} "
            f"where {PARTITION} <> cast({column} at time zone 'UTC' as date)",
        )[0][0]
    assert past_utc_midnight > 0
    paths = [p.relative_to(lake.root).parts for p in lake.root.rglob("*.parquet")]
    assert {p[0] for p in paths} == {"raw", "audit"}
    for parts in paths:
        if parts[0] == "raw":
            assert parts[1] in SOURCES and parts[2].startswith(f"{PARTITION}=")
            assert parts[3].removesuffix(".parquet").isdigit()


def test_audit_tables_are_in_the_lake(sunk) -> None:
    home, _, lake = sunk
    for table in ("ingest_files", "quarantine"):
        snapshot = f"read_parquet({literal(str(lake.audit_file(table)))})"
        _same_rows(home, f"audit.{table}", snapshot)
        assert [r[:2] for r in _query(home, f"describe select * from {snapshot}")] == [
            r[:2] for r in _query(home, f"describe audit.{table}")
        ]
    assert _query(home, "select count(*) from audit.quarantine")[0][0] > 0


def test_a_rerun_changes_nothing(sunk) -> None:
    home, landing, lake = sunk
    before = _tree(lake.root)
    report = ingest(home, landing, lake=lake)
    assert report.count("loaded") == 0 and report.lake is not None
    assert (report.lake.files_written, report.lake.audit_written) == (0, False)
    assert _tree(lake.root) == before


def test_export_writes_the_same_lake(sunk, tmp_path: Path) -> None:
    home, _, lake = sunk
    result = CliRunner().invoke(
        app, ["--home", str(home.root), "lake", "export", str(tmp_path / "exported")]
    )
    assert result.exit_code == 0, result.output
    exported = Lake(tmp_path / "exported")
    assert set(_tree(exported.root)) == set(_tree(lake.root))
    for source in SOURCES:
        _same_rows(home, _raw(lake, source), _raw(exported, source))
    for path in exported.root.rglob("*.parquet"):
        twin = lake.root / path.relative_to(exported.root)
        _same_rows(
            home, f"read_parquet({literal(str(path))})", f"read_parquet({literal(str(twin))})"
        )


def test_export_over_a_lake_replaces_its_files_and_drops_strangers(sunk, tmp_path: Path) -> None:
    home, _, lake = sunk
    copy = Lake(tmp_path / "copy")
    shutil.copytree(lake.root, copy.root)
    stranger = copy.raw_dir("hall_tickets") / f"{PARTITION}=2020-01-01" / "999999.parquet"
    stranger.parent.mkdir(parents=True)
    shutil.copy(next(copy.raw_dir("hall_tickets").rglob("*.parquet")), stranger)
    before = {k: v[0] for k, v in _tree(copy.root).items() if "999999" not in k}
    env = {"KPIWATCH_LAKE": str(copy.root)}
    result = CliRunner().invoke(app, ["--home", str(home.root), "lake", "export"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 stale files removed" in " ".join(result.output.split())
    assert not stranger.parent.exists()
    after = {k: v[0] for k, v in _tree(copy.root).items()}
    assert set(after) == set(before)
    for source in SOURCES:
        _same_rows(home, f"raw.{source}", _raw(copy, source), ", ".join(raw_lake_columns(source)))


def test_files_loaded_without_the_lake_reach_it_on_the_next_run(tmp_path: Path) -> None:
    """Plain ingest writes no lake; the first run with one writes everything it misses
    (a backfill, or a lake write interrupted after its batch committed)."""
    landing = tmp_path / "landing"
    generate(landing, **{**SMALL, "days": 2})
    home = Home.resolve(tmp_path / "home")
    runner = CliRunner()
    plain = runner.invoke(app, ["--home", str(home.root), "ingest", str(landing)])
    assert plain.exit_code in (0, 1), plain.output  # 1: planted unreadable files
    assert not (home.root / "lake").exists() and "lake" not in plain.output
    lake = Lake(tmp_path / "elsewhere")
    env = {"KPIWATCH_LAKE": str(lake.root)}
    off = runner.invoke(
        app, ["--home", str(home.root), "ingest", "--no-lake", str(landing)], env=env
    )
    assert off.exit_code == 0 and not lake.root.exists(), off.output
    on = runner.invoke(app, ["--home", str(home.root), "ingest", str(landing)], env=env)
    assert on.exit_code == 0, on.output
    assert f"lake {lake.root}" in " ".join(on.output.split())
    for source in SOURCES:
        _same_rows(home, f"raw.{source}", _raw(lake, source), ", ".join(raw_lake_columns(source)))
    # A lost raw file (as if its write was interrupted before the snapshot) comes back.
    lost = next(lake.raw_dir("hotline_calls").rglob("*.parquet"))
    lost.unlink()
    lake.audit_file("ingest_files").unlink()
    again = ingest(home, landing, lake=lake)
    assert again.lake is not None and again.lake.files_written > 0 and lost.exists()


def test_an_unwritable_lake_is_refused_before_anything_loads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "hall_tickets").mkdir(parents=True)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(
        app,
        ["--home", str(tmp_path / "home"), "ingest", "--lake", str(landing)],
        env={"KPIWATCH_LAKE": str(blocker / "lake")},
    )
    assert result.exit_code == 2
    assert "cannot write the lake" in " ".join(result.output.split())


def test_a_lake_that_fails_mid_run_is_caught_up_by_the_next(tmp_path: Path) -> None:
    """The warehouse loads everything; the lake stops, says why, and is completed later."""
    landing = tmp_path / "landing"
    generate(landing, **{**SMALL, "days": 1})
    home = Home.resolve(tmp_path / "home")
    lake = Lake(tmp_path / "lake")
    blocker = lake.raw_dir("hotline_calls")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    env = {"KPIWATCH_LAKE": str(lake.root)}
    runner = CliRunner()
    failed = runner.invoke(app, ["--home", str(home.root), "ingest", str(landing)], env=env)
    assert failed.exit_code == 1
    assert "could not be written" in " ".join(failed.output.split())
    assert not lake.audit_file("ingest_files").exists()
    assert _query(home, "select count(*) from raw.hotline_calls")[0][0] > 0
    blocker.unlink()
    fixed = runner.invoke(app, ["--home", str(home.root), "ingest", str(landing)], env=env)
    assert fixed.exit_code == 0, fixed.output
    for source in SOURCES:
        _same_rows(home, f"raw.{source}", _raw(lake, source), ", ".join(raw_lake_columns(source)))
    for table in ("ingest_files", "quarantine"):
        _same_rows(home, f"audit.{table}", f"read_parquet({literal(str(lake.audit_file(table)))})")


def test_a_scheduled_run_writes_the_lake_too(tmp_path: Path, monkeypatch) -> None:
    """`kpiwatch run` ingests with the lake KPIWATCH_LAKE names, then builds on the warehouse."""
    landing = tmp_path / "landing"
    generate(landing, **{**SMALL, "days": 1})
    home = Home.resolve(tmp_path / "home")
    lake = Lake(tmp_path / "lake")
    monkeypatch.setenv("KPIWATCH_LAKE", str(lake.root))
    report = run(home, landing, send=False, sleep=lambda _: None)
    assert report.ingest.lake is not None and report.ingest.lake.error is None
    assert report.built and report.build_error is None and report.published
    for source in SOURCES:
        _same_rows(home, f"raw.{source}", _raw(lake, source), ", ".join(raw_lake_columns(source)))
    _same_rows(
        home, "audit.ingest_files", f"read_parquet({literal(str(lake.audit_file('ingest_files')))})"
    )
