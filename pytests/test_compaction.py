"""Compaction: a file that grew by deletes and replaced tables shrinks, with the same content."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from core.home import Home
from kpiwatch.compaction import compact, compact_home, free_share

CATALOG = {
    "tables": "select schema_name, table_name, comment, sql from duckdb_tables() "
    "where database_name = ? order by all",
    "columns": "select schema_name, table_name, column_name, data_type, is_nullable, comment "
    "from duckdb_columns() where database_name = ? order by all",
    "constraints": "select schema_name, table_name, constraint_type, constraint_text "
    "from duckdb_constraints() where database_name = ? order by all",
    "views": "select schema_name, view_name, sql from duckdb_views() "
    "where database_name = ? and not internal order by all",
    "sequences": "select schema_name, sequence_name, start_value, last_value "
    "from duckdb_sequences() where database_name = ? order by all",
}


def _worn(path: Path) -> None:
    """A small warehouse like a publication after some incremental builds and publications:
    a fact whose keys were deleted and inserted again, marts replaced whole, an audit
    trail replaced, a sequence, a view, comments and constraints."""
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'Asia/Shanghai'")
        con.execute("create schema marts; create schema audit")
        con.execute("create sequence audit.ids start 1")
        con.execute(
            "create table marts.fct (ticket_id varchar not null, city varchar not null, "
            "taken_at timestamptz, wait double)"
        )
        con.execute("comment on table marts.fct is 'one row per ticket'")
        con.execute("comment on column marts.fct.wait is 'minutes'")
        rows = (
            "select 'T' || i, 'C' || (i % 21), "
            "timestamptz '2026-10-01 08:00:00+08' + i * interval 1 minute, i / {d} "
            "from range(100000) r(i)"
        )
        con.execute("insert into marts.fct " + rows.format(d=7))
        for day in range(3):  # delete+insert: some keys come again; the marts are rebuilt
            con.execute(f"delete from marts.fct where hash(ticket_id) % 3 = {day}")
            con.execute(
                "insert into marts.fct "
                + rows.format(d=day + 2)
                + f" where hash('T' || i) % 3 = {day}"
            )
            con.execute("create or replace table marts.daily as from marts.fct")
            con.execute("create or replace table audit.runs (run bigint primary key, build int)")
            con.execute(
                f"insert into audit.runs select nextval('audit.ids'), {day} from range(100)"
            )
            con.execute("checkpoint")
        con.execute(
            "create view marts.by_city as select city, count(*) n from marts.daily group by 1"
        )


def _catalog(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple]]:
    return {name: con.execute(sql, [database]).fetchall() for name, sql in CATALOG.items()}


def test_a_worn_file_is_compacted_and_holds_the_same_content(tmp_path: Path) -> None:
    worn = tmp_path / "publication.duckdb"
    _worn(worn)
    kept = tmp_path / "before.duckdb"
    shutil.copyfile(worn, kept)

    result = compact(worn, 0.05)

    assert result.compacted and result.free_share > 0.05, result
    assert result.bytes_after < 0.75 * result.bytes_before, result
    assert worn.stat().st_size == result.bytes_after
    assert not worn.with_name(worn.name + ".compacting").exists()
    with duckdb.connect() as con:
        con.execute(f"attach '{kept}' as before (read_only)")
        con.execute(f"attach '{worn}' as after")  # read-write: nextval below
        assert free_share(con, "after") <= 0.05
        assert _catalog(con, "after") == _catalog(con, "before")
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where database_name = 'before'"
        ).fetchall()
        assert len(tables) == 3  # fct, daily, runs
        for (name,) in tables:
            differ = con.execute(
                f"select (select count(*) from (from before.{name} except all from after.{name})) "
                f"+ (select count(*) from (from after.{name} except all from before.{name})), "
                f"(select count(*) from before.{name}), (select count(*) from after.{name})"
            ).fetchone()
            assert differ[0] == 0 and differ[1] == differ[2] > 0, (name, differ)
        # The sequence goes on where it stopped, and the view still reads.
        assert con.execute("select nextval('after.audit.ids')").fetchone()[0] == 301
        assert con.execute("select count(*) from after.marts.by_city").fetchone()[0] == 21


def test_a_file_with_little_free_space_is_left_alone(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.duckdb"
    with duckdb.connect(str(fresh)) as con:
        con.execute("create table t as select i from range(300000) r(i)")
    inode, size = fresh.stat().st_ino, fresh.stat().st_size

    result = compact(fresh, 0.05)

    assert not result.compacted and result.free_share <= 0.05
    assert (fresh.stat().st_ino, fresh.stat().st_size) == (inode, size)


def test_publishing_compacts_the_next_publication_and_the_working_warehouse(
    tmp_path: Path,
) -> None:
    home = Home.resolve(tmp_path / "home")
    home.work.parent.mkdir(parents=True)
    _worn(home.work)
    shutil.copyfile(home.work, home.publication)
    sizes = {path: path.stat().st_size for path in (home.work, home.publication)}

    done = compact_home(home)

    assert [c.path for c in done] == [home.publication, home.work]
    assert all(c.compacted for c in done), done
    for path, before in sizes.items():
        assert path.stat().st_size < 0.75 * before, path
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("select count(*) from marts.fct").fetchone() == (100000,)
