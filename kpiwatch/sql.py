"""A read-only SQL workbench on the published warehouse: ``kpiwatch sql``.

It reads ``<home>/warehouse.duckdb`` through ``core.readers.reader`` (the same
connection ``kpiwatch.connect()`` and the dashboard get), so it never blocks a build and
never sees a half-built warehouse, and it can write nothing. DuckDB's own CLI cannot be
used: the registries' ``duckdb-cli`` is a 1.x build, which cannot read DuckDB 2.x files;
this is a small shell on the same engine instead, with the three output formats scripts
need.

Every mistake is one line on stderr, never a traceback: a script (``-c``/``-f``) stops at
the first failing statement, the interactive shell says what went wrong and goes on.
Exit codes: 0 everything ran; 1 a statement or dot-command failed (or was refused);
2 usage: bad arguments, no published warehouse, an unusable kpiwatch.toml.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.readers import SETTABLE, SqlError
from kpiwatch.messages import say

FORMATS = ("table", "csv", "json")
MAX_TABLE_ROWS = 200
READ_ONLY = (
    "readers are read-only: kpiwatch sql, kpiwatch.connect() and the dashboard never write "
    "the warehouse, another database or any file, nor install or load extensions"
)
OUTSIDE = (
    "is outside what readers may read (the published warehouse and the folders an "
    "operator lists in kpiwatch.toml, whose files are read as readonly:///folder/file)"
)
READS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
"""DuckDB's own classification of statements that only read (used to word a refusal)."""


def statements(text: str) -> list[str]:
    """Split a script into statements (DuckDB's own parser knows quotes and comments)."""
    try:
        return [s.query for s in duckdb.extract_statements(text)] if text.strip() else []
    except duckdb.Error as exc:
        raise SqlError(explain(text, exc)) from exc


def _kind(query: str) -> duckdb.StatementType | None:
    with suppress(duckdb.Error, IndexError):
        return duckdb.extract_statements(query)[0].type
    return None


def explain(query: str, exc: duckdb.Error) -> str:
    """One line saying why ``query`` failed; a refusal says readers are read-only."""
    text = str(exc).strip()
    ours = re.search(r"^PermissionError: (.*)$", text, re.M)  # from readonly:// folders
    if ours:
        return f"refused: {ours.group(1)}"
    first = text.splitlines()[0] if text else type(exc).__name__
    locked = re.search(r'option "([^"]+)" - the configuration has been locked', first)
    if locked:
        return (
            f"refused: readers cannot change {locked.group(1)}; their settings are fixed "
            f"(only {', '.join(SETTABLE)} may be set)"
        )
    kind = _kind(query)
    name = f" ({kind.name.replace('_', ' ')})" if kind is not None else ""
    if "read-only mode" in first or "external extensions is disabled" in first:
        return f"refused{name}: {READ_ONLY}"
    if isinstance(exc, duckdb.PermissionException):
        if kind not in READS:
            return f"refused{name}: {READ_ONLY}"
        path = re.search(r'Cannot access (?:file|directory) "([^"]*)"', first)
        return f"refused: {path.group(1) if path else 'this file'} {OUTSIDE}"
    return first


def run(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple]]:
    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise SqlError(explain(query, exc)) from exc


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
        table.add_column(Text(column), overflow="fold")
    for row in rows[:MAX_TABLE_ROWS]:
        table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))  # never markup
    console.print(table)
    more = len(rows) - MAX_TABLE_ROWS
    console.print(f"{len(rows):,} rows" + (f" ({more:,} not shown)" if more > 0 else ""))


HELP = """\
End a statement with ';'. Dot-commands (on a line of their own, also in -c and -f):
  .tables              schemas and tables (with their descriptions)
  .describe NAME       the columns of a table or view, with their descriptions
  .mode table|csv|json output format
  .help                this text
  .quit                leave (or Ctrl-D)
Readers are read-only; files in the folders an operator allows are read as
readonly:///folder/file. See docs/analysts.md for the marts and example questions."""

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


@dataclass
class Session:
    """Statements and dot-commands on one reader connection, printed in one format."""

    con: duckdb.DuckDBPyConnection
    out: Console
    fmt: str = "table"

    def command(self, line: str) -> bool:
        """Run a dot-command; False when it asks to leave. SqlError when it is wrong."""
        command, _, argument = line.strip().partition(" ")
        argument = argument.strip()
        if command in (".quit", ".exit"):
            return False
        if command == ".help":
            self.out.print(Text(HELP))
        elif command == ".tables":
            print_result(self.out, *run(self.con, TABLES), self.fmt)
        elif command == ".describe":
            if not argument:
                raise SqlError(
                    ".describe needs a table or view name, e.g. .describe marts.kpi_compliance"
                )
            columns, rows = run_with(self.con, DESCRIBE, [argument, argument])
            if not rows:
                raise SqlError(f"no table or view named {argument!r}; .tables lists them")
            print_result(self.out, columns, rows, self.fmt)
        elif command == ".mode":
            if argument not in FORMATS:
                raise SqlError(f".mode takes one of {', '.join(FORMATS)}, not {argument!r}")
            self.fmt = argument
        else:
            raise SqlError(f"unknown command {line.strip()!r}; .help lists them")
        return True

    def execute(self, text: str) -> None:
        """Run every statement of ``text``; SqlError at the first that fails."""
        for query in statements(text):
            print_result(self.out, *run(self.con, query), self.fmt)


def run_with(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object]
) -> tuple[list[str], list[tuple]]:
    try:
        cursor = con.execute(query, params)
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise SqlError(explain(query, exc)) from exc


def _is_command(line: str, buffer: list[str]) -> bool:
    """A line starting with '.' is a dot-command unless it continues an unfinished
    statement (an open string literal, say): what is buffered above it must parse."""
    if not line.lstrip().startswith("."):
        return False
    above = "\n".join(buffer)
    if not above.strip():
        return True
    try:
        duckdb.extract_statements(above)
    except duckdb.Error:
        return False
    return True


def script(session: Session, text: str) -> None:
    """Run a script (-c or -f): statements and dot-commands; SqlError at the first failure."""
    buffer: list[str] = []
    for line in text.splitlines():
        if _is_command(line, buffer):
            session.execute("\n".join(buffer))
            buffer = []
            if not session.command(line):
                return
        else:
            buffer.append(line)
    session.execute("\n".join(buffer))


def error(err: Console, message: str) -> None:
    """One line on stderr; the message is printed as text, never as Rich markup."""
    say(err, message, "error:", "bold red")


def shell(session: Session, err: Console, history: Path) -> int:
    """An interactive session (statements end with ';'); returns how many failed.

    A mistake prints one line and the shell goes on. Prompts, the banner and line editing
    only when stdin is a terminal, so ``kpiwatch sql < script.sql`` prints results only.
    """
    interactive = sys.stdin.isatty()
    readline = None
    if interactive:
        with suppress(ImportError, OSError):
            import readline

            history.parent.mkdir(parents=True, exist_ok=True)
            if history.exists():
                readline.read_history_file(history)
        session.out.print("kpiwatch sql — read-only on the published warehouse. .help for help.")
    failures = 0
    buffer: list[str] = []
    while True:
        prompt = ("kpiwatch> " if not buffer else "     ...> ") if interactive else ""
        try:
            line = input(prompt)
        except EOFError:
            break
        except KeyboardInterrupt:
            buffer = []
            session.out.print()
            continue
        try:
            if _is_command(line, buffer):
                session.execute("\n".join(buffer))
                buffer = []
                if not session.command(line):
                    break
                continue
            buffer.append(line)
            if not line.rstrip().endswith(";"):
                continue
            text, buffer = "\n".join(buffer), []
            session.execute(text)
        except SqlError as exc:
            failures += 1
            buffer = []
            error(err, str(exc))
        except KeyboardInterrupt:
            buffer = []
            error(err, "interrupted")
    if buffer:
        try:
            session.execute("\n".join(buffer))
        except SqlError as exc:
            failures += 1
            error(err, str(exc))
    if readline is not None:
        with suppress(OSError):
            readline.write_history_file(history)
    if interactive:
        session.out.print()
    return failures
