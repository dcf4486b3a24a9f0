"""Deliveries, incremental builds and the full rebuild they must equal (docs/incremental.md).

A test delivers landing files a few at a time into a home, ingests and builds after each
delivery (incrementally, from the published warehouse), and compares every table of the
publication with a ``--full-refresh`` build of a copy of the same raw layer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from core.home import PROJECT_DIR, Home
from ingest.loader import ingest
from kpiwatch.build import BuildResult, build
from kpiwatch.build_basis import TABLE as BASIS_TABLE

COMPARED_SCHEMAS = ("marts", "intermediate")
BOOKKEEPING = (BASIS_TABLE, "intermediate.int_periods_affected")
"""What a build records about itself, which differs between an incremental build and a
full rebuild by design; every other table must not."""


def deliver(files: list[Path], generated: Path, landing: Path) -> None:
    """Copy ``files`` (paths under ``generated``) to the same place under ``landing``."""
    for file in files:
        target = landing / file.relative_to(generated)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)


def ingest_and_build(
    home: Home, landing: Path, data_tests: bool = True, project: Path = PROJECT_DIR
) -> BuildResult:
    ingest(home, landing)
    return build(home, quiet=True, data_tests=data_tests, project=project)


def full_rebuild_of(home: Home, aside: Path, project: Path = PROJECT_DIR) -> Path:
    """The publication of ``kpiwatch build --full-refresh`` on a copy of ``home``'s raw
    layer, built in the home ``aside``, less its data tests (the incremental build that it
    is compared with ran them on the same tables).

    ``aside`` keeps dbt's folder from one call to the next, so dbt parses the project once
    (partial parsing needs the same profile, hence the same paths)."""
    rebuilt = Home.resolve(aside)
    for path in (rebuilt.warehouse, rebuilt.work, rebuilt.publication):
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    rebuilt.work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home.work, rebuilt.work)
    result = build(rebuilt, quiet=True, full_refresh=True, data_tests=False, project=project)
    assert result.start is not None and not result.start.incremental
    return rebuilt.warehouse


def tables(path: Path) -> list[str]:
    """The schema-qualified tables of a publication that a build writes (not its
    bookkeeping)."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            f"where schema_name in {COMPARED_SCHEMAS} order by 1"
        ).fetchall()
    return [name for (name,) in rows if name not in BOOKKEEPING]


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int, int, int]]:
    """Each table whose rows differ, as a multiset, between the two publications:
    (rows only in ``incremental``, rows only in ``full``, row counts of each). Values are
    compared exactly (floats bit for bit, as DuckDB's EXCEPT ALL compares them)."""
    names = tables(full)
    assert tables(incremental) == names, (tables(incremental), names)
    found = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        for name in names:
            only_inc, only_full, n_inc, n_full = con.execute(
                f"select (select count(*) from (select * from inc.{name} "
                f"except all select * from ful.{name})), "
                f"(select count(*) from (select * from ful.{name} "
                f"except all select * from inc.{name})), "
                f"(select count(*) from inc.{name}), (select count(*) from ful.{name})"
            ).fetchone()
            if only_inc or only_full or n_inc != n_full:
                found[name] = (only_inc, only_full, n_inc, n_full)
    return found
