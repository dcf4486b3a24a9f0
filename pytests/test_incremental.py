"""Incremental builds equal a full rebuild of the same raw layer (docs/incremental.md).

Each build here is a real ``dbt build`` (20-40 s on a busy machine): the landings are tiny
(one province, scale 0.0005, three days across the end of October) and examples few.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incremental_world import deliver, differences, full_rebuild_of, ingest_and_build

from generator import generate
from ingest import store
from kpiwatch import build_basis
from kpiwatch.home import PROJECT_DIR, Home

TINY = dict(start=date(2026, 10, 30), days=3, provinces=["110000"], scale=0.0005, seed=3)
STAMP = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny landing with the generator's own late files, re-exports, re-sent counters
    and duplicates, each in the folder of the day it is delivered."""
    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(out, **TINY)
    return out


def _files(generated: Path) -> list[Path]:
    return sorted(p for p in generated.rglob("*.*") if p.parent != generated)


def _delivery_days(generated: Path) -> list[str]:
    return sorted({p.parent.name for p in _files(generated)})


def re_export(
    generated: Path, landing: Path, day: str, shift: timedelta, wins: bool, rows: int
) -> Path:
    """A hand-made re-export of the first ``rows`` hall tickets taken on 31 October: taken,
    called and finished ``shift`` later (across the month end for a day or more), updated one
    second after the original (it wins) or before it (it loses, though it comes later)."""
    source = generated / "hall_tickets" / "2026-11-01" / "hall_tickets_110000_20261031.csv"
    text = source.read_bytes().decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for row in list(reader)[:rows]:
        for column in ("taken_at", "called_at", "finished_at"):
            if row[column]:
                row[column] = (datetime.strptime(row[column], STAMP) + shift).strftime(STAMP)
        updated = datetime.strptime(row["updated_at"], STAMP)
        moved = updated + shift + timedelta(seconds=1) if wins else updated - timedelta(seconds=1)
        row["updated_at"] = moved.strftime(STAMP)
        writer.writerow(row)
    suffix = f"r{int(shift.total_seconds()) // 3600}h{'w' if wins else 'l'}"
    target = landing / "hall_tickets" / day / f"hall_tickets_110000_20261031_{suffix}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.getvalue().encode("gb18030"))
    return target


def _assert_equal_to_full_rebuild(home: Home, scratch: Path) -> None:
    full = full_rebuild_of(home, scratch / "full")
    assert differences(home.warehouse, full.warehouse) == {}


def test_each_delivery_builds_incrementally_to_what_a_full_rebuild_gives(
    generated: Path, tmp_path: Path
) -> None:
    """Three deliveries (late files, v2 re-exports, re-sent counters and duplicates
    among them), then a hand-made re-export that moves tickets into November: after each,
    the build starts from the published warehouse and every mart and intermediate table is
    the full rebuild's, row for row."""
    home = Home.resolve(tmp_path / "home")
    landing = tmp_path / "landing"
    days = _delivery_days(generated)
    groups = [days[:2], days[2:3], days[3:]]
    for number, group in enumerate(groups):
        deliver([p for p in _files(generated) if p.parent.name in group], generated, landing)
        result = ingest_and_build(home, landing)
        assert result.start is not None and result.start.incremental == (number > 0)
        _assert_equal_to_full_rebuild(home, tmp_path)
    re_export(generated, landing, "2026-11-06", timedelta(days=1), wins=True, rows=5)
    result = ingest_and_build(home, landing)
    assert result.start is not None and result.start.incremental
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        moved = con.execute(
            "select count(*) from marts.fct_hall_tickets "
            "where taken_month = date '2026-11-01' and ticket_id like '%-20261031-%'"
        ).fetchone()[0]
    assert moved == 5  # the re-export did move them: the comparison below is not vacuous
    full = full_rebuild_of(home, tmp_path / "full")
    assert differences(home.warehouse, full.warehouse) == {}

    # and the comparison can fail: one value off by the smallest step of a double is found
    with duckdb.connect(str(full.warehouse)) as con:
        con.execute(
            "update marts.kpi_compliance set value = nextafter(value, 1e9) "
            "where rowid = (select min(rowid) from marts.kpi_compliance where value is not null)"
        )
    found = differences(home.warehouse, full.warehouse)
    assert list(found) == ["marts.kpi_compliance"] and found["marts.kpi_compliance"][:2] == (1, 1)


# Random delivery sequences: each file of the tiny landing goes to one of 2-3 deliveries or
# is held back, and hand-made re-exports (winning or losing, across the month end or not)
# join a random delivery; every file may also be sent twice (a duplicate, skipped by ingest).
DELIVERY = st.integers(min_value=0, max_value=3)  # 3: never delivered in this sequence


@settings(
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_delivery_sequences_build_incrementally_to_the_full_rebuild(
    generated: Path, data: st.DataObject
) -> None:
    files = _files(generated)
    count = data.draw(st.integers(min_value=2, max_value=3), label="deliveries")
    plan = data.draw(st.lists(DELIVERY, min_size=len(files), max_size=len(files)), label="plan")
    plan[data.draw(st.integers(0, len(files) - 1), label="first file")] = 0  # a first build
    re_exports = data.draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.sampled_from([0, 1, 2]), st.booleans()),
            max_size=2,
        ),
        label="re-exports (delivery, days later, wins)",
    )
    twice = data.draw(st.sets(st.integers(0, len(files) - 1), max_size=3), label="sent twice")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        home = Home.resolve(root / "home")
        landing = root / "landing"
        for delivery in range(count):
            chosen = [f for f, d in zip(files, plan, strict=True) if d == delivery]
            deliver(chosen, generated, landing)
            for index in twice & {files.index(f) for f in chosen}:
                source, _, name = files[index].relative_to(generated).parts
                copy = landing / source / f"2026-11-2{delivery}" / name
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(files[index], copy)
            for number, (at, days, wins) in enumerate(re_exports):
                if at == delivery:
                    day = f"2026-11-1{number}"
                    re_export(generated, landing, day, timedelta(days=days, hours=1), wins, rows=4)
            result = ingest_and_build(home, landing)
            assert result.start is not None and result.start.incremental == (delivery > 0)
            _assert_equal_to_full_rebuild(home, root)


def _working_warehouse(path: Path, files: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    store.create(con)
    for file_id in range(1, files + 1):
        con.execute(
            "insert into audit.ingest_files (file_id, source, path, content_hash, status, "
            "rows_loaded, loaded_at) values (?, 'hall_tickets', ?, ?, 'loaded', 10, now())",
            [file_id, f"f{file_id}.csv", f"h{file_id}"],
        )
    return con


def test_only_a_matching_basis_lets_a_build_start_from_the_published_warehouse(
    tmp_path: Path,
) -> None:
    """A different project or reference data, engine, or set of files the last build saw
    (a working warehouse rebuilt from scratch reuses file ids) means a full rebuild."""
    con = _working_warehouse(tmp_path / "work.duckdb", 3)
    last = build_basis.current(con, PROJECT_DIR)
    con.execute(
        "insert into audit.ingest_files (file_id, source, path, content_hash, status, "
        "rows_loaded, loaded_at) values (4, 'hall_tickets', 'f4.csv', 'h4', 'loaded', 1, now())"
    )
    now = build_basis.current(con, PROJECT_DIR)
    assert now.built_through_file_id == 4
    assert build_basis.why_not_incremental(last, now, con) == ""
    assert "no basis" in build_basis.why_not_incremental(None, now, con)
    changed = build_basis.Basis(3, last.files_digest, "another", last.engine)
    assert "project" in build_basis.why_not_incremental(changed, now, con)
    older = build_basis.Basis(3, last.files_digest, last.project_fingerprint, "duckdb 0.1")
    assert "engine" in build_basis.why_not_incremental(older, now, con)
    ahead = build_basis.Basis(9, last.files_digest, last.project_fingerprint, last.engine)
    assert "fewer files" in build_basis.why_not_incremental(ahead, now, con)
    con.close()
    again = _working_warehouse(tmp_path / "again.duckdb", 4)  # same ids, loaded anew
    assert "no longer the same" in build_basis.why_not_incremental(
        last, build_basis.current(again, PROJECT_DIR), again
    )
    again.close()
