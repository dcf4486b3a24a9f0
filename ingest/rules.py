"""docs/landing-contract.md as SQL: type every column and name every rule a row breaks.

For one source and the columns one file actually has, ``RowRules`` writes a SELECT over
the file's rows that yields the raw table's typed columns, the row's number in the file,
and — only for rows that break a rule — every reason (a stable code and a message naming
the column and the value) plus the record as delivered, as JSON. DuckDB evaluates it in
one streaming pass; no Python touches a row.

Every value is what was delivered, or its row is quarantined: nothing becomes NULL or
another number on the way. Text files spell values; Parquet types them, and a typed value
is taken only when its type says the same thing the contract does (``_spell`` lists what
each contract type accepts from each delivered type; docs/landing-rows.md explains it to
operators). Beyond parsing, a row must also be plausible (``implausible_timestamp``: an
instant outside the ``[ingest]`` window) and refer to a real city (``unknown_city``).

Delivered column names match the contract whatever their case, surrounding whitespace or
byte-order mark. Personal data (``caller_number``) is hashed wherever it would be stored:
the raw table, the quarantine record, and never shown in a message. Columns the contract
does not know are ignored (as the contract allows) and kept out of the quarantine record too: nobody
can tell what they hold, and one may be a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.contract import (
    FALSE_WORDS,
    PROVINCE_CODES,
    RAW_TYPES,
    TIMESTAMP_FORMATS,
    TRUE_WORDS,
    Column,
    Reason,
    Source,
    city_codes,
    raw_columns,
)
from core.sql import literal, quote

if TYPE_CHECKING:
    from datetime import datetime

    from core.config.ingest import Window

TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
INTEGER_PATTERN = r" *[+-]?\d+(\.0+)? *"
"""Digits with an optional sign and surrounding spaces; a zero fraction (``5.0``, as
spreadsheets and pandas write whole numbers) is the same number. ``1e3``, ``5.5`` and hex
are not integers. (DuckDB's cast alone would take all of those, rounding ``5.5`` to 6.)"""
INTEGER_RANGE = "-9223372036854775808..9223372036854775807"
TEXT_TYPES = ("VARCHAR",)
INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                 "USMALLINT", "UTINYINT", "UHUGEINT")  # fmt: skip
FLOAT_TYPES = ("FLOAT", "DOUBLE")
EXACT_TEXT_TYPES = (*TEXT_TYPES, *INTEGER_TYPES, "UUID")
"""Types whose text is exactly the value: an id delivered as an int64 is its digits."""
REASON_TYPE = "struct(code varchar, message varchar)[]"
KNOWN = "k__province_code"
"""Whether the row's province is one of the 31: three rules ask, it is computed once."""
NAIVE_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_S")
"""Parquet's naive timestamps that whole microseconds hold exactly."""
NAIVE_NS_TYPES = ("TIMESTAMP_NS",)
"""Naive nanoseconds: read to the microsecond (the raw tables' precision)."""
INSTANT_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMPTZ_NS")
SHANGHAI_FIXED_SINCE = "1992-01-01"
"""Asia/Shanghai has been UTC+08:00 all year since its last summer time ended in 1991."""
WITHHELD = "(personal data, not shown)"
CHOSEN = "c__"
"""Prefix of a field's value chosen among its spellings, per row (``RowRules._chosen``)."""


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def normal_name(name: str) -> str:
    """A delivered column name as the contract spells it: case, surrounding whitespace and
    byte-order marks do not count (`` Caller_Number ``, ``\\ufeffticket_id``)."""
    return name.replace("\ufeff", "").strip().lower()


def shanghai_instant(naive: str) -> str:
    """A naive timestamp read as Asia/Shanghai local time (the session's zone), as an
    instant. The cast alone would do, but asks ICU for the zone's offset row by row
    (slower than everything else a Parquet row costs); since 1992 it is a constant."""
    return (
        f"case when {naive} >= timestamp '{SHANGHAI_FIXED_SINCE}' "
        f"then make_timestamptz(epoch_us({naive}) - {8 * 3600 * 1_000_000}) "
        f"else {naive}::timestamptz end"
    )


def instant_literal(value: datetime) -> str:
    """An aware datetime as a TIMESTAMPTZ literal (its offset spelled out)."""
    return f"timestamptz {literal(value.isoformat())}"


@dataclass(frozen=True)
class FileColumn:
    name: str
    """As delivered (any case, spaces, a BOM): the quarantine record keeps it."""
    type: str
    """DuckDB type of the scanned column (VARCHAR for CSV, anything for Parquet)."""
    sql: str | None = None
    """The scan's name for it when that differs from ``name`` (two delivered names DuckDB
    would take for one)."""

    @property
    def ref(self) -> str:
        return quote(self.sql or self.name)


def unique_names(names: list[str]) -> list[str]:
    """Names for a scan that DuckDB (case-insensitive) tells apart; a repeated name gets a
    suffix (``FileColumn.sql``), and the rules see every column under its delivered name."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}__{n}"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique


def file_columns(names: list[str]) -> list[FileColumn]:
    """Text columns as delivered, each with a scan name DuckDB tells apart from the others."""
    return [
        FileColumn(n, "VARCHAR", u if u != n else None)
        for n, u in zip(names, unique_names(names), strict=True)
    ]


@dataclass(frozen=True)
class _Expr:
    """A contract column in the query: its text and typed value are computed once, in an
    inner projection, and everything else refers to them by name."""

    name: str
    text_sql: str
    value_sql: str
    raw: str | None = None
    """The scanned column (None when the file lacks it): present means not null here."""
    unparsed: Reason | None = None
    """The reason when the column is present but yields no value (wrong spelling or type)."""
    message: str | None = None
    lazy: bool = False
    """A typed (e.g. Parquet) column: its text is only spelled out for a faulty row's
    record or message, never projected for every row (casting timestamps to text is
    costly)."""

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
        if self.raw is None:
            return "false"
        return f"({self.raw} is not null)" if self.lazy else f"({self.text} is not null)"


CITIES = "[" + ", ".join(literal(c) for c in city_codes()) + "]"
"""The cities as a list that ``not in (select unnest(...))`` probes through a hash join: a
constant IN list of 339 codes is compared one by one (9.5 s of CPU per 5 M rows against 0.5)."""


class RowRules:
    def __init__(
        self,
        source: Source,
        file_columns: list[FileColumn],
        pii_key: str,
        window: Window | None = None,
        spellings_per_row: bool = False,
        keys_twice: str | None = None,
    ) -> None:
        self.source = source
        self.file_columns = file_columns
        self.pii_key = pii_key
        self.window = window
        self.spellings_per_row = spellings_per_row
        """JSON Lines: every line names its own keys, so two spellings of one field in the
        file are alternatives (``Caller_Number`` on one line, ``caller_number`` on the
        next); only a line that carries both with a value is ambiguous. A header (CSV,
        Parquet) gives every row every column: two spellings there condemn every row."""
        self.keys_twice = keys_twice
        """A column of the relation listing the keys a JSON object carries twice, exactly
        so spelled (``json_keys.TWICE``); such a row is ``duplicate_column`` too."""
        names = {c.name for c in source.columns}
        self.delivered: dict[str, list[FileColumn]] = {}
        """Contract name -> the file's columns that spell it (more than one: ambiguous)."""
        for column in file_columns:
            if (name := normal_name(column.name)) in names:
                self.delivered.setdefault(name, []).append(column)
        self.by_name = {name: found[0] for name, found in self.delivered.items()}
        self.alternatives = {
            name: found
            for name, found in self.delivered.items()
            if spellings_per_row and len(found) > 1
        }
        """Fields a JSON Lines file spells more than one way: each line's value is taken
        from the spelling it carries (``_chosen``)."""

    @property
    def missing(self) -> list[str]:
        """Required columns the file does not have: then every row is quarantined."""
        return [c for c in self.source.required if c not in self.by_name]

    @property
    def duplicated(self) -> list[str]:
        """Contract columns the file delivers twice: then every row is quarantined (not
        so in JSON Lines, where only a line carrying both spellings is)."""
        if self.spellings_per_row:
            return []
        return [name for name, found in self.delivered.items() if len(found) > 1]

    @property
    def rejects_every_row(self) -> bool:
        """The header alone condemns the file's rows (``select_rejected``, not ``select``)."""
        return bool(self.missing or self.duplicated)

    # ----------------------------------------------------------------- expressions

    def _hash(self, text: str) -> str:
        return f"sha256({literal(self.pii_key)} || '|' || {text})"

    def _chosen(self, relation: str) -> str:
        """``relation`` plus, for each field spelled more than one way, the value of the
        spelling this row carries (``CHOSEN`` + name): the first one holding a value,
        else whichever is there (empty, or null)."""
        if not self.alternatives:
            return relation
        chosen = []
        for name, found in self.alternatives.items():
            holds = " ".join(f"when {_holds(c)} then {c.ref}" for c in found)
            present = ", ".join(c.ref for c in found)
            chosen.append(f"case {holds} else coalesce({present}) end as {quote(CHOSEN + name)}")
        return f"(select *, {', '.join(chosen)} from {relation})"

    def _found(self, name: str) -> FileColumn | None:
        """The scanned column a field's value comes from (its chosen spelling's, when
        the file spells it more than one way)."""
        if name in self.alternatives:
            return FileColumn(name, "VARCHAR", CHOSEN + name)
        return self.by_name.get(name)

    def _spell(self, column: Column, found: FileColumn | None) -> _Expr:
        """The column's text (for records and messages) and typed value, from whatever
        type it was delivered as. What each contract type takes:

        - text, code, enum: text, or an integer/UUID (its digits are the value); a float,
          date, binary, list... is ``bad_text`` (its text is not what was meant);
        - integer: text matching ``INTEGER_PATTERN``, any integer type, a float or decimal
          with no fraction; within BIGINT or ``bad_integer`` (30.5 is never 30);
        - boolean: BOOLEAN or the contract's words (an integer 1/0 is the word);
        - timestamp: text in a contract format, or a Parquet timestamp (naive is Asia/
          Shanghai local); an epoch number or a date is ``bad_timestamp``.
        """
        name = column.name
        if found is None:
            return _Expr(name, "null::varchar", f"null::{RAW_TYPES[column.type]}")
        src, kind = found.ref, found.type
        is_text = kind in TEXT_TYPES
        text = f"{src}::varchar"
        if is_text:  # values as delivered; a caller number's spaces would change its hash
            text = f"nullif(trim({src}), '')" if column.pii else f"nullif({src}, '')"
        spelled = quote("t__" + name) if is_text else f"({text})"  # see _Expr.lazy
        typed = "" if is_text else f" (delivered as {kind})"
        shown = f"'{name}: ' || to_json({spelled})"
        expr = _Expr(name, text, text, src, lazy=not is_text)
        if column.pii:
            hashed = self._hash(text)
            value = hashed if kind in EXACT_TEXT_TYPES else "null::varchar"
            message = f"'{name}: {WITHHELD} is not text{typed}'"
            return _replace(expr, hashed, value, Reason.BAD_TEXT, message)
        if column.type in ("text", "code", "enum"):
            value = text if kind in EXACT_TEXT_TYPES else "null::varchar"
            message = f"{shown} || ' is not text{typed}'"
            return _replace(expr, text, value, Reason.BAD_TEXT, message)
        if column.type == "timestamp":
            if kind in NAIVE_TIMESTAMP_TYPES:
                value = shanghai_instant(src)
            elif kind in NAIVE_NS_TYPES:
                value = shanghai_instant(f"{src}::timestamp")
            elif kind in INSTANT_TYPES:
                value = f"{src}::timestamptz"
            elif is_text:
                value = (
                    f"case when regexp_full_match({text}, {literal(TIMESTAMP_PATTERN)}) "
                    f"then try_cast({text} as timestamptz) end"
                )
            else:
                value = "null::timestamptz"
            message = f"{shown} || ' is not a timestamp ({TIMESTAMP_FORMATS}){typed}'"
            return _replace(expr, text, value, Reason.BAD_TIMESTAMP, message)
        if column.type == "boolean":
            if kind == "BOOLEAN":
                value = src
            else:
                # spaces around the word are tried only when the word alone is not one
                word, spaced = f"lower({text})", f"lower(trim({text}))"
                value = (
                    f"case when {word} in {sql_list(TRUE_WORDS)} then true "
                    f"when {word} in {sql_list(FALSE_WORDS)} then false "
                    f"when {spaced} in {sql_list(TRUE_WORDS)} then true "
                    f"when {spaced} in {sql_list(FALSE_WORDS)} then false end"
                )
            words = "/".join(f"{t}/{f}" for t, f in zip(TRUE_WORDS, FALSE_WORDS, strict=True))
            message = f"{shown} || ' is not a boolean ({words}){typed}'"
            return _replace(expr, text, value, Reason.BAD_BOOLEAN, message)
        assert column.type == "integer", column
        if kind == "BIGINT":
            value = src
        elif kind in INTEGER_TYPES:
            value = f"try_cast({src} as bigint)"
        elif kind in FLOAT_TYPES:
            value = (
                f"case when isfinite({src}) and {src} = trunc({src}) "
                f"then try_cast({src} as bigint) end"
            )
        elif kind.startswith("DECIMAL"):
            value = f"case when {src} = trunc({src}) then try_cast({src} as bigint) end"
        elif is_text:
            value = (
                f"case when regexp_full_match({text}, {literal(INTEGER_PATTERN)}) "
                f"then try_cast({text} as bigint) end"
            )
        else:
            value = "null::bigint"
        message = (
            f"{shown} || ' is not a whole number in {INTEGER_RANGE} "
            f"(digits with an optional sign){typed}'"
        )
        return _replace(expr, text, value, Reason.BAD_INTEGER, message)

    def _checks(self, e: dict[str, _Expr]) -> list[tuple[Reason, str, str]]:
        """(reason, condition, message) for every rule of the contract that applies, and the
        plausibility rules beyond it (the instant window, the cities reference)."""
        checks: list[tuple[Reason, str, str]] = []
        for name, found in self.alternatives.items():
            holding = " + ".join(f"(case when {_holds(c)} then 1 else 0 end)" for c in found)
            spelled = ", ".join(
                f"case when {_holds(c)} then {literal(repr(c.name))} end" for c in found
            )
            checks.append(
                (
                    Reason.DUPLICATE_COLUMN,
                    f"(({holding}) > 1)",
                    f"'column {name} is delivered more than once (' || concat_ws(', ', "
                    f"{spelled}) || '): which value is meant is unknown'",
                )
            )
        if self.keys_twice is not None:
            twice = quote(self.keys_twice)
            checks.append(
                (
                    Reason.DUPLICATE_COLUMN,
                    f"(len({twice}) > 0)",
                    f"'key ' || array_to_string(list_transform({twice}, lambda k: to_json(k)), "
                    "', ') || ' is delivered twice in one object: which value is meant is "
                    "unknown'",
                )
            )
        for column in self.source.columns:
            x = e[column.name]
            if column.required and column.name in self.by_name:
                message = f"'{column.name}: required value is empty'"
                checks.append((Reason.MISSING_VALUE, f"not {x.present}", message))
            if x.unparsed is not None:
                bad = f"({x.present} and {x.value} is null)"
                checks.append((x.unparsed, bad, x.message or "''"))
            if column.type == "enum":
                message = (
                    f"'{column.name}: ' || to_json({x.text}) || "
                    f"' is not one of {'/'.join(column.values)}'"
                )
                checks.append(
                    (Reason.BAD_ENUM, f"({x.value} not in {sql_list(column.values)})", message)
                )
            if column.type == "timestamp" and self.window is not None and x.raw is not None:
                first = instant_literal(self.window.earliest)
                last = instant_literal(self.window.latest)
                checks.append(
                    (
                        Reason.IMPLAUSIBLE_TIMESTAMP,
                        f"({x.value} < {first} or {x.value} > {last})",
                        f"'{column.name}: ' || to_json({x.text}) || "
                        + literal(
                            f" is outside the plausible window {self.window.describe()} (before "
                            "[ingest] earliest, or later than the file's delivery plus "
                            "future_tolerance_hours)"
                        ),
                    )
                )
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
            same = f"left({city}, 2) = left({province}, 2)"
            checks.append(
                (
                    Reason.CITY_PROVINCE_MISMATCH,
                    f"({known} and {city} is not null and not {same})",
                    f"'city_code: ' || to_json({city}) || ' does not start with the first two "
                    f"digits of province_code ' || to_json({province})",
                )
            )
            checks.append(
                (
                    Reason.UNKNOWN_CITY,
                    f"({known} and {city} is not null and {same} "
                    f"and {city} not in (select unnest({CITIES})))",
                    f"'city_code: ' || to_json({city}) || ' is not a city of province_code ' "
                    f"|| to_json({province}) || ' (seeds/cities.csv)'",
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
        """The record as delivered, as JSON, under the delivered column names: the
        contract's columns only (unknown columns are ignored, here too), personal data
        replaced by its hash. A column delivered twice keeps both values; of a field a
        JSON Lines file spells more than one way, the row's record has the spellings this
        row carries (a null one is left out)."""
        parts, carried = [], []
        for column in self.file_columns:
            name = normal_name(column.name)
            if name not in self.delivered:
                continue
            if name in self.alternatives:
                value = self._spell(self.source.column(name), column).text_sql
                carried.append(f"{literal(column.name)}, ({value})")
                continue
            if column is self.by_name[name]:
                value = e[name].text
            else:
                value = self._spell(self.source.column(name), column).text_sql
                value = f"({value})"
            parts.append(f"{literal(column.name)}, {value}")
        record = "json_object(" + ", ".join(parts) + ")"
        if carried:  # a merge patch leaves out the keys whose value is null
            record = f"json_merge_patch({record}, json_object({', '.join(carried)}))"
        return record

    # --------------------------------------------------------------------- queries

    def _typed(self, relation: str) -> tuple[dict[str, _Expr], str]:
        """The contract columns as text and as typed values, each computed once."""
        e = {c.name: self._spell(c, self._found(c.name)) for c in self.source.columns}
        projected = ", ".join(
            (f"{x.value_sql} as {x.value}" if x.lazy else
             f"{x.text_sql} as {x.text}" if x.same else
             f"{x.text_sql} as {x.text}, {x.value_sql} as {x.value}")
            for x in e.values()
        )  # fmt: skip
        known = f"{e['province_code'].value} in {sql_list(PROVINCE_CODES)} as {quote(KNOWN)}"
        relation = self._chosen(relation)
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

    def select_rejected(self, relation: str) -> str:
        """Every row of a file whose header condemns it (a required column missing, or a
        contract column delivered twice), for the quarantine."""
        faults = [
            (Reason.MISSING_COLUMN, f"required column {name} is missing from the file")
            for name in self.missing
        ] + [
            (
                Reason.DUPLICATE_COLUMN,
                f"column {name} is delivered more than once ("
                + ", ".join(repr(c.name) for c in self.delivered[name])
                + "): which value is meant is unknown",
            )
            for name in self.duplicated
        ]
        reasons = ", ".join(
            f"{{'code': {literal(code.value)}, 'message': {literal(message)}}}"
            for code, message in faults
        )
        e, typed = self._typed(relation)
        return (
            f"select _file_id as file_id, _row::bigint as row_number, [{reasons}] as reasons, "
            f"{self._record(e)} as record from {typed}"
        )


def _holds(column: FileColumn) -> str:
    """Whether a (text) column holds a value in this row: not null, not blank."""
    return f"(trim({column.ref}) <> '')"


def _replace(expr: _Expr, text: str, value: str, unparsed: Reason, message: str) -> _Expr:
    """``expr`` with its text, value, and the reason it gives when it yields no value; a
    value that can never be missing while present (plain text) gives none."""
    can_fail = value != text
    return _Expr(
        expr.name,
        text,
        value,
        expr.raw,
        unparsed if can_fail else None,
        message if can_fail else None,
        expr.lazy,
    )
