"""The landing-file contract (docs/landing-contract.md) as data.

One description of every source serves the generator (which must honour it) and the
loader (which must enforce it), so the two can never drift apart. The quarantine
reason codes are part of the contract too: they are stable names that analysts and
alerts can rely on (docs/landing-rows.md lists them with an example message each).

The city codes a row may carry are the seed ``seeds/cities.csv`` itself, read once: the
dimension dbt relates every fact to is the same file, so a row that passes the door can
never fail the warehouse's relationship tests.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

ColumnType = Literal["text", "code", "timestamp", "boolean", "integer", "enum"]

PROVINCE_CODES: tuple[str, ...] = (
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
    "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
    "420000", "430000", "440000", "450000", "460000", "500000", "510000", "520000",
    "530000", "540000", "610000", "620000", "630000", "640000", "650000",
)  # fmt: skip
"""The 31 mainland province-level divisions (GB/T 2260); the seed `provinces` names them."""

NATIONAL_CODE = "100000"

STANDARD_ORDER = [
    "hall_wait_15m", "hall_handle_10m", "hall_vip_wait_5m", "hall_appointment_no_wait",
    "hotline_sl20", "hotline_vip_sl20", "hotline_24x7_dark_hours", "install_days_avg",
    "install_days_max", "fixed_connect_rate", "mobile_connect_rate", "mobile_repair_hours_avg",
    "mobile_repair_hours_max", "broadband_repair_hours_avg", "broadband_repair_hours_max",
]  # fmt: skip
"""The order in which docs/standard.md lists the indicators (the dashboard's and the monthly
report's order); a KPI added later comes after them."""

TIMESTAMP_FORMATS = "YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SS[.fff][+08:00|+0800|Z]"
CITIES_SEED = Path(__file__).resolve().parents[1] / "seeds" / "cities.csv"
TRUE_WORDS = ("true", "1", "t", "y")
FALSE_WORDS = ("false", "0", "f", "n")


@cache
def city_codes() -> tuple[str, ...]:
    """The prefecture-level city codes of the seed dbt relates every fact to."""
    with CITIES_SEED.open(encoding="utf-8", newline="") as handle:
        return tuple(sorted(row["city_code"] for row in csv.DictReader(handle)))


class Reason(StrEnum):
    """Why a delivered row was quarantined: one stable code per rule of docs/landing-contract.md."""

    MISSING_COLUMN = "missing_column"
    MISSING_VALUE = "missing_value"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_INTEGER = "bad_integer"
    BAD_BOOLEAN = "bad_boolean"
    BAD_ENUM = "bad_enum"
    BAD_TEXT = "bad_text"
    """A text, code or enum column delivered as a type that is not text (a float, a
    date, binary, a list...): its text would not be what the exporter meant."""
    DUPLICATE_COLUMN = "duplicate_column"
    """Two delivered columns name the same contract column (case, spaces or a BOM
    apart): which value is meant is unknown, so every row of the file is quarantined."""
    IMPLAUSIBLE_TIMESTAMP = "implausible_timestamp"
    """An instant before the window's start or after the file's delivery plus the
    tolerance (``[ingest]`` in kpiwatch.toml): a clock or export fault, not an event."""
    UNKNOWN_PROVINCE = "unknown_province"
    CITY_PROVINCE_MISMATCH = "city_province_mismatch"
    UNKNOWN_CITY = "unknown_city"
    """city_code has its province's prefix but is not a city of seeds/cities.csv."""
    END_BEFORE_START = "end_before_start"
    BAD_SUSPENDED_MINUTES = "bad_suspended_minutes"
    BAD_COUNTER = "bad_counter"
    MALFORMED_LINE = "malformed_line"
    """A line the reader cannot take apart (a field too many or too few, a quote never
    closed, not a JSON object, a NUL byte): the rest of its file still loads."""


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    values: tuple[str, ...] = ()
    """The accepted set of an enum column."""
    default: str | None = None
    """What an absent value means (docs/landing-contract.md: absent means standard)."""
    pii: bool = False


@dataclass(frozen=True)
class Source:
    name: str
    title_zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    order_pairs: tuple[tuple[str, str], ...] = ()
    """(start, end) pairs where end must not precede start."""
    duration: tuple[str, str] | None = None
    """(start, end) of the item whose suspended_minutes may not exceed its duration."""
    versioned: bool = field(default=True)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


AREA = ("urban", "rural")
TIER = ("standard", "silver", "gold", "diamond", "supreme")


def _ts(name: str, required: bool = False) -> Column:
    return Column(name, "timestamp", required)


def _place(area_required: bool = False) -> tuple[Column, ...]:
    return (
        Column("province_code", "code", True),
        Column("city_code", "code", True),
        Column("area_type", "enum", area_required, AREA),
    )


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "hall_tickets",
            "营业厅排队叫号",
            (
                Column("ticket_id", "text", True),
                Column("hall_id", "text", True),
                Column("hall_type", "enum", True, ("own_hall", "brand_store_3g", "self_service")),
                *_place(),
                Column("customer_tier", "enum", False, TIER, default="standard"),
                Column("business_type", "text"),
                Column("is_3g", "boolean", default="false"),
                Column("is_appointment", "boolean", default="false"),
                _ts("taken_at", True),
                _ts("called_at"),
                _ts("finished_at"),
                _ts("updated_at"),
            ),
            key=("ticket_id",),
            order_pairs=(("taken_at", "called_at"), ("called_at", "finished_at")),
        ),
        Source(
            "hotline_calls",
            "10010客服热线转人工",
            (
                Column("call_id", "text", True),
                Column("province_code", "code", True),
                Column("caller_number", "text", pii=True),
                Column("queue", "enum", True, ("standard", "vip")),
                Column("customer_tier", "enum", False, TIER, default="standard"),
                _ts("queued_at", True),
                _ts("answered_at"),
                _ts("ended_at"),
                _ts("updated_at"),
            ),
            key=("call_id",),
            order_pairs=(("queued_at", "answered_at"),),
        ),
        Source(
            "network_calls",
            "本地呼叫接通计数",
            (
                _ts("stat_hour", True),
                Column("province_code", "code", True),
                Column("city_code", "code", True),
                Column("network", "enum", True, ("fixed", "mobile")),
                Column("attempts", "integer", True),
                Column("connected", "integer", True),
                _ts("updated_at"),
            ),
            key=("stat_hour", "city_code", "network"),
        ),
        Source(
            "mobile_repairs",
            "移动电话通信障碍",
            (
                Column("ticket_id", "text", True),
                *_place(),
                _ts("reported_at", True),
                _ts("restored_at"),
                Column("suspended_minutes", "integer", default="0"),
                Column("cause", "enum", False, ("network", "terminal", "other"), default="other"),
                _ts("updated_at"),
            ),
            key=("ticket_id",),
            order_pairs=(("reported_at", "restored_at"),),
            duration=("reported_at", "restored_at"),
        ),
        Source(
            "broadband_faults",
            "宽带业务障碍",
            (
                Column("ticket_id", "text", True),
                *_place(area_required=True),
                Column("access_type", "enum", False, ("ftth", "copper", "other")),
                _ts("reported_at", True),
                _ts("restored_at"),
                Column("suspended_minutes", "integer", default="0"),
                _ts("updated_at"),
            ),
            key=("ticket_id",),
            order_pairs=(("reported_at", "restored_at"),),
            duration=("reported_at", "restored_at"),
        ),
        Source(
            "install_orders",
            "装移机",
            (
                Column("order_id", "text", True),
                *_place(),
                Column("service", "enum", True, ("fixed_phone", "broadband")),
                Column("order_type", "enum", True, ("new", "move")),
                _ts("accepted_at", True),
                _ts("completed_at"),
                Column("suspended_minutes", "integer", default="0"),
                _ts("updated_at"),
            ),
            key=("order_id",),
            order_pairs=(("accepted_at", "completed_at"),),
            duration=("accepted_at", "completed_at"),
        ),
    )
}

FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".csv.gz"),
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"),
    "parquet": (".parquet",),
}


RAW_TYPES: dict[str, str] = {
    "text": "varchar",
    "code": "varchar",
    "enum": "varchar",
    "timestamp": "timestamptz",
    "boolean": "boolean",
    "integer": "bigint",
}
"""The raw layer's DuckDB type for each contract type."""


def raw_columns(source: Source) -> list[tuple[str, str]]:
    """(name, type) of a source's raw table; personal data is replaced by its hash.

    The raw tables' shape follows from the contract alone: ingest writes them, the quality
    checks and the lake read them."""
    columns = []
    for column in source.columns:
        name = column.name.replace("_number", "_hash") if column.pii else column.name
        columns.append((name, "varchar" if column.pii else RAW_TYPES[column.type]))
    return columns
