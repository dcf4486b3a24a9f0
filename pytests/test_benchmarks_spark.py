"""Benchmark: the same dbt build on DuckDB and on a local Spark (``make bench-spark``).

Two datasets, each ingested once with the lake sink: a tiny one (3 provinces, 3 days) and
a national month at ``KPIWATCH_BENCH_SCALE`` (default 0.02, about 1.9 M rows). Each is
built on both engines, and the marts are compared row for row. Reported per engine:
wall seconds at each size, rows per second, and the marginal rate between the two sizes,
which leaves out what each engine pays whatever the data (dbt parsing and ~200 nodes' round
trips; on Spark also the JVM and the metastore). Not part of ``make test``.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import pytest
from raw_counts import raw_rows

from core.home import Home
from generator import generate
from ingest.lake import Lake
from ingest.loader import ingest
from kpiwatch.build import build
from kpiwatch.spark import build_on_spark, compare_engines

pytestmark = pytest.mark.benchmark

SCALE = float(os.environ.get("KPIWATCH_BENCH_SCALE", "0.02"))
SIZES = {
    "tiny": dict(start=date(2026, 10, 1), days=3, provinces=["110000", "440000", "650000"],
                 scale=0.002, seed=7),
    "month": dict(start=date(2026, 10, 1), days=31, provinces=None, scale=SCALE, seed=7),
}  # fmt: skip


def _timed(fn, *args, **kwargs) -> float:
    began = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - began


def test_build_on_duckdb_and_on_spark(tmp_path: Path) -> None:
    results: dict = {"scale": SCALE}
    for name, window in SIZES.items():
        home = Home.resolve(tmp_path / name).ensure()
        generate(home.landing, **window)
        ingest(home, lake=Lake.resolve(home))
        duck = _timed(build, home, quiet=True)
        spark = _timed(build_on_spark, home, quiet=True)
        comparison = compare_engines(home)
        assert all(c.agrees for c in comparison), [c.describe() for c in comparison]
        rows = raw_rows(home)
        results[name] = {
            "raw_rows": rows,
            "duckdb_seconds": round(duck, 1),
            "spark_seconds": round(spark, 1),
            "duckdb_rows_per_second": round(rows / duck),
            "spark_rows_per_second": round(rows / spark),
            "marts_agree": len(comparison),
        }
    tiny, month = results["tiny"], results["month"]
    extra_rows = month["raw_rows"] - tiny["raw_rows"]
    for engine in ("duckdb", "spark"):
        extra_seconds = month[f"{engine}_seconds"] - tiny[f"{engine}_seconds"]
        results[f"{engine}_marginal_rows_per_second"] = (
            round(extra_rows / extra_seconds) if extra_seconds > 0 else None
        )
    results["load_average"] = os.getloadavg()
    print("\n" + json.dumps(results, indent=1))
    (tmp_path.parent / "bench_spark.json").write_text(json.dumps(results, indent=1))
