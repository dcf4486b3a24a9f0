"""Every key a JSON Lines delivery spells, wherever it spells it.

Each JSON object names its own keys, and an exporter may spell one field differently
from line to line: ``caller_number`` here, ``Caller_Number`` there, a key with spaces or a
byte-order mark around it. DuckDB's JSON reader matches a declared key exactly, so
columns declared from the first line alone would read every other spelling as NULL: a
caller number lost, a repair that looks open because its ``Restored_At`` was not seen.

So the loader first asks DuckDB for the distinct keys of the whole delivery (one pass
that only parses: 0.15 to 0.25 s per 50 MB on two cores, where the whole load takes 1 to
2 s) and reads every spelling of every contract field. A field spelled one way, the
normal case, is read by ``read_json`` as before. When one field is spelled several ways,
DuckDB cannot declare them side by side (its column names are case-insensitive), so each
line is read as an object and every spelling extracted by a JSON pointer (``spelled``),
about 0.1 s per 50 MB slower; ``RowRules(spellings_per_row=True)`` then takes each
line's value from the spelling that line carries, and quarantines a line carrying two as
``duplicate_column``, like a line whose object names one key twice, exactly so
(``TWICE``; ``read_json`` refuses such a file, and a pointer would silently take the
first value).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from core.contract import Source
from core.sql import literal
from ingest.rules import FileColumn, file_columns, normal_name

VALUES = "_values"
"""The extracted values of a line, in column order (``spelled``)."""
KEYS = "_keys"
TWICE = "_keys_twice"
"""The keys a line's object carries more than once, exactly so spelled (``spelled``):
JSON lets an object say ``"ticket_id"`` twice, and a pointer would take the first."""


@dataclass(frozen=True)
class Keys:
    names: set[str]
    """Every top-level key of every object, as spelled."""
    repeated: bool
    """Whether some object names one key twice, exactly so (``TWICE``)."""


def distinct_keys(con: duckdb.DuckDBPyConnection, relation: str, column: str = "json") -> Keys:
    """The top-level keys of the objects in ``relation``'s ``column`` (a JSON value). The
    distinct key lists are few (a file's lines share their keys), so whether one repeats
    a key costs nothing per line."""
    names, repeated = con.execute(
        f"with lists as materialized (select distinct json_keys({column}) as k from {relation}) "
        "select (select coalesce(list(distinct key), []) from (select unnest(k) as key "
        "from lists)), coalesce((select bool_or(len(k) <> len(list_distinct(k))) from lists), "
        "false)"
    ).fetchone()
    return Keys(set(names), bool(repeated))


def contract_columns(keys: Keys, source: Source, first: list[str]) -> list[FileColumn]:
    """The keys that spell one of ``source``'s fields (other keys are never read), in
    the order of the first object's keys (``first``), then the others sorted; each with a
    scan name DuckDB tells apart from the others."""
    names = {c.name for c in source.columns}
    wanted = {k for k in keys.names if normal_name(k) in names}
    ordered = [k for k in dict.fromkeys(first) if k in wanted]
    ordered += sorted(wanted.difference(ordered), key=lambda k: (normal_name(k), k))
    return file_columns(ordered)


def spelled_alike(columns: list[FileColumn]) -> bool:
    """Whether a field is spelled more than one way (then ``read_json`` cannot read it)."""
    names = [normal_name(c.name) for c in columns]
    return len(set(names)) < len(names)


def declared(columns: list[FileColumn]) -> str:
    """``read_json``'s ``columns`` argument: every key as text (a number is its digits,
    an object its JSON: the rules judge them)."""
    return "{" + ", ".join(f"{literal(c.name)}: 'VARCHAR'" for c in columns) + "}"


def spelled(
    relation: str,
    columns: list[FileColumn],
    json: str = "json",
    objects_only: bool = False,
    repeated: bool = False,
) -> str:
    """``relation`` plus each column's value, extracted from the object in ``json`` by
    key, exactly as spelled (one parse per line for all keys). ``repeated`` (some object
    names a key twice, ``Keys.repeated``): also the contract keys each line carries
    twice (``TWICE``: the rules quarantine such a line). ``objects_only``: a line that is
    not an object stops the query (as ``read_json`` would: the loader then sets it aside
    as a malformed line)."""
    pointers = "[" + ", ".join(literal(pointer(c.name)) for c in columns) + "]"
    extract = f"json_extract_string({json}, {pointers}::varchar[])"
    if objects_only:  # valid JSON that starts with { is an object (no second parse)
        blank = "' ' || chr(9) || chr(10) || chr(13)"
        extract = (
            f"case when starts_with(ltrim({json}::varchar, {blank}), '{{') then {extract} "
            "else error('a line is not a JSON object') end"
        )
    values = "".join(f", {VALUES}[{i}] as {c.ref}" for i, c in enumerate(columns, start=1))
    if not repeated:
        return (
            f"(select * exclude ({VALUES}){values} from "
            f"(select *, {extract} as {VALUES} from {relation}))"
        )
    names = "[" + ", ".join(literal(c.name) for c in columns) + "]::varchar[]"
    ours = f"list_distinct(list_filter({KEYS}, lambda k: list_contains({names}, k)))"
    twice = f"list_filter({ours}, lambda k: len(list_filter({KEYS}, lambda j: j = k)) > 1)"
    return (
        f"(select * exclude ({VALUES}, {KEYS}){values}, {twice} as {TWICE} from "
        f"(select *, {extract} as {VALUES}, json_keys({json}) as {KEYS} from {relation}))"
    )


def pointer(key: str) -> str:
    """A JSON pointer to a top-level key (RFC 6901)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
