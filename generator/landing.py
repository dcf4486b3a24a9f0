"""Write a landing folder and its manifest: ``kpiwatch generate``.

Layout, as SOURCES.md asks: ``<out>/<source>/<arrival date>/<source>_<province>_<business
date>[_dup|_v2|_resend].<ext>``. Files are named after the business day they carry and
filed under the day they arrived, so a scheduler (or a test) can replay deliveries day by
day. ``<out>/manifest.json`` says what was planted: every file with its hash, every
invalid row with its kind, duplicates, late and unreadable files, and the incidents whose
breaches the warehouse must find.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from generator import delivery, incidents, reference
from generator.simulate import (
    FLOOR_PER_DAY,
    NATIONAL_ATTEMPTS_PER_DAY,
    NATIONAL_PER_DAY,
    SIMULATORS,
    Context,
)
from generator.timeline import DAY_MS, Window
from generator.truth import Truth
from kpiwatch.contract import NATIONAL_CODE, SOURCES, Reason

MANIFEST = "manifest.json"
TRUTH = "truth_kpi_compliance.csv"
GARBAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"

Progress = Callable[[str, int, int], None]


@dataclass
class Landing:
    out: Path
    files: list[dict[str, object]] = field(default_factory=list)
    invalid_rows: list[dict[str, object]] = field(default_factory=list)
    invalid_by_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def write(self, source: str, arrival: date, name: str, data: bytes, **meta: object) -> str:
        rel = f"{source}/{arrival.isoformat()}/{name}"
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files.append(
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


def _stem(source: str, province: str, day: date) -> str:
    return f"{source}_{province}_{day:%Y%m%d}"


def generate(
    out: Path,
    start: date,
    days: int,
    provinces: list[str] | None = None,
    scale: float = 1.0,
    seed: int = 7,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Generate the landing folder ``out``; return the manifest (also written beside it)."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    if scale <= 0:
        raise ValueError("--scale must be positive")
    known = reference.provinces()
    codes = sorted(provinces or known)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown province codes {unknown}; expected GB/T 2260 codes like 440000")
    window = Window(start, days)
    planted = incidents.plan(window, codes, np.random.default_rng([seed, 1]))
    shuffled = np.random.default_rng([seed, 2]).permutation(codes)
    rank = {str(code): i for i, code in enumerate(shuffled)}
    landing = Landing(out)
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, dict[str, int]] = {}
    reference_kpis = Truth()
    steps = len(SOURCES) * len(codes)
    step = 0
    for s_index, (name, source) in enumerate(SOURCES.items()):
        counts: Counter[str] = Counter()
        needed = list(delivery.kinds_for(source))
        specials = np.random.default_rng([seed, 3, s_index])
        broken_day = int(specials.integers(0, days))
        broken_province = codes[int(specials.integers(0, len(codes)))]
        unreadable_done = {"gzip": False, "parquet": False}
        for code in codes:
            step += 1
            if progress:
                progress(f"{name} {code}", step, steps)
            rng = np.random.default_rng([seed, 10 + s_index, int(code)])
            ctx = Context(window, known[code], scale, planted)
            versions = SIMULATORS[name](ctx, rng)
            exporter = delivery.exporter_for(name, rank[code])
            if not exporter.keeps_fractions:
                # The truth is what the files say: an exporter that writes whole seconds
                # turns a 20.678 s answer into 20 s, within the 20 s limit.
                stamps = [c.name for c in source.columns if c.type == "timestamp"]
                versions = versions.with_columns(
                    pl.col(c).dt.truncate("1s") for c in stamps if c in versions.columns
                )
            counts["versions"] += versions.height
            counts["keys"] += versions.select(source.key).n_unique()
            reference_kpis.add(name, versions)
            day_index = (pl.col("export_ms") - window.t0) // DAY_MS
            parts = versions.with_columns(day_index.alias("_day")).partition_by(
                "_day", as_dict=True, maintain_order=True
            )
            for (day_i,), rows in sorted(parts.items()):
                rows = rows.drop("_day", "export_ms")
                business = window.day(int(day_i))
                stem = _stem(name, code, business)
                file_rows = delivery.with_junk(rows, source, exporter, code, needed, rng)
                for _, kind in file_rows.junk:
                    if kind in needed:
                        needed.remove(Reason(kind))
                data = delivery.serialise(file_rows.frame, source, exporter)
                late = int(rng.integers(2, 7)) if rng.random() < delivery.LATE_RATE else 0
                arrival = business + timedelta(days=1 + late)
                meta = {
                    "province_code": code,
                    "business_date": business.isoformat(),
                    "exporter": exporter.name,
                    "format": exporter.format,
                    "encoding": exporter.encoding,
                    "compression": exporter.compression,
                    "rows": file_rows.frame.height,
                    "late_days": late,
                }
                first_name = stem + exporter.extension
                # A broken export job: a required column missing; corrected the next day.
                if code == broken_province and day_i == broken_day:
                    bad, dropped = delivery.drop_column(
                        delivery.format_rows(rows, source, exporter), source
                    )
                    rel = landing.write(
                        name, arrival, first_name,
                        delivery.serialise(bad, source, exporter),
                        **{**meta, "rows": bad.height, "delivery": "missing_column",
                           "missing_column": dropped},
                    )  # fmt: skip
                    landing.invalid_by_kind[name][Reason.MISSING_COLUMN] += bad.height
                    landing.invalid_rows.append(
                        {"path": rel, "row_number": "all", "kind": Reason.MISSING_COLUMN,
                         "rows": bad.height, "column": dropped}
                    )  # fmt: skip
                    arrival += timedelta(days=1)
                    first_name = stem + "_v2" + exporter.extension
                # A delivery that cannot be read; the good copy follows a day later.
                fault = "gzip" if exporter.compression else exporter.format
                if fault in unreadable_done and not unreadable_done[fault] and day_i == days // 2:
                    unreadable_done[fault] = True
                    broken = data[: len(data) // 2] if fault == "gzip" else GARBAGE
                    landing.write(
                        name, arrival, first_name, broken,
                        **{**meta, "rows": None, "delivery": "unreadable"},
                    )  # fmt: skip
                    arrival += timedelta(days=1)
                    first_name = stem + "_resend" + exporter.extension
                rel = landing.write(name, arrival, first_name, data, **meta, delivery="original")
                for row_number, kind in file_rows.junk:
                    landing.invalid_by_kind[name][kind] += 1
                    landing.invalid_rows.append(
                        {"path": rel, "row_number": row_number, "kind": kind}
                    )
                if rng.random() < delivery.DUPLICATE_RATE or (day_i == 0 and code == codes[0]):
                    again = stem + ("_dup" if rng.random() < 0.5 else "") + exporter.extension
                    landing.write(
                        name, arrival + timedelta(days=1), again, data,
                        **meta, delivery="duplicate", duplicate_of=rel,
                    )  # fmt: skip
        truth[name] = dict(counts)

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
        },
        "truth": {"versions_and_keys": truth, "kpi_compliance": TRUTH},
        "incidents": [i.as_dict() for i in planted],
        "expected_breaches": expected,
        "invalid_rows": {
            "by_kind": {
                s: dict(sorted(c.items())) for s, c in sorted(landing.invalid_by_kind.items())
            },
            "rows": landing.invalid_rows,
        },
        "files": landing.files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
    return manifest
