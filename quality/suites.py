"""One Great Expectations suite per source, written from the landing-file contract.

Ingest already quarantines every row that breaks the landing contract; these suites are the
second, independent line: they validate what actually landed in ``raw.<source>`` (so a loader bug,
or a raw table that drifted from the contract, shows), and they add what the contract
cannot say row by row: plausible durations (no 30-day hall wait), no event later than its
own delivery, and the share of each file's rows that went to quarantine.

Each suite judges a pandas frame read from DuckDB by ``rows_query`` / ``files_query``:
the raw columns as stored plus a few derived ones (durations, code prefixes), so GX
compares plain columns and never needs SQL of its own (its DuckDB SQL datasource is broken).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config.quality import QualitySettings
from core.contract import PROVINCE_CODES, SOURCES, raw_columns
from core.sql import quote
from quality.freshness import event_columns
from quality.gx_import import great_expectations

gx = great_expectations()  # before any other GX module: without PySpark's pandas warning

import great_expectations.expectations as gxe  # noqa: E402
from great_expectations.expectations.row_conditions import Column as When  # noqa: E402

ROW_ID = ("ingest_file_id", "source_row_number")
"""Every failing row is reported by its file and its row in that file."""
FILE_ID = ("file_id",)
META = ("ingest_file_id", "source_row_number", "_reasons", "_record")
FUTURE_TOLERANCE_HOURS = 1.0
"""Clock skew allowed between an exporter and kpiwatch before an event counts as future."""
INTEGER_TYPES = ["int64", "Int64", "int32", "Int32"]
BOOLEAN_TYPES = ["bool", "boolean"]


@dataclass(frozen=True)
class Derived:
    name: str
    sql: str
    unit: str


def _minutes(end: str, start: str) -> str:
    return f"(epoch({end}) - epoch({start})) / 60.0"


DERIVED: dict[str, tuple[Derived, ...]] = {
    "hall_tickets": (
        Derived("wait_minutes", _minutes("r.called_at", "r.taken_at"), "minutes"),
        Derived("handle_minutes", _minutes("r.finished_at", "r.called_at"), "minutes"),
    ),
    "hotline_calls": (
        Derived("answer_seconds", "epoch(r.answered_at) - epoch(r.queued_at)", "seconds"),
        Derived("call_minutes", _minutes("r.ended_at", "r.queued_at"), "minutes"),
    ),
    "network_calls": (),
    "mobile_repairs": (
        Derived("repair_hours", f"{_minutes('r.restored_at', 'r.reported_at')} / 60", "hours"),
    ),
    "broadband_faults": (
        Derived("repair_hours", f"{_minutes('r.restored_at', 'r.reported_at')} / 60", "hours"),
    ),
    "install_orders": (
        Derived("install_days", f"{_minutes('r.completed_at', 'r.accepted_at')} / 1440", "days"),
    ),
}
UNITS = {"attempts": "calls", "connected": "calls", "suspended_minutes": "minutes"}


def rows_query(source_name: str) -> str:
    """The raw rows of some files, with what the suite needs beside them.

    Placeholders: ``{files}`` (a filter on ``r.ingest_file_id``) and ``{rows}`` (a filter
    on ``r.source_row_number``, ``true`` for whole files).
    """
    source = SOURCES[source_name]
    has_city = any(c.name == "city_code" for c in source.columns)
    derived = [f"{d.sql} as {d.name}" for d in DERIVED[source_name]]
    if has_city:
        derived += [
            "left(r.city_code, 2) as city_prefix",
            "left(r.province_code, 2) as province_prefix",
        ]
    events = ", ".join(f"r.{quote(c)}" for c in event_columns(source_name))
    derived.append(
        f"(epoch(greatest({events})) - epoch(f.loaded_at)) / 3600.0 as hours_after_delivery"
    )
    return (
        f"select r.*, {', '.join(derived)} from raw.{source_name} r "
        "join audit.ingest_files f on f.file_id = r.ingest_file_id "
        "where {files} and {rows} order by r.ingest_file_id, r.source_row_number"
    )


FILES_QUERY = (
    "select file_id, path, status, rows_read, rows_loaded, rows_quarantined, "
    "rows_quarantined / nullif(rows_read, 0) as quarantined_share, error "
    "from audit.ingest_files where source = ? and file_id > ? and file_id <= ? order by file_id"
)


def _label(expectation: gxe.Expectation, label: str, text_en: str, text_zh: str) -> gxe.Expectation:
    """Name each expectation for dq_results and the digest (GX's own names are long)."""
    expectation.meta = {"check": label, "en": text_en, "zh": text_zh}
    return expectation


def rows_suite(source_name: str, settings: QualitySettings) -> gx.ExpectationSuite:
    """What every row landed in ``raw.<source>`` must satisfy."""
    source = SOURCES[source_name]
    stored = [name for name, _ in raw_columns(source)]
    derived = [d.name for d in DERIVED[source_name]]
    has_city = "city_code" in stored
    columns = [*stored, *META, *derived]
    columns += ["city_prefix", "province_prefix"] if has_city else []
    columns.append("hours_after_delivery")
    out: list[gxe.Expectation] = [
        _label(
            gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
            "schema",
            f"raw.{source_name} has exactly the contract's columns",
            f"raw.{source_name} 的列与契约一致",
        )
    ]
    for column in source.columns:
        name = column.name.replace("_number", "_hash") if column.pii else column.name
        # Timestamps are not type-checked here: GX cannot name pandas' time-zone-aware
        # dtype in a type list; the order and range checks would fail on text anyway.
        types = {"integer": INTEGER_TYPES, "boolean": BOOLEAN_TYPES}
        if column.type in types:
            out.append(
                _label(
                    gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=types[column.type]),
                    f"type:{name}",
                    f"{name} is stored as {column.type}",
                    f"{name} 的存储类型为 {column.type}",
                )
            )
    for name in source.required:
        out.append(
            _label(
                gxe.ExpectColumnValuesToNotBeNull(column=name),
                f"required:{name}",
                f"{name} is present",
                f"{name} 不为空",
            )
        )
    for name in ("_reasons", "_record"):
        out.append(
            _label(
                gxe.ExpectColumnValuesToBeNull(column=name),
                f"unfaulted:{name}",
                "no faulty row left in raw (ingest moves them to quarantine)",
                "原始表中没有残留的错误行",
            )
        )
    for column in source.columns:
        if column.type == "enum":
            out.append(
                _label(
                    gxe.ExpectColumnValuesToBeInSet(
                        column=column.name, value_set=list(column.values)
                    ),
                    f"set:{column.name}",
                    f"{column.name} in {{{', '.join(column.values)}}}",
                    f"{column.name} 取值在允许集合内",
                )
            )
    out.append(
        _label(
            gxe.ExpectColumnValuesToBeInSet(column="province_code", value_set=list(PROVINCE_CODES)),
            "set:province_code",
            "province_code is one of the 31 mainland codes",
            "省份编码为31个省级行政区之一",
        )
    )
    if has_city:
        out += [
            _label(
                gxe.ExpectColumnValuesToMatchRegex(column="city_code", regex=r"^\d{6}$"),
                "pattern:city_code",
                "city_code has six digits",
                "城市编码为6位数字",
            ),
            _label(
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="city_prefix",
                    column_B="province_prefix",
                    ignore_row_if="either_value_is_missing",
                ),
                "match:city_province",
                "city_code starts with its province's two digits",
                "城市编码前两位与省份一致",
            ),
        ]
    for start, end in source.order_pairs:
        out.append(
            _label(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=end,
                    column_B=start,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                f"order:{end}>={start}",
                f"{end} is not before {start}",
                f"{end} 不早于 {start}",
            )
        )
    for name, (low, high) in settings.ranges[source_name].items():
        unit = next((d.unit for d in DERIVED[source_name] if d.name == name), UNITS.get(name, ""))
        out.append(
            _label(
                gxe.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high),
                f"range:{name}",
                f"{name} within [{low:g}, {high:g}] {unit}",
                f"{name} 在合理范围 [{low:g}, {high:g}] {unit} 内",
            )
        )
    if "connected" in stored:
        out.append(
            _label(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="attempts", column_B="connected", or_equal=True
                ),
                "order:attempts>=connected",
                "connected calls do not exceed attempts",
                "接通次数不超过呼叫次数",
            )
        )
    out.append(
        _label(
            gxe.ExpectColumnValuesToBeBetween(
                column="hours_after_delivery", max_value=FUTURE_TOLERANCE_HOURS
            ),
            "not_future",
            "no event later than the delivery of its file",
            "事件时间不晚于文件送达时间",
        )
    )
    return gx.ExpectationSuite(name=f"{source_name}.rows", expectations=out)


def files_suite(source_name: str, settings: QualitySettings) -> gx.ExpectationSuite:
    """What every delivered file of a source must satisfy (read from audit.ingest_files)."""
    f = settings.files
    share = gxe.ExpectColumnValuesToBeBetween(
        column="quarantined_share",
        min_value=0,
        max_value=f.max_quarantined_share,
        # Whole files in quarantine are the check above's: not reported twice.
        row_condition=(When("rows_read") >= f.min_rows) & (When("quarantined_share") < 1),
        severity="warning" if f.share_status == "warn" else "critical",
    )
    return gx.ExpectationSuite(
        name=f"{source_name}.files",
        expectations=[
            _label(
                gxe.ExpectColumnValuesToBeInSet(
                    column="status", value_set=["loaded", "skipped_duplicate"]
                ),
                "file:readable",
                "every delivered file could be read",
                "所有送达文件均可读取",
            ),
            _label(
                gxe.ExpectColumnValuesToBeBetween(
                    column="quarantined_share",
                    min_value=0,
                    max_value=1,
                    strict_max=True,
                    row_condition=When("rows_read") > 0,
                ),
                "file:not_all_quarantined",
                "no file has every row quarantined (e.g. a required column missing)",
                "没有整份文件被隔离(例如缺少必填列)",
            ),
            _label(
                share,
                "file:quarantined_share",
                f"at most {f.max_quarantined_share:.0%} of a file's rows quarantined "
                f"(files of {f.min_rows}+ rows)",
                f"单个文件隔离行占比不超过 {f.max_quarantined_share:.0%}"
                f"(不少于{f.min_rows}行的文件)",
            ),
        ],
    )
