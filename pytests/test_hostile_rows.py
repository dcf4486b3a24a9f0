"""Hostile rows: values that parse wrongly, or parse and are still not to be trusted.

Each case plants a few files whose rows it counts itself, runs ``kpiwatch ingest`` as an
operator does, and checks through ``hostile_landing.check``: no traceback, the exit code,
each file's counts reconciled against the case's own, and the exact reason codes. A case
may also pin what the loaded rows hold (a value taken must be the value delivered) and a
word of the messages (they name the column and the value).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile_landing import INGEST_OK, Expect, check, ingest_cli, plant, query

from core.config import ConfigError
from core.config.settings import load_settings
from core.home import Home

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY = "hostile-rows-test-key"
ENV = {"KPIWATCH_PII_KEY": KEY}
TAKEN = "2026-10-12 09:00:00"
DUPLICATE = frozenset({"duplicate_column"})


def caller_hash(number: str) -> str:
    """What ingest stores for a caller number (ingest.privacy): keyed SHA-256."""
    return hashlib.sha256(f"{KEY}|{number}".encode()).hexdigest()


def csv(header: list[str], rows: list[list[str]], bom: bool = False) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode()


def parquet(columns: dict[str, pa.Array]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def ms(text: str) -> int:
    """Epoch milliseconds of a Shanghai local time (what an exporter's int64 would hold)."""
    local = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
    return int(local.timestamp() * 1000)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def repairs(n: int, **columns: pa.Array) -> bytes:
    """mobile_repairs rows T0..: valid but for the columns given."""
    base = {
        "ticket_id": pa.array([f"T{i}" for i in range(n)]),
        "province_code": pa.array(["440000"] * n),
        "city_code": pa.array(["440100"] * n),
        "reported_at": pa.array([local(TAKEN)] * n, pa.timestamp("us")),
    }
    return parquet({**base, **columns})


def halls(n: int, **columns: pa.Array) -> bytes:
    """hall_tickets rows H0..: valid but for the columns given."""
    base = {
        "ticket_id": pa.array([f"H{i}" for i in range(n)]),
        "hall_id": pa.array(["HALL1"] * n),
        "hall_type": pa.array(["own_hall"] * n),
        "province_code": pa.array(["110000"] * n),
        "city_code": pa.array(["110100"] * n),
        "taken_at": pa.array([local(TAKEN)] * n, pa.timestamp("us")),
    }
    return parquet({**base, **columns})


def counters(n: int, **columns: pa.Array) -> bytes:
    """network_calls rows, one per hour from 2026-10-12 00:00: valid but for the columns given."""
    base = {
        "stat_hour": pa.array(
            [local("2026-10-12 00:00:00") + timedelta(hours=i) for i in range(n)],
            pa.timestamp("us"),
        ),
        "province_code": pa.array(["440000"] * n),
        "city_code": pa.array(["440100"] * n),
        "network": pa.array(["mobile"] * n),
        "attempts": pa.array([10] * n, pa.int64()),
        "connected": pa.array([0] * n, pa.int64()),
    }
    return parquet({**base, **columns})


HALL_HEADER = ["ticket_id", "hall_id", "hall_type", "province_code", "city_code", "taken_at"]


def hall_csv(rows: list[tuple[str, str]], header: list[str] = HALL_HEADER, **kw) -> bytes:
    """hall_tickets CSV rows (ticket_id, taken_at), city 110100."""
    body = [[t, "HALL1", "own_hall", "110000", "110100", at] for t, at in rows]
    return csv(header, body, **kw)


COUNTER_HEADER = ["stat_hour", "province_code", "city_code", "network", "attempts", "connected"]


def counter_csv(attempts: list[str]) -> bytes:
    rows = [
        [f"2026-10-12 {i:02d}:00:00", "440000", "440100", "fixed", a, "0"]
        for i, a in enumerate(attempts)
    ]
    return csv(COUNTER_HEADER, rows)


@dataclass
class Case:
    files: dict[str, bytes]
    expect: dict[str, Expect]
    raw: list[tuple[str, list[tuple]]] = field(default_factory=list)
    """(SQL over the working warehouse, the rows it must return): what loaded rows hold."""
    messages: list[str] = field(default_factory=list)
    """Words some quarantine message must contain (column and value)."""
    config: str | None = None
    """kpiwatch.toml of the home, when the case needs one."""


def _epoch_ms_restored_at() -> Case:
    # The reproduction: restored_at as int64 epoch ms loaded as NULL (the ticket looked open).
    data = repairs(
        2, restored_at=pa.array([ms("2026-10-12 10:00:00"), None], pa.int64())
    )  # fmt: skip
    return Case(
        {"mobile_repairs/epoch.parquet": data},
        {"mobile_repairs/epoch.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"}))},
        [("select ticket_id, restored_at from raw.mobile_repairs", [("T1", None)])],
        [f'restored_at: "{ms("2026-10-12 10:00:00")}" is not a', "delivered as BIGINT"],
    )


def _fractional_minutes() -> Case:
    # 30.5 minutes is not 30; 30.0 is (the same number), float or decimal.
    floats = repairs(3, suspended_minutes=pa.array([30.5, 30.0, None], pa.float64()))
    decimals = repairs(
        2, suspended_minutes=pa.array([Decimal("30.50"), Decimal("30.00")], pa.decimal128(6, 2))
    )
    return Case(
        {"mobile_repairs/float.parquet": floats, "mobile_repairs/decimal.parquet": decimals},
        {
            "mobile_repairs/float.parquet": Expect("loaded", 3, 2, 1, frozenset({"bad_integer"})),
            "mobile_repairs/decimal.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_integer"})),
        },
        [
            (
                "select ticket_id, suspended_minutes from raw.mobile_repairs order by 1, 2",
                [("T1", 30), ("T1", 30), ("T2", None)],
            )
        ],
        ['suspended_minutes: "30.5" is not a whole number', 'suspended_minutes: "30.50"'],
    )


def _not_a_number() -> Case:
    data = repairs(3, suspended_minutes=pa.array([math.nan, math.inf, -math.inf], pa.float64()))
    return Case(
        {"mobile_repairs/nan.parquet": data},
        {"mobile_repairs/nan.parquet": Expect("loaded", 3, 0, 3, frozenset({"bad_integer"}))},
        messages=['suspended_minutes: "nan"', 'suspended_minutes: "inf"'],
    )


def _is_3g_as_int() -> Case:
    data = halls(3, is_3g=pa.array([2, 1, 0], pa.int64()))
    return Case(
        {"hall_tickets/int_bool.parquet": data},
        {"hall_tickets/int_bool.parquet": Expect("loaded", 3, 2, 1, frozenset({"bad_boolean"}))},
        [
            (
                "select ticket_id, is_3g from raw.hall_tickets order by 1",
                [("H1", True), ("H2", False)],
            )
        ],
        ['is_3g: "2" is not a boolean'],
    )


def _called_at_as_double() -> Case:
    # The customer must not look unserved because called_at came as a number.
    data = halls(2, called_at=pa.array([1760234700.0, None], pa.float64()))
    return Case(
        {"hall_tickets/double_ts.parquet": data},
        {"hall_tickets/double_ts.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"}))},
        messages=["called_at: ", "delivered as DOUBLE"],
    )


def _uint64_attempts() -> Case:
    data = counters(2, attempts=pa.array([2**64 - 1, 9], pa.uint64()))
    return Case(
        {"network_calls/uint64.parquet": data},
        {"network_calls/uint64.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_integer"}))},
        [("select attempts from raw.network_calls", [(9,)])],
        ['attempts: "18446744073709551615" is not a whole number'],
    )


def _string_in_int_column() -> Case:
    data = counters(2, attempts=pa.array(["abc", "12"]))
    return Case(
        {"network_calls/text_int.parquet": data},
        {"network_calls/text_int.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_integer"}))},
        [("select attempts from raw.network_calls", [(12,)])],
        ['attempts: "abc"'],
    )


def _binary_nested_and_date() -> Case:
    # Binary in a text column, a list in a code column, a date in a timestamp column:
    # none is what the column means. An int64 id is its digits (fine as text).
    binary = halls(2, hall_id=pa.array([b"\x00\xffHALL", None], pa.binary()))
    nested = halls(2, city_code=pa.array([["110100"], None], pa.list_(pa.string())))
    dated = halls(2, finished_at=pa.array([date(2026, 10, 12), None], pa.date32()))
    ids = halls(1, ticket_id=pa.array([2026101200001], pa.int64()))
    return Case(
        {
            "hall_tickets/binary.parquet": binary,
            "hall_tickets/list.parquet": nested,
            "hall_tickets/date.parquet": dated,
            "hall_tickets/int_id.parquet": ids,
        },
        {
            # hall_id is required: the null row is missing_value, the binary one bad_text
            "hall_tickets/binary.parquet": Expect(
                "loaded", 2, 0, 2, frozenset({"bad_text", "missing_value"})
            ),
            "hall_tickets/list.parquet": Expect(
                "loaded", 2, 0, 2, frozenset({"bad_text", "missing_value"})
            ),
            "hall_tickets/date.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"})),
            "hall_tickets/int_id.parquet": Expect("loaded", 1, 1),
        },
        [
            (
                "select ticket_id from raw.hall_tickets order by 1",
                [("2026101200001",), ("H1",)],
            )
        ],
        ["delivered as BLOB", "delivered as VARCHAR[]", 'finished_at: "2026-10-12"'],
    )


def _parquet_timestamp_units() -> Case:
    # Every timestamp type Parquet has: naive is Shanghai local, zoned is an instant.
    at = local("2026-10-12 09:30:00")
    files = {
        f"hall_tickets/{unit}_{tz or 'naive'}.parquet": halls(
            1,
            taken_at=pa.array(
                [at if tz is None else at.replace(tzinfo=SHANGHAI)], pa.timestamp(unit, tz)
            ),
        )
        for unit in ("s", "ms", "us", "ns")
        for tz in (None, "UTC", "Asia/Shanghai")
    }
    return Case(
        files,
        {path: Expect("loaded", 1, 1) for path in files},
        [
            (
                "select distinct taken_at from raw.hall_tickets",
                [(instant("2026-10-12 09:30:00"),)],
            )
        ],
    )


def _unknown_city() -> Case:
    # Right province prefix, no such city: dbt's relationship test would fail every build.
    rows = [
        ["A1", "HALL1", "own_hall", "110000", "119999", TAKEN],
        ["A2", "HALL1", "own_hall", "110000", "110100", TAKEN],
        ["A3", "HALL1", "own_hall", "110000", "440100", TAKEN],  # wrong province: not both
    ]
    return Case(
        {"hall_tickets/city.csv": csv(HALL_HEADER, rows)},
        {
            "hall_tickets/city.csv": Expect(
                "loaded", 3, 1, 2, frozenset({"unknown_city", "city_province_mismatch"})
            )
        },
        [
            (
                "select reasons from audit.quarantine order by row_number",
                [(["unknown_city"],), (["city_province_mismatch"],)],
            )
        ],
        ['city_code: "119999" is not a city of province_code "110000"'],
    )


def _far_instants() -> Case:
    rows = [
        ("F1", "2999-12-31 10:00:00"),
        ("F2", "9999-12-31 23:59:59"),
        ("F3", "1970-01-01 08:00:00"),
        ("F4", "1999-12-31 23:59:59"),
        ("F5", "2000-01-01 00:00:00"),
        ("F6", TAKEN),
    ]
    typed = halls(
        4,
        taken_at=pa.array(
            [local("2999-12-31 10:00:00"), local("9999-12-31 00:00:00"), None, local(TAKEN)],
            pa.timestamp("us"),
        ),
    )
    zoned = halls(
        2,
        taken_at=pa.array(
            [datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC)],
            pa.timestamp("ms", "UTC"),
        ),
    )
    return Case(
        {
            "hall_tickets/far.csv": hall_csv(rows),
            "hall_tickets/far.parquet": typed,
            "hall_tickets/far_utc.parquet": zoned,
        },
        {
            "hall_tickets/far.csv": Expect("loaded", 6, 2, 4, frozenset({"implausible_timestamp"})),
            # the null taken_at is required: missing_value
            "hall_tickets/far.parquet": Expect(
                "loaded", 4, 1, 3, frozenset({"implausible_timestamp", "missing_value"})
            ),
            "hall_tickets/far_utc.parquet": Expect(
                "loaded", 2, 1, 1, frozenset({"implausible_timestamp"})
            ),
        },
        [
            (
                "select count(*) from raw.hall_tickets where taken_at < timestamptz "
                "'2000-01-01 00:00:00+08' or taken_at > timestamptz '2027-01-01 00:00:00+08'",
                [(0,)],
            )
        ],
        ['taken_at: "2999-12-31 10:00:00" is outside the plausible window 2000-01-01'],
    )


def _after_delivery() -> Case:
    # A day and a half after delivery is a clock fault; half a day ahead is tolerated.
    now = datetime.now(SHANGHAI)
    rows = [
        ("D1", f"{now + timedelta(hours=36):%Y-%m-%d %H:%M:%S}"),
        ("D2", f"{now + timedelta(hours=12):%Y-%m-%d %H:%M:%S}"),
        ("D3", f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M:%S+08:00}"),
    ]
    return Case(
        {"hall_tickets/ahead.csv": hall_csv(rows)},
        {"hall_tickets/ahead.csv": Expect("loaded", 3, 2, 1, frozenset({"implausible_timestamp"}))},
        [("select ticket_id from raw.hall_tickets order by 1", [("D2",), ("D3",)])],
    )


def _configured_window() -> Case:
    # The operator widens the start (history back to 1990) and narrows the tolerance to 1 h.
    now = datetime.now(SHANGHAI)
    rows = [
        ("W1", "1995-06-01 10:00:00"),
        ("W2", "1989-12-31 23:00:00"),
        ("W3", f"{now + timedelta(hours=3):%Y-%m-%d %H:%M:%S}"),
        ("W4", TAKEN),
    ]
    return Case(
        {"hall_tickets/window.csv": hall_csv(rows)},
        {
            "hall_tickets/window.csv": Expect(
                "loaded", 4, 2, 2, frozenset({"implausible_timestamp"})
            )
        },
        [("select ticket_id from raw.hall_tickets order by 1", [("W1",), ("W4",)])],
        ["window 1990-01-01 00:00:00+08:00"],
        config="[ingest]\nearliest = 1990-01-01\nfuture_tolerance_hours = 1\n",
    )


def _header_spaces_case_bom() -> Case:
    header = [" Ticket_ID ", "HALL_ID", " hall_type", "Province_Code ", "city_code",
              " TAKEN_AT"]  # fmt: skip
    spaced = hall_csv([("S1", TAKEN), ("S2", TAKEN)], header=header, bom=True)
    upper = jsonl(
        [{"TICKET_ID": "S3", "HALL_ID": "HALL1", "HALL_TYPE": "own_hall",
          " province_code": "110000", "City_Code": "110100", "\ufefftaken_at": TAKEN}]
    )  # fmt: skip
    return Case(
        {"hall_tickets/spaced.csv": spaced, "hall_tickets/upper.jsonl": upper},
        {
            "hall_tickets/spaced.csv": Expect("loaded", 2, 2),
            "hall_tickets/upper.jsonl": Expect("loaded", 1, 1),
        },
        [
            (
                "select ticket_id, city_code from raw.hall_tickets order by 1",
                [("S1", "110100"), ("S2", "110100"), ("S3", "110100")],
            )
        ],
    )


def _caller_number_after_comma() -> Case:
    # The reproduction: ", caller_number" was missing_column with the number in clear.
    text = (
        b"call_id, province_code, caller_number, queue, queued_at\n"
        b"C1,440000,13811112222,standard,2026-10-12 09:00:00\n"
        b"C2,440000, 13811113333 ,vip,2026-10-12 09:05:00\n"
    )
    return Case(
        {"hotline_calls/spaced.csv": text},
        {"hotline_calls/spaced.csv": Expect("loaded", 2, 2)},
        [
            (
                "select call_id, caller_hash from raw.hotline_calls order by 1",
                [("C1", caller_hash("13811112222")), ("C2", caller_hash("13811113333"))],
            )
        ],
    )


def _integer_spellings() -> Case:
    # Accepted: a sign, surrounding spaces, a zero fraction. Not: exponent, fraction,
    # 19 digits beyond BIGINT. The largest BIGINT itself is fine.
    values = ["+5", " 5 ", "5.0", "-0", "1e3", "5.5", "9223372036854775808", "9223372036854775807",
              "0x10"]  # fmt: skip
    return Case(
        {"network_calls/spellings.csv": counter_csv(values)},
        {"network_calls/spellings.csv": Expect("loaded", 9, 5, 4, frozenset({"bad_integer"}))},
        [
            (
                "select attempts from raw.network_calls order by stat_hour",
                [(5,), (5,), (5,), (0,), (9223372036854775807,)],
            )
        ],
        ['attempts: "1e3" is not a whole number', 'attempts: "9223372036854775808"'],
    )


def _boolean_spellings() -> Case:
    header = [*HALL_HEADER, "is_3g"]
    rows = [
        [f"B{i}", "HALL1", "own_hall", "110000", "110100", TAKEN, word]
        for i, word in enumerate(["1", "0", " TRUE ", "Y", "2", "yes", "1.0", ""])
    ]
    return Case(
        {"hall_tickets/bools.csv": csv(header, rows)},
        {"hall_tickets/bools.csv": Expect("loaded", 8, 5, 3, frozenset({"bad_boolean"}))},
        [
            (
                "select ticket_id, is_3g from raw.hall_tickets order by 1",
                [("B0", True), ("B1", False), ("B2", True), ("B3", True), ("B7", None)],
            )
        ],
        ['is_3g: "2" is not a boolean'],
    )


def _duplicate_column() -> Case:
    # Two columns spell caller_number: which is meant is unknown; both stay hashed.
    text = (
        b"call_id,province_code,caller_number, Caller_Number ,queue,queued_at\n"
        b"C1,440000,13822223333,13822224444,standard,2026-10-12 09:00:00\n"
    )
    return Case(
        {"hotline_calls/twice.csv": text},
        {"hotline_calls/twice.csv": Expect("loaded", 1, 0, 1, frozenset({"duplicate_column"}))},
        [
            (
                "select record->>'caller_number', record->>' Caller_Number ' from audit.quarantine",
                [(caller_hash("13822223333"), caller_hash("13822224444"))],
            )
        ],
        ["column caller_number is delivered more than once"],
    )


def _missing_column_keeps_hash() -> Case:
    text = (
        b"call_id,province_code,CALLER_NUMBER,queued_at,remark\n"
        b"C1,440000,13833334444,2026-10-12 09:00:00,call back 13833335555\n"
    )
    return Case(
        {"hotline_calls/no_queue.csv": text},
        {"hotline_calls/no_queue.csv": Expect("loaded", 1, 0, 1, frozenset({"missing_column"}))},
        [
            (
                "select record::varchar from audit.quarantine",
                [
                    (
                        json.dumps(
                            {
                                "call_id": "C1",
                                "province_code": "440000",
                                "CALLER_NUMBER": caller_hash("13833334444"),
                                "queued_at": "2026-10-12 09:00:00",
                            },
                            separators=(",", ":"),
                        ),
                    )
                ],
            )
        ],
    )


def _other_widths_and_types() -> Case:
    # Narrow and unsigned ints are their numbers; a decimal beyond BIGINT, a boolean in a
    # count, a time of day in a timestamp and a double id are not what the column means.
    widths = counters(
        3,
        attempts=pa.array([7, 8, 9], pa.uint32()),
        connected=pa.array([1, 2, 3], pa.int8()),
    )
    huge = counters(
        2,
        attempts=pa.array([Decimal(10**20), Decimal(12)], pa.decimal128(38, 0)),
        connected=pa.array([0, 0], pa.int16()),
    )
    flags = repairs(2, suspended_minutes=pa.array([True, None], pa.bool_()))
    times = halls(2, called_at=pa.array([None, time(9, 5)], pa.time64("us")))
    doubles = halls(1, ticket_id=pa.array([12345.0], pa.float64()))
    return Case(
        {
            "network_calls/widths.parquet": widths,
            "network_calls/huge.parquet": huge,
            "mobile_repairs/flag.parquet": flags,
            "hall_tickets/time.parquet": times,
            "hall_tickets/double_id.parquet": doubles,
        },
        {
            "network_calls/widths.parquet": Expect("loaded", 3, 3),
            "network_calls/huge.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_integer"})),
            "mobile_repairs/flag.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_integer"})),
            "hall_tickets/time.parquet": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"})),
            "hall_tickets/double_id.parquet": Expect("loaded", 1, 0, 1, frozenset({"bad_text"})),
        },
        [
            (
                "select attempts, connected from raw.network_calls order by 1",
                [(7, 1), (8, 2), (9, 3), (12, 0)],
            )
        ],
        ['attempts: "100000000000000000000"', 'ticket_id: "12345.0" is not text (delivered as'],
    )


def _json_typed_values() -> Case:
    # JSON Lines carry numbers, booleans and objects: each is judged by the column's type.
    def ticket(i: int, **fields: object) -> dict:
        return {"ticket_id": f"R{i}", "province_code": "440000", "city_code": "440100",
                "reported_at": TAKEN, **fields}  # fmt: skip

    rows = [
        ticket(0, suspended_minutes=30.5),
        ticket(1, suspended_minutes=30),
        ticket(2, suspended_minutes=True),
        ticket(3, restored_at=1760234400000),
        ticket(4, restored_at={"at": "2026-10-12 10:00:00"}),
        ticket(5, suspended_minutes=None, restored_at=None),
    ]
    return Case(
        {"mobile_repairs/typed.jsonl": jsonl(rows)},
        {
            "mobile_repairs/typed.jsonl": Expect(
                "loaded", 6, 2, 4, frozenset({"bad_integer", "bad_timestamp"})
            )
        },
        [
            (
                "select ticket_id, suspended_minutes, restored_at from raw.mobile_repairs "
                "order by 1",
                [("R1", 30, None), ("R5", None, None)],
            )
        ],
        ['suspended_minutes: "30.5"', 'suspended_minutes: "true"', 'restored_at: "1760234400000"'],
    )


def call(i: int, number_key: str = "caller_number", **fields: object) -> dict:
    """A valid hotline_calls object C<i> whose caller number is under ``number_key``."""
    return {"call_id": f"C{i}", "province_code": "440000", number_key: f"1390000{i:04d}",
            "queue": "standard", "queued_at": TAKEN, **fields}  # fmt: skip


def number(i: int) -> str:
    return f"1390000{i:04d}"


def _json_key_spellings() -> Case:
    # The reproduction: line 1 said Caller_Number, so a later caller_number was NULL.
    # Two files of one first line load together (one scan); the spellings of the second
    # are read per line, and only the line carrying two numbers is ambiguous.
    day1 = jsonl([call(1, "Caller_Number"), call(2, "Caller_Number")])
    day2 = jsonl(
        [
            call(3, "Caller_Number"),
            call(4),  # the line the loader used to lose
            call(5, " CALLER_NUMBER "),
            call(6, "\ufeffcaller_number"),
            {**call(7), "Caller_Number": "13900009999"},  # two numbers: which one?
            {**call(8), "Caller_Number": None},  # a null is no second value
            call(9, "Caller_Number", Answered_At="2026-10-12 09:01:00"),
        ]
    )
    # restored_at spelt Restored_At on some lines: read, the ticket is not open.
    repairs_ = jsonl(
        [
            {"ticket_id": "R1", "province_code": "440000", "city_code": "440100",
             "reported_at": TAKEN, "restored_at": "2026-10-12 10:00:00"},
            {"ticket_id": "R2", "province_code": "440000", "city_code": "440100",
             "reported_at": TAKEN, "Restored_At": "2026-10-12 11:00:00"},
            {"ticket_id": "R3", "Province_Code": "440000", "CITY_CODE": "440100",
             "Reported_At": TAKEN, "RESTORED_AT": "2026-10-12 12:00:00"},
        ]
    )  # fmt: skip
    good = jsonl([call(10)])
    # Compressed, with a malformed line: read line by line, the spellings all the same.
    broken = gzip.compress(
        jsonl([call(11, "Caller_Number")])
        + b'{"call_id": "C12", "caller_number": "13900000012"\n'
        + jsonl([call(13), {**call(14), "CALLER_NUMBER": "13900008888"}])
    )
    return Case(
        {
            "hotline_calls/day1.jsonl": day1,
            "hotline_calls/day2.jsonl": day2,
            "hotline_calls/good.jsonl": good,
            "hotline_calls/broken.jsonl.gz": broken,
            "mobile_repairs/restored.jsonl": repairs_,
        },
        {
            "hotline_calls/day1.jsonl": Expect("loaded", 2, 2),
            "hotline_calls/day2.jsonl": Expect("loaded", 7, 6, 1, DUPLICATE),
            "hotline_calls/good.jsonl": Expect("loaded", 1, 1),
            "hotline_calls/broken.jsonl.gz": Expect(
                "loaded", 4, 2, 2, frozenset({"duplicate_column", "malformed_line"})
            ),
            "mobile_repairs/restored.jsonl": Expect("loaded", 3, 3),
        },
        [
            (
                "select call_id, caller_hash, answered_at from raw.hotline_calls order by 1",
                [
                    (
                        f"C{i}",
                        caller_hash(number(i)),
                        instant("2026-10-12 09:01:00") if i == 9 else None,
                    )
                    for i in (1, 10, 11, 13, 2, 3, 4, 5, 6, 8, 9)
                ],
            ),
            (
                "select ticket_id, restored_at from raw.mobile_repairs order by 1",
                [
                    ("R1", instant("2026-10-12 10:00:00")),
                    ("R2", instant("2026-10-12 11:00:00")),
                    ("R3", instant("2026-10-12 12:00:00")),
                ],
            ),
            (  # the record keeps both numbers, hashed, under their spellings
                "select path, row_number, record->>'call_id', record->>'caller_number', "
                "coalesce(record->>'Caller_Number', record->>'CALLER_NUMBER') "
                "from audit.quarantine where record is not null order by path",
                [
                    (
                        "hotline_calls/broken.jsonl.gz",
                        4,
                        "C14",
                        caller_hash(number(14)),
                        caller_hash("13900008888"),
                    ),
                    (
                        "hotline_calls/day2.jsonl",
                        5,
                        "C7",
                        caller_hash(number(7)),
                        caller_hash("13900009999"),
                    ),
                ],
            ),
            (  # no number in clear anywhere in the quarantine
                "select count(*) from audit.quarantine "
                "where record::varchar like '%1390000%' or messages::varchar like '%1390000%'",
                [(0,)],
            ),
        ],
        ["column caller_number is delivered more than once ('Caller_Number', 'caller_number')"],
    )


def _json_keys_differing_in_case() -> Case:
    # The reproduction: one object with ticket_id and TICKET_ID failed every row of its
    # file. It costs its own line, in a clean file and in one with a malformed line too.
    def ticket(tid: str, **fields: object) -> dict:
        return {"ticket_id": tid, "hall_id": "HALL1", "hall_type": "own_hall",
                "province_code": "110000", "city_code": "110100", "taken_at": TAKEN,
                **fields}  # fmt: skip

    twice = jsonl([ticket("K1"), ticket("A", TICKET_ID="B"), ticket("K3")])
    # JSON lets one object name a key twice, exactly so: a pointer would take the first
    # value silently. Read whole (DuckDB refuses the object) and read by key alike.
    same_key = b'{"ticket_id": "S1", "ticket_id": "S2"' + jsonl([ticket("")])[16:]
    extra_twice = b'{"remark": 1, "remark": 2, ' + jsonl([ticket("S3")])[1:]
    exactly_twice = jsonl([ticket("S0")]) + same_key + extra_twice
    twice += same_key
    broken = (
        jsonl([ticket("M1", CALLER="x")])
        + b"{not json\n"
        + jsonl([{**ticket("M3"), "Ticket_ID": "M3b"}, {**ticket("M4"), "HALL_ID": ""}])
        + same_key.replace(b"S1", b"M5")
    )
    return Case(
        {
            "hall_tickets/twice.jsonl": twice,
            "hall_tickets/exactly_twice.jsonl": exactly_twice,
            "hall_tickets/broken.jsonl": broken,
            "hall_tickets/good.csv": hall_csv([("G1", TAKEN)]),
        },
        {
            "hall_tickets/twice.jsonl": Expect("loaded", 4, 2, 2, DUPLICATE),
            "hall_tickets/exactly_twice.jsonl": Expect("loaded", 3, 2, 1, DUPLICATE),
            "hall_tickets/broken.jsonl": Expect(
                "loaded", 5, 2, 3, frozenset({"duplicate_column", "malformed_line"})
            ),
            "hall_tickets/good.csv": Expect("loaded", 1, 1),
        },
        [
            (
                "select ticket_id, hall_id from raw.hall_tickets order by 1",
                [
                    ("G1", "HALL1"),
                    ("K1", "HALL1"),
                    ("K3", "HALL1"),
                    ("M1", "HALL1"),
                    ("M4", "HALL1"),
                    ("S0", "HALL1"),
                    ("S3", "HALL1"),
                ],
            ),
            (
                "select path, row_number, reasons, record->>'ticket_id', record->>'TICKET_ID', "
                "record->>'Ticket_ID' from audit.quarantine order by 1, 2",
                [
                    ("hall_tickets/broken.jsonl", 2, ["malformed_line"], None, None, None),
                    ("hall_tickets/broken.jsonl", 3, ["duplicate_column"], "M3", None, "M3b"),
                    ("hall_tickets/broken.jsonl", 5, ["duplicate_column"], "M5", None, None),
                    ("hall_tickets/exactly_twice.jsonl", 2, ["duplicate_column"], "S1", None, None),
                    ("hall_tickets/twice.jsonl", 2, ["duplicate_column"], "A", "B", None),
                    ("hall_tickets/twice.jsonl", 4, ["duplicate_column"], "S1", None, None),
                ],
            ),
        ],
        [
            "column ticket_id is delivered more than once ('ticket_id', 'TICKET_ID')",
            'key "ticket_id" is delivered twice in one object',
        ],
    )


def _gb18030_chinese_column() -> Case:
    # The reproduction: a GB18030 CSV whose header names an extra column in Chinese.
    # Extra columns are ignored, in the raw table and in the quarantine record.
    header = ["备注", *HALL_HEADER, "业务类型说明"]
    rows = [
        ["办理话费", "Z1", "HALL1", "own_hall", "110000", "110100", TAKEN, "缴费"],
        ["补换卡", "Z2", "HALL1", "own_hall", "110000", "110100", "昨天", "换卡"],
    ]
    text = ("\n".join(",".join(r) for r in [header, *rows]) + "\n").encode("gb18030")
    other = ("\n".join(",".join(r) for r in [header, rows[0]]) + "\n").replace("Z1", "Z3")
    return Case(
        {
            "hall_tickets/gb18030.csv": text,
            "hall_tickets/gb18030_same_header.csv": other.encode("gb18030"),
            "hall_tickets/good.csv": hall_csv([("G1", TAKEN)]),
        },
        {
            "hall_tickets/gb18030.csv": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"})),
            "hall_tickets/gb18030_same_header.csv": Expect("loaded", 1, 1),
            "hall_tickets/good.csv": Expect("loaded", 1, 1),
        },
        [
            (
                "select ticket_id, hall_id, taken_at from raw.hall_tickets order by 1",
                [
                    ("G1", "HALL1", instant(TAKEN)),
                    ("Z1", "HALL1", instant(TAKEN)),
                    ("Z3", "HALL1", instant(TAKEN)),
                ],
            ),
            (
                "select f.encoding, json_keys(q.record) from audit.quarantine q "
                "join audit.ingest_files f using (file_id)",
                [("gb18030", HALL_HEADER)],
            ),
        ],
        ['taken_at: "昨天" is not a timestamp'],
    )


def _jsonl_with_bom() -> Case:
    # A UTF-8 BOM before the first key is not part of it: alone, batched with a file
    # of the same keys, with a malformed line, and with a key spelt two ways.
    bom = b"\xef\xbb\xbf"

    def ticket(tid: str, at: str = TAKEN, key: str = "ticket_id") -> dict:
        return {key: tid, "hall_id": "HALL1", "hall_type": "own_hall",
                "province_code": "110000", "city_code": "110100", "taken_at": at}  # fmt: skip

    return Case(
        {
            "hall_tickets/bom.jsonl": bom + jsonl([ticket("B1"), ticket("B2", "2026-13-01")]),
            "hall_tickets/bom_twin.jsonl": bom + jsonl([ticket("B3")]),
            "hall_tickets/bom_bad_line.jsonl": bom + jsonl([ticket("B4")]) + b"[1, 2]\n",
            "hall_tickets/bom_spellings.jsonl": bom
            + jsonl([ticket("B5"), ticket("B6", key="TICKET_ID")]),
            "hall_tickets/good.jsonl": jsonl([ticket("G1")]),
        },
        {
            "hall_tickets/bom.jsonl": Expect("loaded", 2, 1, 1, frozenset({"bad_timestamp"})),
            "hall_tickets/bom_twin.jsonl": Expect("loaded", 1, 1),
            "hall_tickets/bom_bad_line.jsonl": Expect(
                "loaded", 2, 1, 1, frozenset({"malformed_line"})
            ),
            "hall_tickets/bom_spellings.jsonl": Expect("loaded", 2, 2),
            "hall_tickets/good.jsonl": Expect("loaded", 1, 1),
        },
        [
            (
                "select ticket_id from raw.hall_tickets order by 1",
                [("B1",), ("B3",), ("B4",), ("B5",), ("B6",), ("G1",)],
            ),
            (  # the record's first key is ticket_id, no BOM
                "select json_keys(record)[1], record->>'ticket_id' from audit.quarantine "
                "where record is not null",
                [("ticket_id", "B2")],
            ),
        ],
    )


CASES: dict[str, Callable[[], Case]] = {
    "epoch_ms_int_in_timestamp": _epoch_ms_restored_at,
    "fractional_double_and_decimal_minutes": _fractional_minutes,
    "nan_and_inf_minutes": _not_a_number,
    "int_2_in_boolean": _is_3g_as_int,
    "double_in_timestamp": _called_at_as_double,
    "uint64_beyond_bigint": _uint64_attempts,
    "string_abc_in_parquet_int": _string_in_int_column,
    "binary_list_date_in_wrong_columns": _binary_nested_and_date,
    "parquet_timestamp_units_and_zones": _parquet_timestamp_units,
    "unknown_city_with_right_prefix": _unknown_city,
    "years_2999_9999_1970_csv_and_parquet": _far_instants,
    "a_day_and_a_half_after_delivery": _after_delivery,
    "window_set_in_kpiwatch_toml": _configured_window,
    "header_spaces_case_bom": _header_spaces_case_bom,
    "caller_number_after_comma_space": _caller_number_after_comma,
    "integer_text_edges": _integer_spellings,
    "boolean_text_edges": _boolean_spellings,
    "duplicate_caller_column": _duplicate_column,
    "missing_column_record_hashed": _missing_column_keeps_hash,
    "other_int_widths_decimal_bool_time_double": _other_widths_and_types,
    "json_numbers_booleans_objects": _json_typed_values,
    "json_key_spellings_change_by_line": _json_key_spellings,
    "json_keys_differing_only_in_case": _json_keys_differing_in_case,
    "gb18030_csv_with_chinese_column_names": _gb18030_chinese_column,
    "jsonl_starting_with_a_bom": _jsonl_with_bom,
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_rows(name: str, tmp_path: Path) -> None:
    case = CASES[name]()
    landing, home = tmp_path / "landing", tmp_path / "home"
    for relative, content in case.files.items():
        plant(landing, relative, content)
    if case.config is not None:
        home.mkdir()
        (home / "kpiwatch.toml").write_text(case.config)
    done = ingest_cli(home, landing, ENV)
    check(done, home, case.expect, INGEST_OK)
    for sql, rows in case.raw:
        assert query(home, sql) == rows, sql
    messages = [m for (ms_,) in query(home, "select messages from audit.quarantine") for m in ms_]
    for words in case.messages:
        assert any(words in m for m in messages), (words, messages)


def test_a_mistyped_window_setting_stops_ingest_with_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "kpiwatch.toml").write_text('[ingest]\nearliest = "last year"\nfuture_hours = 2\n')
    plant(tmp_path / "landing", "hall_tickets/a.csv", hall_csv([("A", TAKEN)]))
    done = ingest_cli(home, tmp_path / "landing", ENV)
    assert done.code == 2 and "Traceback" not in done.stdout + done.stderr
    error = done.stdout + done.stderr
    assert "ingest.earliest = 'last year': expected a date" in " ".join(error.split())
    assert len(error.strip().splitlines()) == 1
    assert done.files == {}  # nothing was read


def test_kpiwatch_run_reads_and_checks_the_ingest_window(tmp_path: Path) -> None:
    """``kpiwatch run`` reads the whole kpiwatch.toml up front: [ingest] is part of it."""
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    config = home.root / "kpiwatch.toml"
    config.write_text('[ingest]\nearliest = "1995-06-01 06:00:00"\nfuture_tolerance_hours = 2\n')
    settings = load_settings(home).ingest
    assert settings.earliest == datetime(1995, 5, 31, 22, 0, tzinfo=UTC)
    window = settings.window(datetime(2026, 10, 12, tzinfo=UTC))
    assert window.latest == datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    config.write_text("[ingest]\nfuture_tolerance = 2\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) future_tolerance in \[ingest\]"):
        load_settings(home)
    config.write_text("[ingest]\nfuture_tolerance_hours = -1\n")
    with pytest.raises(ConfigError, match=r"ingest\.future_tolerance_hours = -1"):
        load_settings(home)
