"""One export job: a province's system exporting one source over the whole window.

The job draws the window month by month (each month its own random stream), keeps
the versions a month exports after its end -- a ticket reported on the 30th and
restored on the 2nd -- and files them with the next month's, writes every daily file,
and returns what the manifest and the truth need. Jobs share nothing but the landing
folder (each writes its own files), so they run in any order, in any worker process,
and give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from core.contract import SOURCES, Reason
from generator import delivery, reference
from generator.incidents import Incident
from generator.seeds import day_rng, month_rng
from generator.simulate import SIMULATORS, Context
from generator.timeline import DAY_MS, Window
from generator.truth import Truth

GARBAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"


@dataclass(frozen=True)
class Job:
    out: Path
    source: str
    province: str
    window: Window
    scale: float
    seed: int
    incidents: tuple[Incident, ...]
    exporter: delivery.Exporter
    forced: tuple[Reason, ...] = ()
    """Invalid kinds this job plants in its first file (each kind is planted somewhere)."""
    broken_day: int | None = None
    """Day whose first delivery misses a required column (then a ``_v2`` follows)."""
    unreadable: bool = False
    """Whether this job's first file from mid-window on arrives unreadable first."""
    first_duplicate: bool = False
    """Whether its first day's file is certainly delivered twice."""


@dataclass
class JobResult:
    files: list[dict[str, object]] = field(default_factory=list)
    invalid_rows: list[dict[str, object]] = field(default_factory=list)
    invalid_by_kind: Counter[str] = field(default_factory=Counter)
    versions: int = 0
    keys: int = 0
    truth: Truth = field(default_factory=Truth)


def _stem(source: str, province: str, day: date) -> str:
    return f"{source}_{province}_{day:%Y%m%d}"


_MADE: set[Path] = set()
"""Arrival folders this job has made (a landing has thousands of files, few folders)."""


def _write(out: Path, result: JobResult, source: str, arrival: date, name: str, data: bytes,
           **meta: object) -> str:  # fmt: skip
    rel = f"{source}/{arrival.isoformat()}/{name}"
    path = out / rel
    if path.parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(path.parent)
    path.write_bytes(data)
    result.files.append(
        {
            "path": rel,
            "source": source,
            "arrival_date": arrival.isoformat(),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **meta,
        }
    )
    return rel


def run(job: Job) -> JobResult:
    """Simulate, plant, serialise and write every file of ``job``."""
    name, code, window = job.source, job.province, job.window
    source = SOURCES[name]
    province = reference.provinces()[code]
    exporter = job.exporter
    result = JobResult()
    _MADE.clear()  # a job may run in a process that ran others, in folders since removed
    state = {"forced": list(job.forced), "unreadable": job.unreadable}
    stamps = [c.name for c in source.columns if c.type == "timestamp"]
    months = window.months()
    carry: pl.DataFrame | None = None
    for i, month in enumerate(months):
        ctx = Context(window, province, job.scale, list(job.incidents), month, job.seed)
        versions = SIMULATORS[name](ctx, month_rng(job.seed, name, code, month.start))
        if not exporter.keeps_fractions:
            # The truth is what the files say: an exporter that writes whole seconds
            # turns a 20.678 s answer into 20 s, within the 20 s limit.
            versions = versions.with_columns(
                (pl.col(c).dt.epoch("ms") // 1000 * 1000).cast(pl.Datetime("ms", "UTC"))
                for c in stamps
                if c in versions.columns
            )
        result.versions += versions.height
        keys = versions[source.key[0]] if len(source.key) == 1 else versions.select(source.key)
        result.keys += keys.n_unique()
        result.truth.add(name, versions)
        versions = versions.with_columns(
            ((pl.col("export_ms") - window.t0) // DAY_MS).alias("_day")
        ).drop("export_ms")
        if carry is not None:
            versions = pl.concat([carry, versions])
        if i < len(months) - 1:
            end = month.first_day + month.covered_days
            carry = versions.filter(pl.col("_day") >= end)
            versions = versions.filter(pl.col("_day") < end)
        versions = versions.sort("_day", maintain_order=True)
        for batch in _batches(versions):
            _write_days(job, result, state, batch)
    return result


BATCH_ROWS = 150_000
"""Rows written in one batch, in whole days: enough to pay polars' and Arrow's fixed cost
per call many times over, few enough that a batch's buffers are reused from the heap
instead of mapped (and faulted in by the kernel) afresh: at --scale 0.5, a third fewer
page faults, about 9 % less CPU and half the peak memory of month-sized batches. Output bytes do
not depend on it: every file draws from its own day's random stream."""


def _batches(rows: pl.DataFrame) -> list[pl.DataFrame]:
    if rows.height == 0:
        return []
    _, starts = np.unique(rows["_day"].to_numpy(), return_index=True)
    bounds = [*starts.tolist(), rows.height]
    out = []
    first = 0
    for i in range(1, len(bounds)):
        if bounds[i] - bounds[first] > BATCH_ROWS and i - 1 > first:
            out.append(rows.slice(bounds[first], bounds[i - 1] - bounds[first]))
            first = i - 1
    out.append(rows.slice(bounds[first], rows.height - bounds[first]))
    return out


def _write_days(job: Job, result: JobResult, state: dict, rows: pl.DataFrame) -> None:
    name, code, window, exporter = job.source, job.province, job.window, job.exporter
    source = SOURCES[name]

    def rng_of_day(day_i: int):
        return day_rng(job.seed, name, code, window.day(day_i))

    text, files = delivery.plant_days(rows, source, exporter, code, state["forced"], rng_of_day)
    state["forced"] = []
    payloads = delivery.serialise_days(text, files, source, exporter)
    for f, data in zip(files, payloads, strict=True):
        rng = f.rng
        business = window.day(f.day)
        stem = _stem(name, code, business)
        late = int(rng.integers(2, 7)) if rng.random() < delivery.LATE_RATE else 0
        arrival = business + timedelta(days=1 + late)
        meta = {
            "province_code": code,
            "business_date": business.isoformat(),
            "exporter": exporter.name,
            "format": exporter.format,
            "encoding": exporter.encoding,
            "compression": exporter.compression,
            "rows": f.rows,
            "late_days": late,
        }
        first_name = stem + exporter.extension
        # A broken export job: a required column missing; corrected the next day.
        if f.day == job.broken_day:
            day_rows = rows.filter(pl.col("_day") == f.day).drop("_day")
            bad, dropped = delivery.drop_column(
                delivery.format_rows(day_rows, source, exporter), source
            )
            rel = _write(
                job.out, result, name, arrival, first_name,
                delivery.serialise(bad, source, exporter),
                **{**meta, "rows": bad.height, "delivery": "missing_column",
                   "missing_column": dropped},
            )  # fmt: skip
            result.invalid_by_kind[Reason.MISSING_COLUMN.value] += bad.height
            result.invalid_rows.append(
                {"path": rel, "row_number": "all", "kind": Reason.MISSING_COLUMN.value,
                 "rows": bad.height, "column": dropped}
            )  # fmt: skip
            arrival += timedelta(days=1)
            first_name = stem + "_v2" + exporter.extension
        # A delivery that cannot be read; the good copy follows a day later.
        if state["unreadable"] and f.day >= window.days // 2:
            state["unreadable"] = False
            broken = data[: len(data) // 2] if exporter.compression else GARBAGE
            _write(
                job.out, result, name, arrival, first_name, broken,
                **{**meta, "rows": None, "delivery": "unreadable"},
            )  # fmt: skip
            arrival += timedelta(days=1)
            first_name = stem + "_resend" + exporter.extension
        rel = _write(job.out, result, name, arrival, first_name, data, **meta, delivery="original")
        for row_number, kind in f.junk:
            result.invalid_by_kind[kind] += 1
            result.invalid_rows.append({"path": rel, "row_number": row_number, "kind": kind})
        if rng.random() < delivery.DUPLICATE_RATE or (f.day == 0 and job.first_duplicate):
            again = stem + ("_dup" if rng.random() < 0.5 else "") + exporter.extension
            _write(
                job.out, result, name, arrival + timedelta(days=1), again, data,
                **meta, delivery="duplicate", duplicate_of=rel,
            )  # fmt: skip
