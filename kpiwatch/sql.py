"""A read-only SQL workbench on the published warehouse: ``kpiwatch sql``.

It opens ``<home>/warehouse.duckdb`` read-only, so it never blocks a build (builds write
the working copy) and never sees a half-built warehouse (publishing is one atomic
rename). DuckDB's own CLI cannot be used: the registries' ``duckdb-cli`` is a 1.x build,
which cannot read DuckDB 2.x files; this is a small shell on the same engine instead,
with the three output formats scripts need.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from kpiwatch.home import Home
from kpiwatch.warehouse import configure

FORMATS = ("table", "csv", "json")
MAX_TABLE_ROWS = 200
WRITE_REFUSED = (
    "kpiwatch sql is read-only: the published warehouse is rebuilt by `kpiwatch build`, "
    "so anything written here would be lost. Keep your own tables in a file of your own "
    "(ATTACH 'mine.duckdb'; CREATE TABLE mine.t AS ...)."
)


class SqlError(RuntimeError):
    """A query failed; the message is DuckDB's, or a clearer one of ours."""


def connect(home: Home | str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, in Asia/Shanghai time.

    >>> con = connect()                                    # ./data or $KPIWATCH_HOME
    >>> con.sql("select * from marts.kpi_compliance").pl()  # polars; .df() for pandas,
    ...                                                     # .arrow() for Arrow
    """
    home = home if isinstance(home, Home) else Home.resolve(home)
    if not home.warehouse.exists():
        raise SqlError(
            f"no published warehouse at {home.warehouse}: run `kpiwatch ingest` and "
            "`kpiwatch build` first (or pass --home)"
        )
    return configure(duckdb.connect(str(home.warehouse), read_only=True), writer=False)


def statements(text: str) -> list[str]:
    """Split a script into statements (DuckDB's own parser knows quotes and comments)."""
    return [s.query for s in duckdb.extract_statements(text)] if text.strip() else []


def run(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple]]:
    try:
        cursor = con.execute(query)
    except duckdb.Error as exc:
        if "read-only" in str(exc).lower():
            raise SqlError(WRITE_REFUSED) from exc
        raise SqlError(str(exc).strip()) from exc
    if cursor.description is None:
        return [], []
    return [d[0] for d in cursor.description], cursor.fetchall()


def _plain(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def render(columns: list[str], rows: list[tuple], fmt: str) -> Iterator[str]:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in row] for row in rows])
        yield buffer.getvalue().rstrip("\n")
    elif fmt == "json":
        for row in rows:
            record = dict(zip(columns, (_plain(v) for v in row), strict=True))
            yield json.dumps(record, ensure_ascii=False, default=str)
    else:
        raise ValueError(fmt)


def print_result(console: Console, columns: list[str], rows: list[tuple], fmt: str) -> None:
    if not columns:
        return
    if fmt != "table":
        for line in render(columns, rows, fmt):
            print(line)
        return
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows[:MAX_TABLE_ROWS]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)
    more = len(rows) - MAX_TABLE_ROWS
    console.print(f"{len(rows):,} rows" + (f" ({more:,} not shown)" if more > 0 else ""))


HELP = """\
End a statement with ';'. Meta commands:
  .tables              schemas and tables (with their descriptions)
  .describe NAME       the columns of a table or view, with their descriptions
  .mode table|csv|json output format
  .quit                leave (or Ctrl-D)
Everything is read-only; see docs/analysts.md for the marts and example questions."""

TABLES = """
select schema_name as schema, table_name as name, 'table' as kind, comment
from duckdb_tables() where database_name = current_database()
union all
select schema_name, view_name, 'view', comment
from duckdb_views() where database_name = current_database() and not internal
order by 1, 2
"""
DESCRIBE = """
select column_name as column, data_type as type, comment
from duckdb_columns()
where database_name = current_database()
  and (schema_name || '.' || table_name = ? or table_name = ?)
order by column_index
"""


def shell(con: duckdb.DuckDBPyConnection, console: Console, history: Path) -> None:
    """An interactive session: statements end with ';'."""
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
    except (ImportError, OSError):
        readline = None  # type: ignore[assignment]
    fmt = "table"
    console.print("kpiwatch sql — read-only on the published warehouse. .help for help.")
    buffer: list[str] = []
    while True:
        try:
            line = input("kpiwatch> " if not buffer else "     ...> ")
        except EOFError:
            break
        except KeyboardInterrupt:
            buffer = []
            console.print()
            continue
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            command, _, argument = stripped.partition(" ")
            if command in (".quit", ".exit"):
                break
            if command == ".help":
                console.print(HELP)
            elif command == ".tables":
                print_result(console, *run(con, TABLES), fmt)
            elif command == ".describe" and argument:
                print_result(console, *_describe(con, argument.strip()), fmt)
            elif command == ".mode" and argument.strip() in FORMATS:
                fmt = argument.strip()
            else:
                console.print(f"unknown command {stripped!r}; .help lists them")
            continue
        buffer.append(line)
        if not stripped.endswith(";"):
            continue
        text, buffer = "\n".join(buffer), []
        for query in statements(text):
            try:
                print_result(console, *run(con, query), fmt)
            except SqlError as exc:
                console.print(f"[red]error:[/] {exc}", soft_wrap=True)
    if readline is not None:
        with suppress(OSError):
            readline.write_history_file(history)
    if sys.stdin.isatty():
        console.print()


def _describe(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(DESCRIBE, [name, name])
    return [d[0] for d in cursor.description], cursor.fetchall()
