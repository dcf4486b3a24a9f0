"""A year of history on one machine (issue 16): ``make bench-history``, not part of ``make test``.

    KPIWATCH_BENCH_MONTHS=12 KPIWATCH_BENCH_SCALE=0.1 make bench-history

Generates ``KPIWATCH_BENCH_MONTHS`` months (default 12) for all 31 provinces at
``KPIWATCH_BENCH_SCALE`` (default 0.1) ending with the last whole month before today (ingest
quarantines any instant later than its delivery, so a window reaching past today would load
nothing of its last days), and holds back the deliveries of
the last ``KPIWATCH_BENCH_DAILY_RUNS`` arrival days of the window (default 30; the late
files that arrive after the window's last day are left out). Then, with
``KPIWATCH_BUILD_MEMORY_LIMIT=8GB``:

1. ``kpiwatch run`` over everything else (ingest, full build, checks, publish);
2. one daily ``kpiwatch run`` per held-back day, in order: each ingests one day's
   deliveries into the year and builds incrementally; the same day's files are also
   ingested into an empty warehouse; the working and published files' sizes are recorded;
3. an hourly ``kpiwatch run`` with nothing new;
4. ``kpiwatch build --full-refresh`` in its own process: the full build's wall time and
   peak resident memory (dbt's process included), and a fresh publication of the same data;
5. the working warehouse rewritten into a fresh file (``COPY FROM DATABASE``): what the
   same data takes without any space left by deletes;
6. the last complete month's original files (UTF-8 text and Parquet), loaded by DuckDB's
   own readers given the schema (``read_csv`` / ``read_json`` with every column and its
   type declared, per header shape; ``read_parquet``) and by ``kpiwatch ingest``, into
   empty databases, alternately;
7. every dashboard page, cold and warm (``pytests/page_timings.py``).

It prints one table (docs/performance.md, "A year of history", takes it as it is) and
writes it as JSON to ``<root>/bench_history.json``. ``KPIWATCH_BENCH_ROOT`` keeps the
generated landing files there for the next run (generating a year at 0.1 takes a while);
without it everything lives in pytest's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from page_timings import render_times

from core.contract import RAW_TYPES, SOURCES
from core.home import Home
from core.sql import literal
from generator import generate
from ingest.landing_file import discover
from ingest.loader import _shape, ingest
from kpiwatch.compaction import compact
from kpiwatch.pipeline import RunReport, run

pytestmark = pytest.mark.benchmark

MONTHS = int(os.environ.get("KPIWATCH_BENCH_MONTHS", "12"))
SCALE = float(os.environ.get("KPIWATCH_BENCH_SCALE", "0.1"))
DAILY_RUNS = int(os.environ.get("KPIWATCH_BENCH_DAILY_RUNS", "30"))


def _window_start(today: date, months: int) -> date:
    """The first day of the window of ``months`` whole months that ends before ``today``'s."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


START = _window_start(date.today(), MONTHS)
MEMORY_LIMIT = "8GB"
SEED = 7


def _months_later(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def _link_folders(generated: Path, landing: Path, arrivals: set[str]) -> None:
    """Hard-link the delivery folders of ``arrivals`` (``<source>/<arrival date>``)."""
    for folder in sorted(generated.glob("*/*")):
        if folder.is_dir() and folder.name in arrivals:
            target = landing / folder.relative_to(generated)
            if not target.exists():
                shutil.copytree(folder, target, copy_function=os.link)


def _read_once(landing: Path, day: str) -> None:
    """Read the delivery folders of ``day`` once, so that the ingest into the year (first)
    and into an empty warehouse (second) both find them in the page cache: the first would
    otherwise pay the disk for both."""
    for path in landing.glob(f"*/{day}/*"):
        with path.open("rb") as handle:
            while handle.read(1 << 22):
                pass


def _file(path: Path) -> dict[str, float]:
    with duckdb.connect(str(path), read_only=True) as con:
        total, free = con.execute(
            "select total_blocks, free_blocks from pragma_database_size() "
            "where database_name = current_database()"
        ).fetchone()
    return {"mb": round(path.stat().st_size / 1e6, 1), "free_share": round(free / total, 3)}


def _steps(report: RunReport) -> dict[str, float]:
    return {k: round(v, 2) for k, v in report.seconds.items()}


def _probe(args: list[str]) -> tuple[float, float, str]:
    """Run a kpiwatch command in its own process: (wall s, peak RSS GB of it and its
    children, i.e. dbt, output)."""
    kpiwatch = str(Path(sys.executable).with_name("kpiwatch"))
    probe = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(done.stdout[-3000:] + done.stderr[-3000:]); print('exit', done.returncode); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, kpiwatch, *args], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - began
    *output, exit_line, peak_kb = done.stdout.strip().splitlines()
    assert exit_line == "exit 0", "\n".join(output)
    return wall, int(peak_kb) / 2**20, "\n".join(output)


def _declared(source: str, names: list[str]) -> str:
    """``read_csv``/``read_json``'s ``columns``: each delivered column with its contract
    type (as raw stores it), text for a column the contract does not know."""
    types = {c.name: RAW_TYPES[c.type] for c in SOURCES[source].columns}
    for c in SOURCES[source].columns:
        if c.pii:
            types[c.name] = "varchar"
    pairs = [
        f"{literal(n)}: {literal(types.get(n.strip().lstrip(chr(0xFEFF)).lower(), 'varchar'))}"
        for n in names
    ]
    return "{" + ", ".join(pairs) + "}"


def _floor_given_schema(landing: Path, database: Path) -> tuple[float, int]:
    """DuckDB's own readers into tables, told every column and type: nothing is sniffed.
    Rows that do not parse as their type are skipped (``ignore_errors``), so the floor
    does less than ingest, which quarantines them. Returns (seconds, rows)."""
    files, _, _ = discover(landing)
    groups: dict[tuple[str, str, str], list[Path]] = {}
    for f in files:
        groups.setdefault((f.source, f.format, _shape(f)), []).append(f.path)
    rows = 0
    began = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'Asia/Shanghai'")
        for i, ((source, fmt, shape), paths) in enumerate(sorted(groups.items())):
            where = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
            names = shape.split("\t")
            if fmt == "parquet":
                scan = f"read_parquet({where}, union_by_name = true)"
            elif fmt == "jsonl":
                scan = (
                    f"read_json({where}, format = 'newline_delimited', "
                    f"columns = {_declared(source, names)}, ignore_errors = true)"
                )
            else:
                scan = (
                    f"read_csv({where}, columns = {_declared(source, names)}, header = true, "
                    "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                    "ignore_errors = true)"
                )
            con.execute(f"create table t{i} as select * from {scan}")
            rows += con.execute(f"select count(*) from t{i}").fetchone()[0]
        con.execute("checkpoint")
    return time.perf_counter() - began, rows


def _month_originals(generated: Path, manifest: dict, month: str, out: Path) -> int:
    """Hard-link the month's original deliveries in UTF-8 text or Parquet (DuckDB's readers
    know no GB18030) into their own landing; return their rows."""
    rows = 0
    for f in manifest["files"]:
        if f["delivery"] != "original" or f["encoding"] == "gb18030":
            continue
        if not f["arrival_date"].startswith(month):
            continue
        target = out / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(generated / f["path"], target)
        rows += f["rows"] or 0
    return rows


def _generated(root: Path) -> tuple[Path, dict]:
    """The landing files of the window, generated once per root and settings."""
    generated = root / "generated"
    settings = {"start": START.isoformat(), "months": MONTHS, "scale": SCALE, "seed": SEED}
    stamp = root / "generated.json"
    recorded = json.loads(stamp.read_text()) if stamp.exists() else {}
    if {key: recorded.get(key) for key in settings} != settings:
        shutil.rmtree(generated, ignore_errors=True)
        days = (_months_later(START, MONTHS) - START).days
        began = time.perf_counter()
        generate(generated, START, days, None, SCALE, SEED)
        settings["generate_seconds"] = round(time.perf_counter() - began)
        stamp.write_text(json.dumps(settings))
    return generated, json.loads((generated / "manifest.json").read_text())


def test_a_year_of_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(os.environ.get("KPIWATCH_BENCH_ROOT") or tmp_path)
    root.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("KPIWATCH_BUILD_MEMORY_LIMIT", MEMORY_LIMIT)
    began = time.perf_counter()
    generated, manifest = _generated(root)
    # Deliveries that arrive after the window's end (a few late files a day) are left out:
    # each daily run then brings a whole day of deliveries, as a day in the year does.
    end = _months_later(START, MONTHS).isoformat()
    folders = {p.name for p in generated.glob("*/*") if p.is_dir()}
    arrivals = sorted(a for a in folders if a <= end)
    held = arrivals[-DAILY_RUNS:]
    assert len(arrivals) > len(held) > 0, (len(arrivals), DAILY_RUNS)
    work = root / "run"
    shutil.rmtree(work, ignore_errors=True)
    landing, home = work / "landing", Home.resolve(work / "home")
    _link_folders(generated, landing, set(arrivals) - set(held))
    results: dict = {
        "window": f"{MONTHS} months from {START} at --scale {SCALE}, 31 provinces",
        "raw_rows_generated": sum(f["rows"] or 0 for f in manifest["files"]),
        "arrival_days_after_the_window_left_out": len(folders) - len(arrivals),
    }

    # 1. The history so far: ingest, full build, checks of everything, publish.
    first = run(home, landing, send=False)
    assert first.build_error is None, first.build_error
    # The generator plants a few invalid rows; a window past today would quarantine days.
    assert first.ingest and first.ingest.rows_quarantined < 0.02 * first.ingest.rows_read
    results["first_run_s"] = _steps(first)
    results["files_after_first_run"] = {"work": _file(home.work), "pub": _file(home.warehouse)}

    # 2. Daily runs: one day's deliveries into the year, each also into an empty warehouse.
    daily = []
    for n, day in enumerate(held):
        _link_folders(generated, landing, {day})
        _read_once(landing, day)  # both ingests below then read the day's files from memory
        report = run(home, landing, send=False)
        assert report.built and report.build_error is None, (day, report.build_error)
        assert report.ingest and report.ingest.rows_loaded > 0, (day, "nothing loaded")
        alone = work / f"alone-{n}"
        _link_folders(generated, alone / "landing", {day})
        started = time.perf_counter()
        ingest(Home.resolve(alone / "home"), alone / "landing")
        into_empty = time.perf_counter() - started
        shutil.rmtree(alone)
        daily.append({
            "day": day, "rows": report.ingest.rows_loaded if report.ingest else 0,
            "steps_s": _steps(report), "ingest_into_empty_s": round(into_empty, 2),
            "work": _file(home.work), "pub": _file(home.warehouse),
        })  # fmt: skip
        print(json.dumps(daily[-1]), flush=True)
    results["daily_runs"] = daily

    # 3. An hourly run with nothing new.
    hourly = run(home, landing, send=False)
    assert not hourly.built, hourly.build_reason
    results["hourly_noop_run_s"] = round(sum(hourly.seconds.values()), 2)
    results["hourly_noop_steps_s"] = _steps(hourly)

    # 4. The full build, alone in its process, under the memory limit.
    grown_pub = _file(home.warehouse)
    wall, peak, _ = _probe(["--home", str(home.root), "build", "--full-refresh"])
    results["full_build"] = {"wall_s": round(wall, 1), "peak_rss_gb": round(peak, 2)}
    fresh_pub = _file(home.warehouse)

    # 5. The working warehouse as a fresh file of the same data.
    grown_work = _file(home.work)
    copy = work / "work-fresh.duckdb"
    shutil.copyfile(home.work, copy)
    compact(copy, always=True)
    fresh_work = _file(copy)
    copy.unlink()
    results["files_after_daily_runs"] = {
        "work": grown_work, "work_fresh": fresh_work,
        "work_growth": round(grown_work["mb"] / fresh_work["mb"] - 1, 3),
        "pub": grown_pub, "pub_fresh_build": fresh_pub,
        "pub_growth": round(grown_pub["mb"] / fresh_pub["mb"] - 1, 3),
    }  # fmt: skip

    # 6. A month's files: DuckDB's readers given the schema against ingest, alternately.
    months = sorted({a[:7] for a in arrivals})  # the last one holds a few late days only
    month = months[-2] if len(months) > 1 else months[0]
    subset = work / "month"
    month_rows = _month_originals(generated, manifest, month, subset)
    floors, ingests = [], []
    for turn in range(2):
        seconds, floor_rows = _floor_given_schema(subset, work / f"floor-{turn}.duckdb")
        floors.append(seconds)
        (work / f"floor-{turn}.duckdb").unlink()
        target = Home.resolve(work / f"ingest-{turn}")
        started = time.perf_counter()
        loaded = ingest(target, subset)
        ingests.append(time.perf_counter() - started)
        assert loaded.rows_read == month_rows
        assert loaded.rows_quarantined < 0.02 * month_rows, loaded.rows_quarantined
        shutil.rmtree(target.root)
    results["month_load"] = {
        "month": month, "rows": month_rows, "floor_rows_parsed": floor_rows,
        "floor_given_schema_s": [round(s, 1) for s in floors],
        "ingest_s": [round(s, 1) for s in ingests],
        "ratio": round(min(ingests) / min(floors), 2),
    }  # fmt: skip

    # 7. Dashboard pages over the year.
    results["pages"] = [
        {"page": p, "cold_s": round(c, 3), "warm_s": round(w, 3), "warm_max_s": round(m, 3)}
        for p, c, w, m in render_times(home)
    ]
    results["bench_seconds"] = round(time.perf_counter() - began)
    (root / "bench_history.json").write_text(json.dumps(results, indent=1))
    print("\n" + table(results))


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(r: dict) -> str:
    """The figures as a Markdown table, with the issue's target beside each."""
    daily = r["daily_runs"]
    build = _median([d["steps_s"].get("build", 0.0) for d in daily])
    run_total = _median([sum(d["steps_s"].values()) for d in daily])
    into_year = _median([d["steps_s"].get("ingest", 0.0) for d in daily])
    into_empty = _median([d["ingest_into_empty_s"] for d in daily])
    full = r["full_build"]
    files = r["files_after_daily_runs"]
    month = r["month_load"]
    warm = max(p["warm_s"] for p in r["pages"])
    cold = max(p["cold_s"] for p in r["pages"])
    rows = [
        ("window", r["window"], ""),
        ("raw rows generated", f"{r['raw_rows_generated']:,}", ""),
        ("first run (ingest, full build, checks)", json.dumps(r["first_run_s"]), ""),
        ("full build (`--full-refresh`), wall", f"{full['wall_s']} s", ""),
        ("full build, peak RSS (kpiwatch + dbt)", f"{full['peak_rss_gb']} GB",
         f"finishes under KPIWATCH_BUILD_MEMORY_LIMIT={MEMORY_LIMIT}"),
        (f"daily run, build step (median of {len(daily)})",
         f"{build:.1f} s = {build / full['wall_s']:.1%} of the full build", "≤ 10 %"),
        ("daily run, whole run (median)", f"{run_total:.1f} s", ""),
        ("hourly run, nothing new", f"{r['hourly_noop_run_s']} s", "seconds"),
        ("ingest of a day: into the year / into an empty warehouse (medians)",
         f"{into_year:.2f} s / {into_empty:.2f} s = {into_year / into_empty:.2f}", "0.8–1.2"),
        (f"a month's files ({month['month']}, {month['rows']:,} rows): ingest / DuckDB given "
         "the schema", f"{min(month['ingest_s'])} s / {min(month['floor_given_schema_s'])} s "
         f"= {month['ratio']}", "≤ 1.3"),
        (f"working warehouse after {len(daily)} daily runs / fresh file of the same data",
         f"{files['work']['mb']} MB / {files['work_fresh']['mb']} MB "
         f"({files['work_growth']:+.1%})", "≤ +10 %"),
        (f"published warehouse after {len(daily)} daily runs / fresh full build",
         f"{files['pub']['mb']} MB / {files['pub_fresh_build']['mb']} MB "
         f"({files['pub_growth']:+.1%})", "≤ +10 %"),
        ("dashboard, slowest page warm (median of 5)", f"{warm * 1000:.0f} ms", "≤ 300 ms"),
        ("dashboard, slowest page cold", f"{cold * 1000:.0f} ms", "≤ 1 s"),
    ]  # fmt: skip
    lines = ["| measure | result | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", "| page | cold ms | warm ms (median) | warm ms (max) |", "|---|---|---|---|"]
    lines += [
        f"| {p['page']} | {p['cold_s'] * 1000:.0f} | {p['warm_s'] * 1000:.0f} | "
        f"{p['warm_max_s'] * 1000:.0f} |"
        for p in r["pages"]
    ]
    lines += ["", f"benchmark wall time: {r['bench_seconds']} s"]
    return "\n".join(lines)
