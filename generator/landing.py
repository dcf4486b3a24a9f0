"""Write a landing folder and its manifest: ``kpiwatch generate``.

Layout (docs/landing-contract.md): ``<out>/<source>/<arrival date>/<source>_<province>_<business
date>[_dup|_v2|_resend].<ext>``. Files are named after the business day they carry and
filed under the day they arrived, so a scheduler (or a test) can replay deliveries day by
day. ``<out>/manifest.json`` says what was planted: every file with its hash, every
invalid row with its kind, duplicates, late and unreadable files, and the incidents whose
breaches the warehouse must find.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from core.contract import NATIONAL_CODE, SOURCES
from generator import delivery, incidents, reference
from generator.export_job import Job, JobResult, run
from generator.simulate import (
    FLOOR_PER_DAY,
    NATIONAL_ATTEMPTS_PER_DAY,
    NATIONAL_PER_DAY,
)
from generator.timeline import Window
from generator.truth import Truth

MANIFEST = "manifest.json"
TRUTH = "truth_kpi_compliance.csv"

Progress = Callable[[str, int, int], None]

JOB_WEIGHT = {
    "hall_tickets": 1.0,
    "hotline_calls": 1.2,
    "network_calls": 0.05,
    "mobile_repairs": 0.1,
    "broadband_faults": 0.08,
    "install_orders": 0.07,
}
"""Rough relative cost per inhabitant: the biggest jobs start first, so the pool ends evenly."""


def default_workers() -> int:
    """As many workers as cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def expected_breaches(kpis: pl.DataFrame, planted: list[incidents.Incident]) -> list[dict]:
    """Non-compliant rows of the reference KPIs, each tied to the incident that planted it.

    ``incident`` is null for a breach no incident explains: the generator's baseline is
    calibrated so that this does not happen, and its tests check that it does not.
    """
    cause = {
        (i.month.start, i.province_code, kpi, segment): i.kind.name
        for i in planted
        for kpi, segment in (*i.kind.breaches, *i.kind.side_effects)
    }
    rows = kpis.filter(~pl.col("is_compliant") & (pl.col("province_code") != NATIONAL_CODE))
    return [
        {
            "period_month": r["period_month"].isoformat(),
            "province_code": r["province_code"],
            "kpi_id": r["kpi_id"],
            "segment": r["segment"],
            "value": r["value"],
            "threshold": r["threshold"],
            "incident": cause.get(
                (r["period_month"], r["province_code"], r["kpi_id"], r["segment"])
            ),
        }
        for r in rows.iter_rows(named=True)
    ]


def plan_jobs(
    out: Path, window: Window, codes: list[str], scale: float, seed: int,
    planted: list[incidents.Incident],
) -> list[Job]:  # fmt: skip
    """Every (source, province) job, and which of them plants the window's rare events.

    What used to depend on the order provinces were written in (which file gets the
    forced invalid rows, the unreadable files, the broken export) is decided here, from
    the seed and the province codes alone.
    """
    shuffled = np.random.default_rng([seed, 2]).permutation(codes)
    rank = {str(code): i for i, code in enumerate(shuffled)}
    jobs: list[Job] = []
    for s_index, (name, source) in enumerate(SOURCES.items()):
        specials = np.random.default_rng([seed, 3, s_index])
        broken_day = int(specials.integers(0, window.days))
        broken_province = codes[int(specials.integers(0, len(codes)))]
        exporters = {code: delivery.exporter_for(name, rank[code]) for code in codes}
        forced: dict[str, list] = defaultdict(list)
        for kind in delivery.kinds_for(source):
            for code in codes:
                if exporters[code].text or kind not in delivery.PARSE_KINDS:
                    forced[code].append(kind)
                    break
        unreadable = set()
        for fault in ("gzip", "parquet"):
            for code in codes:
                exporter = exporters[code]
                if (exporter.compression or exporter.format) == fault:
                    unreadable.add(code)
                    break
        for code in codes:
            jobs.append(
                Job(
                    out=out, source=name, province=code, window=window, scale=scale,
                    seed=seed, incidents=tuple(planted), exporter=exporters[code],
                    forced=tuple(forced[code]),
                    broken_day=broken_day if code == broken_province else None,
                    unreadable=code in unreadable, first_duplicate=code == codes[0],
                )
            )  # fmt: skip
    return jobs


def run_jobs(jobs: list[Job], workers: int) -> Iterator[tuple[int, JobResult]]:
    """Run every job, yielding (index, result) as each finishes.

    One worker runs them here, in order. More run in fresh ("spawn") processes, the
    biggest jobs first; each gets an equal share of the cores for polars' own threads,
    and allocators that keep their freed pages (a worker's footprint is one month of one
    province and source, allocated again and again).
    """
    if workers <= 1 or len(jobs) == 1:
        for i, job in enumerate(jobs):
            yield i, run(job)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    population = {c: p.population for c, p in reference.provinces().items()}
    order = sorted(
        range(len(jobs)),
        key=lambda i: -JOB_WEIGHT[jobs[i].source] * max(population[jobs[i].province], 3e7),
    )
    env = {
        "POLARS_MAX_THREADS": str(max(1, default_workers() // workers)),
        # Keep freed pages for reuse rather than hand them back to the kernel and fault
        # them in again for the next month: polars' jemalloc, then glibc (NumPy).
        "_RJEM_MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1",
        "MALLOC_MMAP_THRESHOLD_": str(32 << 20),  # glibc's largest allowed value
        "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    }
    saved = {name: os.environ.get(name) for name in env}
    for name, value in env.items():
        if name == "POLARS_MAX_THREADS" or saved[name] is None:  # the user's settings win
            os.environ[name] = value
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(run, jobs[i]): i for i in order}
            for future in as_completed(futures):
                yield futures[future], future.result()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def generate(
    out: Path,
    start: date,
    days: int,
    provinces: list[str] | None = None,
    scale: float = 1.0,
    seed: int = 7,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, object]:
    """Generate the landing folder ``out``; return the manifest (also written beside it).

    ``workers`` (default: the number of cores) changes only how fast: the files, the
    manifest and the truth are the same bytes for a seed at any number of workers.
    """
    if days < 1:
        raise ValueError("--days must be at least 1")
    if scale <= 0:
        raise ValueError("--scale must be positive")
    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    known = reference.provinces()
    codes = sorted(provinces or known)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown province codes {unknown}; expected GB/T 2260 codes like 440000")
    window = Window(start, days)
    planted = incidents.plan(window, codes, np.random.default_rng([seed, 1]))
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(out, window, codes, scale, seed, planted)
    results: list[JobResult | None] = [None] * len(jobs)
    for done, (i, result) in enumerate(run_jobs(jobs, workers or default_workers()), start=1):
        results[i] = result
        if progress:
            progress(f"{jobs[i].source} {jobs[i].province}", done, len(jobs))

    # Put the pieces together in one fixed order, whatever order they finished in.
    files: list[dict[str, object]] = []
    invalid_rows: list[dict[str, object]] = []
    invalid_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    truth: dict[str, dict[str, int]] = {}
    reference_kpis = Truth()
    for job, result in zip(jobs, results, strict=True):
        assert result is not None
        files += result.files
        invalid_rows += result.invalid_rows
        invalid_by_kind[job.source].update(result.invalid_by_kind)
        counts = truth.setdefault(job.source, {"versions": 0, "keys": 0})
        counts["versions"] += result.versions
        counts["keys"] += result.keys
        reference_kpis.merge(result.truth)

    kpis = reference_kpis.compliance([m.start for m in window.months()])
    kpis.write_csv(out / TRUTH)
    expected = expected_breaches(kpis, planted)
    manifest = {
        "generator": {
            "start": start.isoformat(),
            "days": days,
            "provinces": codes,
            "scale": scale,
            "seed": seed,
        },
        "assumptions": {
            "national_rows_per_day_at_scale_1": NATIONAL_PER_DAY,
            "national_call_attempts_per_day_at_scale_1": NATIONAL_ATTEMPTS_PER_DAY,
            "floor_rows_per_province_day": FLOOR_PER_DAY,
            "network_calls_rows": "one per city, hour and network, at every scale",
            "row_number": "1-based position of a record among the file's data records "
            "(CSV: line number minus the header; JSON Lines: line number; Parquet: row index + 1)",
            "incidents_planted_in_months_covering_at_least_days": incidents.MIN_COVERED_DAYS,
            "seasonality": "Spring Festival: fewer hall tickets and hotline calls, slower "
            "repairs and installations; summer: more hotline calls and broadband faults",
        },
        "truth": {"versions_and_keys": truth, "kpi_compliance": TRUTH},
        "incidents": [i.as_dict() for i in planted],
        "expected_breaches": expected,
        "invalid_rows": {
            "by_kind": {s: dict(sorted(c.items())) for s, c in sorted(invalid_by_kind.items())},
            "rows": invalid_rows,
        },
        "files": files,
    }
    (out / MANIFEST).write_text(manifest_text(manifest))
    return manifest


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _one_per_line(items: list, indent: str) -> str:
    if not items:
        return "[]"
    inner = indent + " "
    return "[\n" + ",\n".join(inner + _compact(i) for i in items) + "\n" + indent + "]"


def manifest_text(manifest: dict[str, object]) -> str:
    """The manifest as JSON with one file, invalid row, incident or breach per line.

    Readable with ``less`` and ``grep``, and written by json's C encoder: an indented
    dump goes through its pure-Python encoder, seconds for a year's hundred thousand
    files, in the one part of ``generate`` no worker can share.
    """
    parts = []
    for key, value in manifest.items():
        if key in ("files", "incidents", "expected_breaches"):
            text = _one_per_line(value, " ")  # type: ignore[arg-type]
        elif key == "invalid_rows":
            rows = value  # type: ignore[assignment]
            text = (
                f'{{\n  "by_kind": {_compact(rows["by_kind"])},\n'  # type: ignore[index]
                f'  "rows": {_one_per_line(rows["rows"], "  ")}\n }}'  # type: ignore[index]
            )
        else:
            text = _compact(value)
        parts.append(f" {_compact(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
