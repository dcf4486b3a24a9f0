"""Benchmarks at scale: run with ``make bench-ingest`` (not part of ``make test``).

Each prints what it measured; the figures go in the closing notes, with the command.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from raw_counts import raw_rows

from core.home import Home
from core.sql import literal
from generator import generate
from ingest.landing_file import discover, fingerprint
from ingest.loader import _shape, ingest
from kpiwatch.build import build

pytestmark = pytest.mark.benchmark

SCALE = float(os.environ.get("KPIWATCH_BENCH_SCALE", "0.35"))
"""0.35 of a national month is about 24 million rows."""


def _subset(landing: Path, manifest: dict, out: Path, fmt: str) -> int:
    """Hard-link the originals of one format (UTF-8 or binary) into their own landing."""
    rows = 0
    for f in manifest["files"]:
        if f["delivery"] != "original" or f["format"] != fmt or f["encoding"] == "gb18030":
            continue
        target = out / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(landing / f["path"], target)
        rows += f["rows"]
    return rows


def _floor(landing: Path, database: Path, options: str) -> float:
    """DuckDB's own read_csv / read_parquet into a table, one statement per file shape."""
    files, _, _ = discover(landing)
    groups: dict[tuple, list[Path]] = {}
    for f in files:
        groups.setdefault((f.source, f.format, _shape(f)), []).append(f.path)
    began = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        for i, ((_, fmt, _), paths) in enumerate(groups.items()):
            where = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
            if fmt == "parquet":
                scan = f"read_parquet({where}, union_by_name = true)"
            else:
                scan = f"read_csv({where}, union_by_name = true{options})"
            con.execute(f"create table t{i} as select * from {scan}")
        con.execute("checkpoint")
    return time.perf_counter() - began


def test_ingest_throughput_against_duckdb_floor(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    began = time.perf_counter()
    manifest = generate(landing, date(2026, 10, 1), 31, None, SCALE, 7)
    generated = time.perf_counter() - began
    results = {"scale": SCALE, "generate_seconds": round(generated, 1)}
    for fmt in ("csv", "parquet"):
        subset = tmp_path / f"only_{fmt}"
        rows = _subset(landing, manifest, subset, fmt)
        # Two floors: DuckDB sniffing types, and reading text as the loader does; the
        # faster of the two is the floor.
        sniffed = _floor(subset, tmp_path / f"floor_{fmt}_typed.duckdb", "")
        as_text = _floor(subset, tmp_path / f"floor_{fmt}_text.duckdb", ", all_varchar = true")
        floor = min(sniffed, as_text)
        home = Home.resolve(tmp_path / f"home_{fmt}")
        began = time.perf_counter()
        report = ingest(home, subset)
        seconds = time.perf_counter() - began
        hashing = sum(
            _timed(fingerprint, f) for f in discover(subset)[0]
        )  # the content hash and UTF-8 check, alone
        assert report.rows_read == rows
        results[fmt] = {
            "files": len(report.outcomes),
            "rows": rows,
            "floor_seconds": round(floor, 2),
            "floor_typed_seconds": round(sniffed, 2),
            "floor_text_seconds": round(as_text, 2),
            "ingest_seconds": round(seconds, 2),
            "ratio": round(seconds / floor, 2),
            "ingest_rows_per_second": round(rows / seconds),
            "hash_and_encoding_check_seconds": round(hashing, 2),
        }
    print("\n" + json.dumps(results, indent=1))
    (tmp_path.parent / "bench_ingest.json").write_text(json.dumps(results, indent=1))


def _timed(fn, *args) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def _big_csv(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            f"""copy (select 'T' || i as ticket_id, 'H440100001' as hall_id,
                       'own_hall' as hall_type, '440000' as province_code,
                       '440100' as city_code, '话费缴纳' as business_type, 'true' as is_3g,
                       '2026-10-01 09:00:00' as taken_at,
                       '2026-10-01 09:05:00' as called_at, '2026-10-01 09:09:00' as finished_at
                from range({rows}) t(i)) to {literal(str(path))} (header)"""
        )


def test_ingest_memory_stays_flat_as_files_grow(tmp_path: Path) -> None:
    kpiwatch = str(Path(sys.executable).with_name("kpiwatch"))
    peaks = {}
    for rows in (5_000_000, 20_000_000):
        landing = tmp_path / f"l{rows}"
        _big_csv(landing / "hall_tickets" / "big.csv", rows)
        size = (landing / "hall_tickets" / "big.csv").stat().st_size
        probe = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        began = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", probe, kpiwatch, "--home", str(tmp_path / f"h{rows}"),
             "ingest", str(landing)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        peaks[rows] = {
            "csv_mb": round(size / 1e6),
            "peak_rss_mb": round(int(out.stdout.split()[-1]) / 1024),
            "seconds": round(time.perf_counter() - began, 1),
        }
    print("\n" + json.dumps(peaks, indent=1))
    small, large = peaks[5_000_000], peaks[20_000_000]
    assert large["peak_rss_mb"] < 2 * small["peak_rss_mb"] + 200


def _timed(work) -> tuple[object, float, float]:
    """Run ``work()``; return its result, wall seconds and CPU seconds (child processes too)."""

    def cpu() -> float:
        own, children = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    began, cpu_began = time.perf_counter(), cpu()
    result = work()
    return result, time.perf_counter() - began, cpu() - cpu_began


def test_build_against_one_hand_written_query(tmp_path: Path) -> None:
    """`kpiwatch build` as a ratio to one query computing kpi_compliance from raw (issue 4).

    The two alternate (floor, build, floor, build, floor) so that both see the same machine;
    each reports wall and CPU seconds. ``KPIWATCH_BENCH_HOME`` reuses an ingested home (a
    national month takes 13 minutes to generate and ingest); otherwise a month at
    ``KPIWATCH_BENCH_SCALE`` is generated and ingested first.
    """
    given = os.environ.get("KPIWATCH_BENCH_HOME")
    home = Home.resolve(Path(given) if given else tmp_path / "home")
    if not given:
        generate(home.landing, date(2026, 10, 1), 31, None, SCALE, 7)
        ingest(home)
    hand = (Path(__file__).parent / "benchmarks" / "kpi_compliance_by_hand.sql").read_text()

    def floor() -> tuple[int, int]:
        with duckdb.connect(str(home.work)) as con:
            con.execute("set TimeZone = 'Asia/Shanghai'")
            con.execute(hand)
            con.execute(f"attach '{home.warehouse}' as published (read_only)")
            same = con.execute(
                "select count(*) from hand h join published.marts.kpi_compliance k using "
                "(period_month, province_code, kpi_id, segment) "
                "where abs(h.value - k.value) <= 1e-9 * greatest(1, abs(k.value))"
            ).fetchone()[0]
            rows = con.execute("select count(*) from published.marts.kpi_compliance").fetchone()[0]
        return same, rows

    floors, builds = [], []
    if not given:
        build(home, quiet=True)  # the floor compares its rows with the mart
    for turn in range(5):
        if turn % 2 == 0:
            (same, rows), wall, cpu = _timed(floor)
            assert same == rows > 0
            floors.append((wall, cpu))
        else:
            result, wall, cpu = _timed(lambda: build(home, quiet=True))
            builds.append((wall, cpu, result.publish_seconds))
    floor_wall = sorted(wall for wall, _ in floors)[len(floors) // 2]
    floor_cpu = sorted(cpu for _, cpu in floors)[len(floors) // 2]
    results = {
        "raw_rows": raw_rows(home),
        "hand_query_wall_s": [round(wall, 1) for wall, _ in floors],
        "hand_query_cpu_s": [round(cpu, 1) for _, cpu in floors],
        "build_wall_s": [round(wall, 1) for wall, _, _ in builds],
        "build_cpu_s": [round(cpu, 1) for _, cpu, _ in builds],
        "of_which_publishing_s": [round(seconds, 1) for _, _, seconds in builds],
        "ratio_wall": [round(wall / floor_wall, 2) for wall, _, _ in builds],
        "ratio_cpu": [round(cpu / floor_cpu, 2) for _, cpu, _ in builds],
        "rows_matching_the_hand_query": f"{same} of {rows}",
    }
    print("\n" + json.dumps(results, indent=1))
