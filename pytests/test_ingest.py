"""Ingest: every delivered row is loaded or quarantined, exactly once, and traceable."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from landing_reader import read_strings
from typer.testing import CliRunner

from core.home import Home
from generator import generate
from generator.expected import expected, total
from ingest import loader
from ingest.loader import ingest
from kpiwatch import cli
from kpiwatch.cli import app

PROVINCES = ["110000", "310000", "440000", "510000", "540000", "650000"]
CALLER = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, dict, object]:
    root = tmp_path_factory.mktemp("ingest")
    home = Home.resolve(root / "home")
    manifest = generate(root / "landing", date(2026, 10, 28), 6, PROVINCES, 0.002, 5)
    report = ingest(home, root / "landing")
    return home, manifest, report


def _query(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.work), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _files(home: Home) -> dict[str, dict]:
    with duckdb.connect(str(home.work), read_only=True) as con:
        frame = con.sql("select * from audit.ingest_files").pl()
    return {row["path"]: row for row in frame.iter_rows(named=True)}


def test_every_file_reconciles_with_the_manifest(loaded) -> None:
    home, manifest, report = loaded
    files = _files(home)
    planted = Counter(
        r["path"] for r in manifest["invalid_rows"]["rows"] if r["row_number"] != "all"
    )
    assert len(files) == len(manifest["files"])
    for f in manifest["files"]:
        row = files[f["path"]]
        if f["delivery"] == "original":
            assert row["status"] == "loaded", row
            assert row["rows_read"] == f["rows"]
            assert row["rows_quarantined"] == planted[f["path"]]
            assert row["rows_loaded"] == row["rows_read"] - row["rows_quarantined"]
        elif f["delivery"] == "duplicate":
            assert row["status"] == "skipped_duplicate"
            assert row["duplicate_of"] == files[f["duplicate_of"]]["file_id"]
        elif f["delivery"] == "missing_column":
            assert row["status"] == "loaded"
            assert (row["rows_read"], row["rows_loaded"]) == (f["rows"], 0)
            assert row["rows_quarantined"] == f["rows"]
        else:
            assert f["delivery"] == "unreadable"
            assert row["status"] == "failed"
            assert re.search(r"gzip|magic bytes|parquet", row["error"], re.I), row["error"]
    # What the raw tables hold per file is exactly what the audit says was loaded.
    for source in {f["source"] for f in manifest["files"]}:
        per_file = dict(
            _query(home, f"select ingest_file_id, count(*) from raw.{source} group by all")
        )
        for row in files.values():
            if row["source"] == source and row["status"] == "loaded":
                assert per_file.get(row["file_id"], 0) == row["rows_loaded"], row["path"]
    assert report.count("failed") == sum(f["delivery"] == "unreadable" for f in manifest["files"])
    assert not report.ok  # failed files make the run's exit status say so


def test_what_generate_says_ingest_will_read_is_what_ingest_reads(loaded) -> None:
    """generate's summary and ingest's reconcile: rows read = original rows + rows of files
    missing a column; loaded + quarantined = read; duplicates skipped, unreadable failed."""
    _, manifest, report = loaded
    per_source = expected(manifest)
    for source, e in per_source.items():
        own = [o for o in report.outcomes if o.file.source == source]
        assert sum(o.status == "loaded" for o in own) == e.loaded_files
        assert sum(o.status == "skipped_duplicate" for o in own) == e.duplicate_files
        assert sum(o.status == "failed" for o in own) == e.unreadable_files
        assert sum(o.rows_read for o in own) == e.rows_read
        assert sum(o.rows_loaded for o in own) == e.rows_loaded
        assert sum(o.rows_quarantined for o in own) == e.invalid_rows
    whole = total(per_source)
    assert whole.missing_column_rows > 0 and whole.duplicate_rows > 0  # the case at hand
    assert report.rows_read == whole.rows_read == whole.original_rows + whole.missing_column_rows
    # Both commands print these figures.
    with cli.console.capture() as generated:
        cli._summary(manifest, Path("landing"), 1.0)
    said = " ".join(generated.get().split())
    assert f"will read {whole.rows_read:,} rows" in said
    assert f"load {whole.rows_loaded:,} and quarantine {whole.invalid_rows:,}" in said
    with cli.console.capture() as ingested:
        cli._ingest_summary(report)
    said = " ".join(ingested.get().split())
    assert (
        f"{report.rows_read:,} rows read ({whole.rows_loaded:,} loaded + "
        f"{whole.invalid_rows:,} quarantined)"
    ) in said


def test_quarantine_holds_exactly_the_planted_rows(loaded) -> None:
    home, manifest, _ = loaded
    expected = {
        (r["path"], r["row_number"], (r["kind"],))
        for r in manifest["invalid_rows"]["rows"]
        if r["row_number"] != "all"
    }
    for f in manifest["files"]:
        if f["delivery"] == "missing_column":
            expected |= {(f["path"], n, ("missing_column",)) for n in range(1, f["rows"] + 1)}
    rows = _query(home, "select path, row_number, reasons, messages, record from audit.quarantine")
    assert {(p, n, tuple(r)) for p, n, r, _, _ in rows} == expected
    for _, _, reasons, messages, record in rows:
        assert len(messages) == len(reasons) and all(messages)
        assert json.loads(record)  # the record as delivered, column by column
    # Messages name the column and the value; a user can act on them.
    bad_ts = [m for _, _, r, ms, _ in rows if "bad_timestamp" in r for m in ms]
    assert any("31/10/2026 10:00" in m and "is not a timestamp" in m for m in bad_ts)


def test_every_kind_of_invalid_row_is_caught(loaded) -> None:
    home, manifest, _ = loaded
    found = Counter()
    for source, reasons in _query(home, "select source, reasons from audit.quarantine"):
        for reason in reasons:
            found[(source, reason)] += 1
    planted = Counter()
    for source, kinds in manifest["invalid_rows"]["by_kind"].items():
        for kind, n in kinds.items():
            planted[(source, kind)] += n
    assert found == planted


def test_rerun_changes_nothing(loaded) -> None:
    home, manifest, _ = loaded
    landing = Path(loaded[2].landing)
    fingerprint = """
        select (select count(*) from audit.ingest_files), (select count(*) from audit.quarantine),
               (select count(*) from raw.hall_tickets), (select count(*) from raw.network_calls)
    """
    before = _query(home, fingerprint)
    stamp, content = home.work.stat().st_mtime_ns, home.work.read_bytes()
    again = ingest(home, landing)
    assert again.count("unchanged") == len(manifest["files"])
    assert again.count("loaded") == again.count("failed") == 0
    # Nothing new: the working file is not rewritten (not a byte, not its modification time).
    assert home.work.stat().st_mtime_ns == stamp
    assert home.work.read_bytes() == content
    assert not home.work.with_name(home.work.name + ".wal").exists()
    assert _query(home, fingerprint) == before


def test_same_content_under_another_name_is_skipped(loaded, tmp_path: Path) -> None:
    home, manifest, _ = loaded
    original = next(f for f in manifest["files"] if f["delivery"] == "original" and f["rows"])
    landing = tmp_path / "again"
    target = landing / original["source"] / "renamed" / ("copy_" + Path(original["path"]).name)
    target.parent.mkdir(parents=True)
    target.write_bytes((Path(loaded[2].landing) / original["path"]).read_bytes())
    report = ingest(home, landing)
    assert [o.status for o in report.outcomes] == ["skipped_duplicate"]
    row = _files(home)[target.relative_to(landing).as_posix()]
    assert row["status"] == "skipped_duplicate" and row["content_hash"] == original["sha256"]


def test_caller_numbers_never_reach_the_warehouse_in_clear(loaded) -> None:
    home, manifest, _ = loaded
    landing = Path(loaded[2].landing)
    numbers: set[str] = set()
    for f in manifest["files"]:
        if f["source"] == "hotline_calls" and f["delivery"] == "original":
            frame, _ = read_strings(landing / f["path"])
            numbers |= set(frame["caller_number"].drop_nulls().to_list())
    assert numbers and all(CALLER.fullmatch(n) for n in numbers)
    with duckdb.connect(str(home.work), read_only=True) as con:
        for (table,) in con.execute(
            "select distinct schema_name || '.' || table_name from duckdb_tables()"
        ).fetchall():
            text = str(con.sql(f"select * from {table}").fetchall())
            assert not any(n in text for n in numbers), table
        hashes = con.execute(
            "select count(distinct caller_hash) from raw.hotline_calls"
        ).fetchone()[0]
    # Repeat callers can still be counted: one hash per number (junk rows aside).
    assert 0.95 * len(numbers) <= hashes <= len(numbers)


def test_gb18030_text_survives(loaded) -> None:
    home, _, _ = loaded
    rows = _query(
        home,
        "select distinct t.business_type from raw.hall_tickets t "
        "join audit.ingest_files f on f.file_id = t.ingest_file_id where f.encoding = 'gb18030'",
    )
    assert {"话费缴纳", "补(换)卡", "开/关国际漫游"} <= {r[0] for r in rows}


def _hall_row(ticket: str, taken: str) -> dict[str, str]:
    return {
        "ticket_id": ticket, "hall_id": "H440100001", "hall_type": "own_hall",
        "province_code": "440000", "city_code": "440100", "taken_at": taken,
    }  # fmt: skip


def test_timestamps_become_instants(tmp_path: Path) -> None:
    """Every spelling docs/landing-contract.md allows; no offset means Asia/Shanghai."""
    instant = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    spellings = {
        "naive_space": "2026-10-31 23:30:00",
        "naive_t": "2026-10-31T23:30:00",
        "colon_offset": "2026-10-31T23:30:00+08:00",
        "compact_offset": "2026-10-31 23:30:00.000+0800",
        "utc_z": "2026-10-31T15:30:00Z",
        "fraction": "2026-10-31 23:30:00.000",
    }
    folder = tmp_path / "landing" / "hall_tickets" / "d"
    folder.mkdir(parents=True)
    pl.DataFrame([_hall_row(k, v) for k, v in spellings.items()]).write_csv(folder / "a.csv")
    lines = "\n".join(json.dumps(_hall_row(k + "_json", v)) for k, v in spellings.items())
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    base = pl.DataFrame([_hall_row("parquet_instant", ""), _hall_row("parquet_naive", "")])
    base.drop("taken_at").with_columns(
        pl.Series("taken_at", [instant, instant]).cast(pl.Datetime("us", "UTC"))
    ).head(1).write_parquet(folder / "c.parquet")
    base.drop("taken_at").with_columns(
        pl.Series("taken_at", [datetime(2026, 10, 31, 23, 30)] * 2)
    ).tail(1).write_parquet(folder / "d.parquet")
    home = Home.resolve(tmp_path / "home")
    report = ingest(home, tmp_path / "landing")
    assert report.count("loaded") == 4
    rows = _query(home, "select ticket_id, taken_at from raw.hall_tickets order by 1")
    assert len(rows) == 2 * len(spellings) + 2
    assert {t.astimezone(UTC) for _, t in rows} == {instant}


def test_naive_parquet_timestamps_follow_shanghai_history(tmp_path: Path) -> None:
    """Naive Parquet times are Asia/Shanghai local: +08:00 since 1992, but +09:00 in the
    summers of 1986-1991 (the loader computes recent ones without asking ICU). Instants
    before 2000 are implausible by default: this home's window starts in 1980."""
    local = [
        datetime(1991, 7, 1, 12, 0),
        datetime(1992, 1, 1, 0, 0),
        datetime(2026, 10, 31, 23, 30),
    ]
    expected = [
        datetime(1991, 7, 1, 3, 0, tzinfo=UTC),
        datetime(1991, 12, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 15, 30, tzinfo=UTC),
    ]
    folder = tmp_path / "landing" / "hall_tickets"
    folder.mkdir(parents=True)
    rows = pl.DataFrame([_hall_row(f"T{i}", "") for i in range(len(local))]).drop("taken_at")
    rows.with_columns(pl.Series("taken_at", local)).write_parquet(folder / "naive.parquet")
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    (home.root / "kpiwatch.toml").write_text('[ingest]\nearliest = "1980-01-01"\n')
    assert ingest(home, tmp_path / "landing").count("loaded") == 1
    rows = _query(home, "select taken_at from raw.hall_tickets order by ticket_id")
    assert [t.astimezone(UTC) for (t,) in rows] == expected


def test_missing_folder_unknown_source_and_unwritable_home(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "home")
    missing = runner.invoke(app, ["--home", home, "ingest", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    landing = tmp_path / "landing"
    (landing / "hall_tickts").mkdir(parents=True)
    unknown = runner.invoke(app, ["--home", home, "ingest", str(landing)])
    assert unknown.exit_code == 1
    assert "hall_tickts is not a source folder" in " ".join(unknown.output.split())
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    bad_home = runner.invoke(app, ["--home", str(blocker / "home"), "ingest", str(landing)])
    assert bad_home.exit_code == 2 and "cannot write to the kpiwatch home" in bad_home.output


def _big_landing(root: Path, rows: int) -> Path:
    """A small file, then one large CSV of hall tickets (loaded last, by path order)."""
    folder = root / "hall_tickets" / "2026-10-02"
    folder.mkdir(parents=True)
    frame = pl.DataFrame(
        {
            "ticket_id": pl.int_range(rows, eager=True).cast(pl.String),
            "hall_id": "H440100001", "hall_type": "own_hall", "province_code": "440000",
            "city_code": "440100", "business_type": "话费缴纳", "is_3g": "true",
            "taken_at": "2026-10-01 09:00:00",
        }
    )  # fmt: skip
    frame.head(10).write_csv(root / "hall_tickets" / "2026-10-01.csv")
    frame.write_csv(folder / "big.csv")
    return root


def test_kill_9_mid_load_then_rerun_loads_exactly_once(tmp_path: Path) -> None:
    rows = 3_000_000
    landing = _big_landing(tmp_path / "landing", rows)
    kpiwatch = str(Path(sys.executable).with_name("kpiwatch"))
    # How long a full load takes here, to kill the next one half-way.
    began = time.perf_counter()
    subprocess.run([kpiwatch, "--home", str(tmp_path / "timing"), "ingest", str(landing)],
                   check=True, capture_output=True)  # fmt: skip
    full = time.perf_counter() - began
    home = Home.resolve(tmp_path / "home")
    process = subprocess.Popen(
        [kpiwatch, "--home", str(home.root), "ingest", str(landing)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(full * 0.6)
    assert process.poll() is None, "the load finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # The warehouse is consistent: the small file is loaded, the big one not at all.
    with duckdb.connect(str(home.work)) as con:
        files = con.execute("select path, status from audit.ingest_files").fetchall()
        count = con.execute("select count(*) from raw.hall_tickets").fetchone()[0]
    assert files == [("hall_tickets/2026-10-01.csv", "loaded")]
    assert count == 10
    report = ingest(home, landing)
    assert [(o.file.relative, o.status) for o in report.outcomes] == [
        ("hall_tickets/2026-10-01.csv", "unchanged"),
        ("hall_tickets/2026-10-02/big.csv", "loaded"),
    ]
    assert _query(home, "select count(*) from raw.hall_tickets")[0][0] == rows + 10
    assert ingest(home, landing).count("loaded") == 0


def test_a_second_writer_is_refused_while_one_runs(tmp_path: Path) -> None:
    """Another process finds the lock held and says so (within a process it is re-entrant)."""
    from core.warehouse import writer

    home = Home.resolve(tmp_path / "home")
    (tmp_path / "landing" / "hall_tickets").mkdir(parents=True)
    kpiwatch = str(Path(sys.executable).with_name("kpiwatch"))
    command = [kpiwatch, "--home", str(home.root), "ingest", str(tmp_path / "landing")]
    with writer(home):
        busy = subprocess.run(command, capture_output=True, text=True)
    assert busy.returncode == 75  # busy, try later (EX_TEMPFAIL), as for build and run
    assert "another kpiwatch process is writing" in " ".join(busy.stderr.split())
    free = subprocess.run(command, capture_output=True, text=True)
    assert free.returncode == 0, free.stderr


def _hall_csv(landing: Path) -> Path:
    return next(p for p in sorted((landing / "hall_tickets").rglob("*.csv")) if p.stat().st_size)


def test_a_file_unchanged_on_disk_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An hourly ingest into years of landing must not hash years of files: a file whose
    size, times and inode are those it had when hashed is not opened; one only touched is
    read again and found unchanged."""
    landing = tmp_path / "landing"
    generate(landing, date(2026, 10, 1), 1, ["110000"], 0.0005, 5)
    home = Home.resolve(tmp_path / "home")
    first = ingest(home, landing)
    read: list[str] = []
    real = loader.inspect
    monkeypatch.setattr(loader, "inspect", lambda f: read.append(f.relative) or real(f))
    again = ingest(home, landing)
    assert again.count("unchanged") == len(first.outcomes) and read == []
    touched = _hall_csv(landing)
    os.utime(touched)
    third = ingest(home, landing)
    assert read == [touched.relative_to(landing).as_posix()]
    assert third.count("unchanged") == len(first.outcomes)


def test_a_file_rewritten_with_its_size_and_times_restored_is_read_again(
    tmp_path: Path,
) -> None:
    """Same size, same modification time put back: the change time still moved (no user
    can set it), so the file is hashed again and its new content loads."""
    landing = tmp_path / "landing"
    generate(landing, date(2026, 10, 1), 1, ["110000"], 0.0005, 5)
    home = Home.resolve(tmp_path / "home")
    ingest(home, landing)
    target = _hall_csv(landing)
    before = target.stat()
    text = target.read_bytes()
    header, first_row, rest = text.split(b"\n", 2)
    # one digit of the first record changes, so the size stays the same
    digit = next(i for i in range(len(first_row) - 1, -1, -1) if first_row[i : i + 1].isdigit())
    changed = bytes([ord("1") if first_row[digit] != ord("1") else ord("2")])
    swapped = first_row[:digit] + changed + first_row[digit + 1 :]
    target.write_bytes(b"\n".join([header, swapped, rest]))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino,
    )  # fmt: skip
    report = ingest(home, landing)
    relative = target.relative_to(landing).as_posix()
    assert [o.status for o in report.outcomes if o.file.relative == relative] != ["unchanged"]
    hashes = [h for (p, h) in _query(home, "select path, content_hash from audit.ingest_files")
              if p == relative]  # fmt: skip
    assert len(set(hashes)) == 2, "the rewritten content was not recorded"
