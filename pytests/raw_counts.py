"""How many rows a home's raw layer holds: the benchmarks report it beside their timings."""

from __future__ import annotations

import duckdb

from core.contract import SOURCES
from core.home import Home


def raw_rows(home: Home) -> int:
    """Rows of every source's raw table in the working warehouse (0 for a missing one)."""
    with duckdb.connect(str(home.work), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        }
        return sum(
            con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for name in SOURCES
            if name in present
        )
