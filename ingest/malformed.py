"""A text file DuckDB cannot read whole: its malformed lines apart, the rest as usual.

One bad line costs one line. When a CSV or JSON Lines file fails as a whole, the loader
reads it again through here:

- CSV through DuckDB's ``store_rejects``: a first scan collects the records DuckDB cannot
  parse (too many or too few fields, a quote never closed) with their line numbers; the
  second scan skips them (``ignore_errors``) and every good record keeps its position in
  the file: row = position among the good records + malformed records before it (an ASOF
  join on the few malformed ones, no window over the file).
- JSON Lines as lines of text (a CSV of one column, no quoting): a line that is not a JSON
  object is malformed; from the others, every spelling of a field found in the file is
  extracted by its key (``ingest.json_keys``), as the loader reads a whole file.
- A NUL byte in a field makes its record malformed (it has no place in text).

Malformed records go to the quarantine with reason ``malformed_line``, the line number and
a message of our own; their ``record`` is null: the raw line may carry personal data in
clear (a caller's number), and it cannot be split into fields to hash the right one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.sql import literal
from ingest import json_keys
from ingest.landing_file import MAX_LINE_BYTES
from ingest.rules import FileColumn

REJECTS = "kpiwatch_rejects"
REJECT_SCANS = "kpiwatch_reject_scans"
SKIPS = "kpiwatch_skips"
"""Temporary tables of the writer's session (never in the warehouse file)."""

CSV_OPTIONS = (
    "header = {header}, auto_detect = false, delim = {delim}, quote = {quote}, "
    "escape = {quote}, strict_mode = true, max_line_size = {max_line}"
)

ERROR_TYPES = {
    "TOO MANY COLUMNS": "more fields than the header has columns",
    "MISSING COLUMNS": "fewer fields than the header has columns",
    "UNQUOTED VALUE": "a quote is opened and never closed, or text follows a closing quote",
    "LINE SIZE OVER MAXIMUM": f"longer than {MAX_LINE_BYTES} bytes",
    "INVALID UNICODE": "not valid UTF-8",
    "INVALID STATE": "cannot be split into fields",
}
"""DuckDB's reject error types, said in our words (its messages quote the line)."""


@dataclass(frozen=True)
class Tolerant:
    relation: str
    """The good records: the file's columns, ``_file_id`` and ``_row``."""
    columns: list[FileColumn]
    malformed: list[str]
    """SELECTs of (file_id, row_number, message) for the quarantine."""
    keys_twice: bool = False
    """JSON Lines: the relation has ``json_keys.TWICE`` (some object repeats a key)."""


def _reset(con: duckdb.DuckDBPyConnection) -> None:
    for table in (REJECTS, REJECT_SCANS, SKIPS):
        con.execute(f"drop table if exists temp.main.{table}")


def _collect_rejects(con: duckdb.DuckDBPyConnection, table_function: str, header: int) -> bool:
    """First scan: the records DuckDB cannot parse, into ``REJECTS``; and ``SKIPS``, which
    says how many of them precede each good record. True if there are any."""
    _reset(con)
    con.execute(
        f"select count(*) from {table_function[:-1]}, store_rejects = true, "
        f"rejects_table = {literal(REJECTS)}, rejects_scan = {literal(REJECT_SCANS)})"
    ).fetchall()
    exists = con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = ?", [REJECTS]
    ).fetchone()[0]
    if not exists or not con.execute(f"select count(*) from temp.main.{REJECTS}").fetchone()[0]:
        return False
    # q = good records before the j-th malformed one; a good record k is preceded by
    # max(j) malformed ones where q < k.
    con.execute(
        f"create temp table {SKIPS} as select q, max(j) as j from ("
        f"select line - {header} - row_number() over (order by line) as q, "
        f"row_number() over (order by line) as j from (select distinct line from "
        f"temp.main.{REJECTS})) group by q"
    )
    return True


def _reject_rows(file_id: int, header: int) -> str:
    kinds = " ".join(
        f"when {literal(kind)} then {literal(text)}" for kind, text in ERROR_TYPES.items()
    )
    return (
        f"select {file_id} as file_id, line - {header} as row_number, "
        f"'line ' || line || ': ' || case error_type {kinds} "
        "else lower(error_type::varchar) end as message "
        f"from (select line, min(error_type::varchar) as error_type from temp.main.{REJECTS} "
        "group by line)"
    )


def _numbered(scan: str, skips: bool) -> str:
    """The scan with each record's position in the file as ``_row``."""
    if not skips:
        return f"(select f.*, f.ordinality as _row from (select * from {scan} with ordinality) f)"
    return (
        f"(select f.*, f.ordinality + coalesce(s.j, 0) as _row "
        f"from (select * from {scan} with ordinality) f "
        f"asof left join temp.main.{SKIPS} s on f.ordinality > s.q)"
    )


def csv_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: list[FileColumn],
    file_id: int,
    has_nul: bool,
) -> Tolerant:
    declared = "{" + ", ".join(f"{literal(c.sql or c.name)}: 'VARCHAR'" for c in columns) + "}"
    options = CSV_OPTIONS.format(
        header="true", delim="','", quote="'\"'", max_line=MAX_LINE_BYTES + 2
    )
    reader = f"read_csv({literal(str(path))}, columns = {declared}, {options})"
    skips = _collect_rejects(con, reader, header=1)
    scan = f"read_csv({literal(str(path))}, columns = {declared}, {options}, ignore_errors = true)"
    nul = " or ".join(f"coalesce(contains({c.ref}, chr(0)), false)" for c in columns)
    base = (
        f"(select *, {file_id} as _file_id, "
        f"case when {nul if has_nul else 'false'} then 'contains a NUL byte' end as _malformed "
        f"from {_numbered(scan, skips)})"
    )
    malformed = [_reject_rows(file_id, 1)] if skips else []
    if has_nul:
        malformed.append(
            f"select _file_id, _row, 'record ' || _row || ': ' || _malformed from {base} "
            "where _malformed is not null"
        )
    return Tolerant(f"(select * from {base} where _malformed is null)", columns, malformed)


def json_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_id: int,
    columns_for: Callable[[json_keys.Keys], list[FileColumn]],
) -> Tolerant:
    """JSON Lines read as lines (a raw control character such as \\x01 never occurs
    in a valid JSON line, so it is a safe delimiter: a line holding one is malformed).
    The columns are chosen by ``columns_for`` among the keys of the good lines (every
    spelling anywhere in the file, ``ingest.json_keys``)."""
    options = CSV_OPTIONS.format(
        header="false", delim="'\x01'", quote="''", max_line=MAX_LINE_BYTES + 2
    )
    reader = f"read_csv({literal(str(path))}, columns = {{'line': 'VARCHAR'}}, {options})"
    skips = _collect_rejects(con, reader, header=0)
    scan = f"{reader[:-1]}, ignore_errors = true)"
    verdict = (
        "case when line is null or trim(line) = '' then 'blank' "
        "when not json_valid(line) then 'is not valid JSON' "
        "when json_type(line) <> 'OBJECT' then "
        "'is a JSON ' || lower(json_type(line)) || ', not an object' end"
    )
    judged = f"(select *, {verdict} as _verdict from {_numbered(scan, skips)})"
    # only an object is parsed, whatever order the optimizer picks
    objects = (
        f"(select * replace (case when _verdict is null then line end as line) "
        f"from {judged} where _verdict is null)"
    )
    keys = json_keys.distinct_keys(con, objects, "line")
    columns = columns_for(keys)
    good = (
        f"(select {file_id} as _file_id, * exclude (line, _verdict, ordinality) from "
        f"{json_keys.spelled(objects, columns, 'line', repeated=keys.repeated)})"
    )
    malformed = [_reject_rows(file_id, 0)] if skips else []
    malformed.append(
        f"select {file_id}, _row, 'line ' || _row || ': ' || _verdict from {judged} "
        "where _verdict is not null and _verdict <> 'blank'"
    )
    return Tolerant(good, columns, malformed, keys.repeated)
