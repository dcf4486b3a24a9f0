"""SOURCES.md as SQL: type every column and name every rule a row breaks.

For one source and the columns one file actually has, ``RowRules`` writes a SELECT over
the file's rows that yields the raw table's typed columns, the row's number in the file,
and — only for rows that break a rule — every reason (a stable code and a message naming
the column and the value) plus the record as delivered, as JSON. DuckDB evaluates it in
one streaming pass; no Python touches a row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kpiwatch.contract import (
    FALSE_WORDS,
    PROVINCE_CODES,
    TIMESTAMP_FORMATS,
    TRUE_WORDS,
    Column,
    Reason,
    Source,
)

TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
INTEGER_PATTERN = r"-?\d{1,18}"
TEXT_TYPES = ("VARCHAR",)
INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                 "USMALLINT", "UTINYINT")  # fmt: skip
RAW_TYPES = {
    "text": "varchar",
    "code": "varchar",
    "enum": "varchar",
    "timestamp": "timestamptz",
    "boolean": "boolean",
    "integer": "bigint",
}
REASON_TYPE = "struct(code varchar, message varchar)[]"
KNOWN = "k__province_code"
"""Whether the row's province is one of the 31: two rules ask, it is computed once."""
NAIVE_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_S")
"""Parquet's naive timestamps that whole microseconds hold exactly (not TIMESTAMP_NS)."""
SHANGHAI_FIXED_SINCE = "1992-01-01"
"""Asia/Shanghai has been UTC+08:00 all year since its last summer time ended in 1991."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def raw_columns(source: Source) -> list[tuple[str, str]]:
    """(name, type) of a source's raw table; personal data is replaced by its hash."""
    columns = []
    for column in source.columns:
        name = column.name.replace("_number", "_hash") if column.pii else column.name
        columns.append((name, "varchar" if column.pii else RAW_TYPES[column.type]))
    return columns


def shanghai_instant(naive: str) -> str:
    """A naive timestamp read as Asia/Shanghai local time (the session's zone), as an
    instant. The cast alone would do, but asks ICU for the zone's offset row by row
    (slower than everything else a Parquet row costs); since 1992 it is a constant."""
    return (
        f"case when {naive} >= timestamp '{SHANGHAI_FIXED_SINCE}' "
        f"then make_timestamptz(epoch_us({naive}) - {8 * 3600 * 1_000_000}) "
        f"else {naive}::timestamptz end"
    )


@dataclass(frozen=True)
class FileColumn:
    name: str
    """As delivered (any case)."""
    type: str
    """DuckDB type of the scanned column (VARCHAR for CSV, anything for Parquet)."""


@dataclass(frozen=True)
class _Expr:
    """A contract column in the query: its text and typed value are computed once, in an
    inner projection, and everything else refers to them by name."""

    name: str
    text_sql: str
    value_sql: str
    bad_when: str | None
    """'unparsed' (present but no value) or 'outside' (present but not in the set)."""
    bad_message: str | None = None
    lazy: bool = False
    """A typed (e.g. Parquet) column: its text is only spelled out for a faulty row's
    record, never projected for every row (casting timestamps to text is costly)."""

    @property
    def text(self) -> str:
        return f"({self.text_sql})" if self.lazy else quote("t__" + self.name)

    @property
    def same(self) -> bool:
        """Text and value are one expression (text, codes, enums, the caller hash): it is
        projected once, not once per name (a hash per row is not free)."""
        return not self.lazy and self.value_sql == self.text_sql

    @property
    def value(self) -> str:
        return self.text if self.same else quote("v__" + self.name)

    @property
    def present(self) -> str:
        return f"({self.value} is not null)" if self.lazy else f"({self.text} is not null)"

    def bad(self, values: tuple[str, ...]) -> str | None:
        if self.bad_when == "unparsed":
            return f"({self.present} and {self.value} is null)"
        if self.bad_when == "outside":
            return f"({self.present} and {self.text} not in {sql_list(values)})"
        return None


class RowRules:
    def __init__(self, source: Source, file_columns: list[FileColumn], pii_key: str) -> None:
        self.source = source
        self.file_columns = file_columns
        self.by_name = {c.name.lower(): c for c in file_columns}
        self.pii_key = pii_key

    @property
    def missing(self) -> list[str]:
        """Required columns the file does not have: then every row is quarantined."""
        return [c for c in self.source.required if c not in self.by_name]

    # ----------------------------------------------------------------- expressions

    def _hash(self, text: str) -> str:
        return f"sha256({literal(self.pii_key)} || '|' || {text})"

    def _column(self, column: Column) -> _Expr:
        expr = self._spell(column)
        found = self.by_name.get(column.name)
        if found is not None and found.type not in TEXT_TYPES:
            return dataclasses.replace(expr, lazy=True)
        return expr

    def _spell(self, column: Column) -> _Expr:
        name = column.name
        found = self.by_name.get(name)
        if found is None:
            return _Expr(name, "null::varchar", f"null::{RAW_TYPES[column.type]}", None)
        src = quote(found.name)
        is_text = found.type in TEXT_TYPES
        text = f"nullif({src}, '')" if is_text else f"{src}::varchar"
        spelled = quote("t__" + name) if is_text else f"({text})"  # see _Expr.lazy
        shown = f"'{name}: ' || to_json({spelled})"
        if column.type == "timestamp":
            if found.type in NAIVE_TIMESTAMP_TYPES:
                return _Expr(name, text, shanghai_instant(src), None)
            if found.type.startswith("TIMESTAMP"):
                return _Expr(name, text, f"{src}::timestamptz", None)
            value = (
                f"case when regexp_full_match({text}, {literal(TIMESTAMP_PATTERN)}) "
                f"then try_cast({text} as timestamptz) end"
            )
            message = f"{shown} || ' is not a timestamp ({TIMESTAMP_FORMATS})'"
            return _Expr(name, text, value, "unparsed", message)
        if column.type == "boolean":
            if found.type == "BOOLEAN":
                return _Expr(name, text, src, None)
            value = (
                f"case when lower({text}) in {sql_list(TRUE_WORDS)} then true "
                f"when lower({text}) in {sql_list(FALSE_WORDS)} then false end"
            )
            words = "/".join(f"{t}/{f}" for t, f in zip(TRUE_WORDS, FALSE_WORDS, strict=True))
            return _Expr(name, text, value, "unparsed", f"{shown} || ' is not a boolean ({words})'")
        if column.type == "integer":
            if found.type in INTEGER_TYPES:
                return _Expr(name, text, f"{src}::bigint", None)
            value = (
                f"case when regexp_full_match({text}, {literal(INTEGER_PATTERN)}) "
                f"then try_cast({text} as bigint) end"
            )
            return _Expr(name, text, value, "unparsed", f"{shown} || ' is not an integer'")
        if column.pii:
            hashed = self._hash(text)
            return _Expr(name, hashed, hashed, None)
        if column.type == "enum":
            message = f"{shown} || ' is not one of {'/'.join(column.values)}'"
            return _Expr(name, text, text, "outside", message)
        return _Expr(name, text, text, None)

    def _checks(self, e: dict[str, _Expr]) -> list[tuple[Reason, str, str]]:
        """(reason, condition, message) for every rule of SOURCES.md that applies."""
        checks: list[tuple[Reason, str, str]] = []
        kinds = {
            "timestamp": Reason.BAD_TIMESTAMP,
            "boolean": Reason.BAD_BOOLEAN,
            "integer": Reason.BAD_INTEGER,
            "enum": Reason.BAD_ENUM,
        }
        for column in self.source.columns:
            x = e[column.name]
            if column.required and column.name in self.by_name:
                message = f"'{column.name}: required value is empty'"
                checks.append((Reason.MISSING_VALUE, f"not {x.present}", message))
            bad = x.bad(column.values)
            if bad:
                checks.append((kinds[column.type], bad, x.bad_message or "''"))
        province = e["province_code"].value
        known = quote(KNOWN)
        checks.append(
            (
                Reason.UNKNOWN_PROVINCE,
                f"({province} is not null and not {known})",
                f"'province_code: ' || to_json({province}) || ' is not one of the 31 mainland "
                "province-level codes (GB/T 2260)'",
            )
        )
        if "city_code" in e:
            city = e["city_code"].value
            checks.append(
                (
                    Reason.CITY_PROVINCE_MISMATCH,
                    f"({known} and {city} is not null and left({city}, 2) <> left({province}, 2))",
                    f"'city_code: ' || to_json({city}) || ' does not start with the first two "
                    f"digits of province_code ' || to_json({province})",
                )
            )
        for start, end in self.source.order_pairs:
            s, t = e[start].value, e[end].value
            checks.append(
                (
                    Reason.END_BEFORE_START,
                    f"(({t}) < ({s}))",
                    f"'{end} (' || ({t})::varchar || ') precedes {start} ('"
                    f" || ({s})::varchar || ')'",
                )
            )
        if self.source.duration:
            start, end = self.source.duration
            s, t = e[start].value, e[end].value
            minutes = e["suspended_minutes"].value
            span = f"date_diff('millisecond', {s}, {t})"
            checks.append(
                (
                    Reason.BAD_SUSPENDED_MINUTES,
                    f"(({minutes}) < 0 or (({t}) >= ({s}) and ({minutes}) * 60000 > {span}))",
                    f"'suspended_minutes: ' || ({minutes})::varchar || ' is negative or longer "
                    f"than the whole duration from {start} to {end}'",
                )
            )
        if "connected" in e:
            a, k = e["attempts"].value, e["connected"].value
            checks.append(
                (
                    Reason.BAD_COUNTER,
                    f"(({a}) < 0 or ({k}) < 0 or ({k}) > ({a}))",
                    f"'attempts ' || ({a})::varchar || ', connected ' || ({k})::varchar || "
                    "': counts must be >= 0 and connected <= attempts'",
                )
            )
        return checks

    def _record(self, e: dict[str, _Expr]) -> str:
        """The record as delivered, as JSON; personal data replaced by its hash."""
        parts = []
        for column in self.file_columns:
            lowered = column.name.lower()
            known = next((c for c in self.source.columns if c.name == lowered), None)
            if known is not None:
                value = e[lowered].text
            elif column.type in TEXT_TYPES:
                value = f"nullif({quote(column.name)}, '')"
            else:
                value = f"{quote(column.name)}::varchar"
            parts.append(f"{literal(column.name)}, {value}")
        return "json_object(" + ", ".join(parts) + ")"

    # --------------------------------------------------------------------- queries

    def _typed(self, relation: str) -> tuple[dict[str, _Expr], str]:
        """The contract columns as text and as typed values, each computed once."""
        e = {c.name: self._column(c) for c in self.source.columns}
        projected = ", ".join(
            (f"{x.value_sql} as {x.value}" if x.lazy else
             f"{x.text_sql} as {x.text}" if x.same else
             f"{x.text_sql} as {x.text}, {x.value_sql} as {x.value}")
            for x in e.values()
        )  # fmt: skip
        known = f"{e['province_code'].value} in {sql_list(PROVINCE_CODES)} as {quote(KNOWN)}"
        return e, f"(select *, {known} from (select *, {projected} from {relation}))"

    def select(self, relation: str) -> str:
        """Typed rows of ``relation`` for the raw table.

        ``relation`` carries the file's columns plus ``_file_id`` and ``_row`` (the row's
        1-based position in its file).
        """
        e, typed = self._typed(relation)
        checks = self._checks(e)
        flags = ", ".join(
            f"coalesce({cond}, false) as _f{i}" for i, (_, cond, _) in enumerate(checks)
        )
        any_flag = " or ".join(f"_f{i}" for i in range(len(checks))) or "false"
        reasons = ", ".join(
            f"case when _f{i} then {{'code': {literal(reason.value)}, 'message': {msg}}} end"
            for i, (reason, _, msg) in enumerate(checks)
        )
        values = ", ".join(
            f"{e[c.name].value} as {quote(name)}"
            for c, (name, _) in zip(self.source.columns, raw_columns(self.source), strict=True)
        )
        return (
            f"select {values}, _file_id::bigint as ingest_file_id, "
            "_row::bigint as source_row_number, "
            f"case when {any_flag} then list_filter([{reasons}], lambda x: x is not null) end "
            "as _reasons, "
            f"case when {any_flag} then {self._record(e)} end as _record "
            f"from (select *, {flags} from {typed})"
        )

    def select_missing(self, relation: str) -> str:
        """Every row of a file that lacks a required column, for the quarantine."""
        e, typed = self._typed(relation)
        reasons = ", ".join(
            f"{{'code': 'missing_column', 'message': "
            f"'required column {name} is missing from the file'}}"
            for name in self.missing
        )
        return (
            f"select _file_id as file_id, _row::bigint as row_number, [{reasons}] as reasons, "
            f"{self._record(e)} as record from {typed}"
        )
