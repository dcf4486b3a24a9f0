"""An independent reader and validator of landing files, for the tests only.

It reads each file the slow, obvious way (Python's gzip and codecs, polars, pyarrow)
and applies docs/landing-contract.md's rules row by row, so the generator and the loader can both be
checked against something that shares none of their code.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from core.contract import FALSE_WORDS, PROVINCE_CODES, SOURCES, TRUE_WORDS, Reason

TS = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM or not) if it decodes as such, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def read_strings(path: Path) -> tuple[pl.DataFrame, str]:
    """Every column as text (lower-case names), as a loader would see it; and the encoding."""
    name = path.name
    if name.endswith(".parquet"):
        table = pq.read_table(path)
        frame = pl.from_arrow(table)
        out = []
        for col in frame.columns:
            s = frame[col]
            if isinstance(s.dtype, pl.Datetime):
                fmt = "%Y-%m-%d %H:%M:%S%.3f%:z" if s.dtype.time_zone else "%Y-%m-%d %H:%M:%S%.3f"
                s = s.dt.strftime(fmt)
            elif s.dtype == pl.Boolean:
                s = s.map_elements(lambda b: "true" if b else "false", return_dtype=pl.String)
            out.append(s.cast(pl.String).alias(col.lower()))
        return pl.DataFrame(out), "binary"
    data = path.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    text, encoding = decode(data)
    if ".csv" in name:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
    else:
        frame = pl.read_ndjson(io.StringIO(text))
        frame = frame.with_columns(
            (pl.col(c).cast(pl.String) if frame[c].dtype != pl.Boolean
             else pl.when(pl.col(c)).then(pl.lit("true")).when(~pl.col(c)).then(pl.lit("false")))
            .alias(c)
            for c in frame.columns
        )  # fmt: skip
    frame = frame.rename({c: c.lower() for c in frame.columns})
    return frame.with_columns(pl.col(c).replace("", None) for c in frame.columns), encoding


def _instant(col: str) -> pl.Expr:
    """Parse a contract timestamp to a UTC instant; no offset means Asia/Shanghai."""
    s = pl.col(col).str.replace("T", " ").str.replace("Z$", "+00:00")
    s = s.str.replace(r"([+-]\d{2})(\d{2})$", "$1:$2")
    s = pl.when(s.str.contains(r"[+-]\d{2}:\d{2}$")).then(s).otherwise(s + "+08:00")
    return s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", strict=False, time_zone="UTC")


def reasons(frame: pl.DataFrame, source_name: str) -> list[set[str]]:
    """The set of docs/landing-contract.md reasons each row breaks (empty set: a valid row)."""
    source = SOURCES[source_name]
    missing = [c for c in source.required if c not in frame.columns]
    if missing:
        return [{Reason.MISSING_COLUMN.value} for _ in range(frame.height)]
    for c in source.columns:
        if c.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c.name))
    checks: list[tuple[str, pl.Expr]] = []
    for c in source.columns:
        v = pl.col(c.name)
        present = v.is_not_null()
        if c.required:
            checks.append((Reason.MISSING_VALUE, ~present))
        if c.type == "timestamp":
            checks.append(
                (
                    Reason.BAD_TIMESTAMP,
                    present & (~v.str.contains(TS.pattern) | _instant(c.name).is_null()),
                )
            )
        elif c.type == "integer":
            checks.append((Reason.BAD_INTEGER, present & ~v.str.contains(r"^-?\d+$")))
        elif c.type == "boolean":
            words = [*TRUE_WORDS, *FALSE_WORDS]
            checks.append((Reason.BAD_BOOLEAN, present & ~v.str.to_lowercase().is_in(words)))
        elif c.type == "enum":
            checks.append((Reason.BAD_ENUM, present & ~v.is_in(list(c.values))))
    prov = pl.col("province_code")
    known = prov.is_in(list(PROVINCE_CODES))
    checks.append((Reason.UNKNOWN_PROVINCE, prov.is_not_null() & ~known))
    if "city_code" in {c.name for c in source.columns}:
        city = pl.col("city_code")
        checks.append(
            (Reason.CITY_PROVINCE_MISMATCH,
             known & city.is_not_null() & (city.str.slice(0, 2) != prov.str.slice(0, 2)))
        )  # fmt: skip
    for start, end in source.order_pairs:
        checks.append((Reason.END_BEFORE_START, (_instant(end) < _instant(start)).fill_null(False)))
    if source.duration:
        start, end = source.duration
        minutes = pl.col("suspended_minutes").cast(pl.Int64, strict=False)
        span = (_instant(end) - _instant(start)).dt.total_seconds()
        bad = (minutes < 0) | ((span >= 0) & (minutes * 60 > span))
        checks.append((Reason.BAD_SUSPENDED_MINUTES, bad.fill_null(False)))
    if "connected" in frame.columns:
        a = pl.col("attempts").cast(pl.Int64, strict=False)
        k = pl.col("connected").cast(pl.Int64, strict=False)
        checks.append((Reason.BAD_COUNTER, ((a < 0) | (k < 0) | (k > a)).fill_null(False)))
    flags = frame.select(
        *(expr.fill_null(False).alias(f"{i}:{reason}") for i, (reason, expr) in enumerate(checks))
    )
    out: list[set[str]] = [set() for _ in range(frame.height)]
    for name in flags.columns:
        reason = name.split(":", 1)[1]
        for i in flags[name].arg_true().to_list():
            out[i].add(reason)
    return out
