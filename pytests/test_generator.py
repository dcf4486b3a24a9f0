"""The landing-data generator honours docs/landing-contract.md and plants exactly what it says."""

from __future__ import annotations

import hashlib
import json
import resource
import time
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from landing_reader import decode, read_strings, reasons
from typer.testing import CliRunner

from core.contract import FORMAT_EXTENSIONS, SOURCES, Reason
from generator import MANIFEST, TRUTH, generate
from generator.delivery import EXPORTERS
from generator.incidents import KINDS
from kpiwatch.cli import app

MONTH = dict(start=date(2026, 10, 1), days=31, provinces=None, scale=0.002, seed=7)


@pytest.fixture(scope="session")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A national month at a small scale: the data most tests look at."""
    out = tmp_path_factory.mktemp("landing")
    return out, generate(out, **MONTH)


def _files(manifest: dict, *deliveries: str) -> list[dict]:
    return [f for f in manifest["files"] if f["delivery"] in deliveries]


def test_layout_and_formats_follow_the_contract(month: tuple[Path, dict]) -> None:
    out, manifest = month
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    listed = {f["path"] for f in manifest["files"]}
    assert on_disk == listed | {MANIFEST, TRUTH}
    allowed = tuple(ext for exts in FORMAT_EXTENSIONS.values() for ext in exts)
    for f in manifest["files"]:
        source, _arrival, name = f["path"].split("/")
        assert source in SOURCES
        assert name.endswith(allowed), name
        data = (out / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
    # Every exporter style is used, so every format, encoding and spelling is exercised.
    assert {f["exporter"] for f in manifest["files"]} == {e.name for e in EXPORTERS}


def test_every_row_is_valid_unless_the_manifest_planted_it(month: tuple[Path, dict]) -> None:
    out, manifest = month
    planted: dict[str, dict[int, str]] = {}
    for row in manifest["invalid_rows"]["rows"]:
        if row["row_number"] != "all":
            planted.setdefault(row["path"], {})[row["row_number"]] = row["kind"]
    seen: Counter[tuple[str, str]] = Counter()
    for f in _files(manifest, "original", "duplicate", "missing_column"):
        frame, _ = read_strings(out / f["path"])
        assert frame.height == f["rows"], f["path"]
        found = reasons(frame, f["source"])
        if f["delivery"] == "missing_column":
            assert f["missing_column"] not in frame.columns
            assert all(r == {Reason.MISSING_COLUMN} for r in found)
            seen[(f["source"], Reason.MISSING_COLUMN)] += frame.height
            continue
        own = planted.get(f.get("duplicate_of") or f["path"], {})
        for number, row_reasons in enumerate(found, start=1):
            expected = {own[number]} if number in own else set()
            assert row_reasons == expected, (f["path"], number, row_reasons, expected)
            if f["delivery"] == "original" and expected:
                seen[(f["source"], own[number])] += 1
    by_kind = manifest["invalid_rows"]["by_kind"]
    assert seen == Counter({(s, k): n for s, kinds in by_kind.items() for k, n in kinds.items()})


NOT_GENERATED = {Reason.BAD_TEXT, Reason.DUPLICATE_COLUMN, Reason.IMPLAUSIBLE_TIMESTAMP,
                 Reason.UNKNOWN_CITY, Reason.MALFORMED_LINE}  # fmt: skip
"""Rules beyond the faults the landing contract lists (a wrongly typed Parquet column, a
column sent twice, a far-off instant, a city that does not exist: pytests/test_hostile_rows.py
plants them) and a line that is no record at all (pytests/test_hostile_files.py); a generated
month stays as the contract's own example of each listed fault."""


def test_every_invalid_kind_of_the_contract_is_planted(month: tuple[Path, dict]) -> None:
    _, manifest = month
    by_kind = manifest["invalid_rows"]["by_kind"]
    planted = set().union(*(kinds.keys() for kinds in by_kind.values()))
    assert planted == {r.value for r in Reason} - NOT_GENERATED
    for source in SOURCES:
        assert by_kind[source].get(Reason.MISSING_VALUE, 0) > 0, source
        assert by_kind[source].get(Reason.BAD_TIMESTAMP, 0) > 0, source


def test_duplicates_late_unreadable_files_are_really_there(month: tuple[Path, dict]) -> None:
    out, manifest = month
    by_path = {f["path"]: f for f in manifest["files"]}
    duplicates = _files(manifest, "duplicate")
    assert duplicates
    for dup in duplicates:
        original = by_path[dup["duplicate_of"]]
        assert dup["sha256"] == original["sha256"] and dup["path"] != original["path"]
    late = [f for f in manifest["files"] if f["late_days"]]
    assert late
    for f in late:
        arrival = date.fromisoformat(f["arrival_date"])
        assert (arrival - date.fromisoformat(f["business_date"])).days >= 3
    unreadable = _files(manifest, "unreadable")
    assert {f["compression"] or f["format"] for f in unreadable} == {"gzip", "parquet"}
    for f in unreadable:
        with pytest.raises(Exception):  # noqa: B017 - any reader error will do
            read_strings(out / f["path"])
        # ... and the good copy follows.
        resend = [g for g in manifest["files"] if g["path"].endswith(
            Path(f["path"]).name.replace(".", "_resend.", 1))]  # fmt: skip
        assert resend and resend[0]["delivery"] == "original"


def test_gb18030_files_carry_chinese_text(month: tuple[Path, dict]) -> None:
    out, manifest = month
    gb = [f for f in manifest["files"] if f["encoding"] == "gb18030" and f["rows"]]
    assert gb
    raw = (out / gb[0]["path"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text, encoding = decode(raw)
    assert encoding == "gb18030" and "话费缴纳" in text


def test_tickets_are_exported_again_when_they_change(month: tuple[Path, dict]) -> None:
    out, manifest = month
    ids: Counter[str] = Counter()
    for f in _files(manifest, "original"):
        if f["source"] == "broadband_faults":
            frame, _ = read_strings(out / f["path"])
            ids.update(frame["ticket_id"].drop_nulls().to_list())
    versions = Counter(ids.values())
    assert versions[2] > 0 and versions[1] > 0  # open then restored; or closed the same day


def _assert_breaches_are_the_incidents(manifest: dict) -> None:
    """Every expected breach comes from a planted incident, and every incident's breaches are
    expected."""
    breaches = manifest["expected_breaches"]
    assert all(b["incident"] for b in breaches), [b for b in breaches if not b["incident"]]
    found = {(b["province_code"], b["kpi_id"], b["segment"]) for b in breaches}
    for incident in manifest["incidents"]:
        for b in incident["breaches"]:
            assert (incident["province_code"], b["kpi_id"], b["segment"]) in found, incident


def test_planted_incidents_are_the_breaches_and_nothing_else(month: tuple[Path, dict]) -> None:
    out, manifest = month
    truth = pl.read_csv(out / TRUTH, schema_overrides={"province_code": pl.String})
    _assert_breaches_are_the_incidents(manifest)
    assert {i["incident"] for i in manifest["incidents"]} == {k.name for k in KINDS}
    # Every KPI of the catalog is measured for every province, and the nation.
    per_kpi = truth.group_by("kpi_id", "segment").agg(pl.col("province_code").n_unique())
    assert per_kpi["province_code"].min() == 32
    assert per_kpi.height == 17


def test_the_manifest_says_where_each_incident_was_planted(month: tuple[Path, dict]) -> None:
    """marts.kpi_breach_drivers is validated against ``where`` (tools/driver_attribution.py):
    each incident lies in one part of its month, which ``where`` names; the lost orders
    also name the morning hour they were accepted in."""
    _, manifest = month
    for incident in manifest["incidents"]:
        first = date.fromisoformat(incident["first_date"])
        last = date.fromisoformat(incident["last_date"])
        assert (last - first).days + 1 == incident["days"], incident
        assert (
            incident["period_month"]
            == first.replace(day=1).isoformat()
            == (last.replace(day=1).isoformat())
        ), incident
        where = {(w["dimension"], w["member"]) for w in incident["where"]}
        part = ("01-10", "11-20", "21-31")[min(2, (first.day - 1) // 10)]
        if incident["incident"] == "install_crew_shortage":  # the whole month, everywhere
            assert where == set(), incident
        else:
            assert ("month_part", part) in where, incident
            assert min(2, (last.day - 1) // 10) == min(2, (first.day - 1) // 10), incident
        if incident["incident"] == "install_lost_orders":
            assert ("hour_band", "07-09") in where


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    args = dict(start=date(2026, 10, 30), days=3, provinces=["440000", "540000"], scale=0.002)
    a = generate(tmp_path / "a", seed=11, **args)
    b = generate(tmp_path / "b", seed=11, **args)
    c = generate(tmp_path / "c", seed=12, **args)
    assert [f["sha256"] for f in a["files"]] == [f["sha256"] for f in b["files"]]
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()
    assert [f["sha256"] for f in a["files"]] != [f["sha256"] for f in c["files"]]


def test_volumes_scale_with_scale(tmp_path: Path) -> None:
    def rows(scale: float) -> dict[str, int]:
        m = generate(tmp_path / str(scale), date(2026, 10, 5), 7, ["440000"], scale, 3)
        return {s: v["keys"] for s, v in m["truth"]["versions_and_keys"].items()}

    small, large = rows(0.01), rows(0.04)
    for source in ("hall_tickets", "hotline_calls", "mobile_repairs", "install_orders"):
        assert 3.5 < large[source] / small[source] < 4.5, source
    # Counters are one row per city, hour and network, whatever the scale.
    assert large["network_calls"] == small["network_calls"]


def test_bigger_provinces_get_more(month: tuple[Path, dict]) -> None:
    _, manifest = month
    calls: Counter[str] = Counter()
    for f in _files(manifest, "original"):
        if f["source"] == "hotline_calls":
            calls[f["province_code"]] += f["rows"]
    # Guangdong and Henan are above the floor: calls follow the 2020 census (1.268 : 1).
    assert 1.268 * 0.93 < calls["440000"] / calls["410000"] < 1.268 * 1.07
    # Tibet is below it: the floor keeps its monthly sample meaningful.
    assert calls["540000"] >= 0.9 * 60 * 31


def test_cli_generate_and_its_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    home = tmp_path / "home"
    ok = runner.invoke(app, ["--home", str(home), "generate", "--days", "2", "--scale", "0.001",
                             "--provinces", "110000", "--workers", "1"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert json.loads((home / "landing" / MANIFEST).read_text())["generator"]["days"] == 2
    bad = runner.invoke(app, ["--home", str(home), "generate", "--provinces", "710000"])
    assert bad.exit_code == 2 and "710000" in bad.output
    two = runner.invoke(app, ["--home", str(home), "generate", "--out", str(tmp_path / "two"),
                              "--days", "2", "--scale", "0.001", "--provinces", "110000",
                              "--workers", "2"])  # fmt: skip
    assert two.exit_code == 0, two.output
    assert _fingerprint(tmp_path / "two") == _fingerprint(home / "landing")
    none = runner.invoke(app, ["--home", str(home), "generate", "--workers", "0"])
    assert none.exit_code == 2 and "--workers" in none.output


def _fingerprint(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_same_bytes_with_one_worker_or_two(tmp_path: Path) -> None:
    # A month end inside the window, so tickets are carried from one month to the next,
    # and provinces whose exporters cover every format.
    args = dict(start=date(2026, 10, 29), days=5, scale=0.003, seed=5,
                provinces=["110000", "310000", "440000", "540000", "650000"])  # fmt: skip
    one = generate(tmp_path / "one", workers=1, **args)
    two = generate(tmp_path / "two", workers=2, **args)
    assert one == two
    files = _fingerprint(tmp_path / "one")
    assert files == _fingerprint(tmp_path / "two")
    assert len(files) > 100 and MANIFEST in files and TRUTH in files
    assert {f["format"] for f in one["files"]} == {"csv", "jsonl", "parquet"}


def _versions(out: Path, manifest: dict, source: str) -> pl.DataFrame:
    frames = []
    for f in _files(manifest, "original"):
        if f["source"] == source:
            frame, _ = read_strings(out / f["path"])
            frames.append(
                frame.select("ticket_id", "restored_at").with_columns(
                    pl.lit(f["business_date"]).alias("business_date")
                )
            )
    return pl.concat(frames)


def test_tickets_open_at_a_month_end_are_exported_again_next_month(tmp_path: Path) -> None:
    out = tmp_path / "two_months"
    manifest = generate(out, date(2026, 10, 25), 14, ["440000", "510000"], 0.01, 3)
    for source in ("mobile_repairs", "broadband_faults"):
        v = _versions(out, manifest, source).filter(~pl.col("ticket_id").str.contains("-X"))
        opened = v.filter(
            pl.col("restored_at").is_null() & (pl.col("business_date") <= "2026-10-31")
        )
        restored = v.filter(
            pl.col("restored_at").is_not_null() & (pl.col("business_date") >= "2026-11-01")
        )
        across = opened.join(restored, on="ticket_id", suffix="_later")
        # Reported in October, still open at its end, restored (and exported) in November.
        assert across.height > 20, source
        # ... and each ticket of the window keeps one id across both months' files.
        assert v.group_by("ticket_id").len()["len"].max() == 2


def test_spring_festival_empties_the_halls(tmp_path: Path) -> None:
    # Spring Festival 2027 is on 6 February; the holiday runs from the 5th to the 12th.
    out = tmp_path / "festival"
    manifest = generate(out, date(2027, 1, 18), 26, ["440000"], 0.01, 9)
    per_day: Counter[str] = Counter()
    for f in _files(manifest, "original"):
        if f["source"] == "hall_tickets":
            per_day[f["business_date"]] += f["rows"]

    def mean(first: int, last: int, month: int) -> float:
        return sum(per_day[f"2027-{month:02d}-{d:02d}"] for d in range(first, last + 1)) / (
            last - first + 1
        )

    ordinary = mean(18, 24, 1)  # a whole week in January, Monday to Sunday
    festival = mean(5, 11, 2)  # the holiday's first seven days, Friday to Thursday
    assert ordinary > 300
    assert festival < 0.6 * ordinary, (festival, ordinary)


def test_a_spring_festival_month_breaches_only_where_incidents_are(tmp_path: Path) -> None:
    # Slower repairs and empty halls must not breach the standard by themselves.
    manifest = generate(tmp_path / "february", date(2027, 2, 1), 28, None, 0.002, 7)
    _assert_breaches_are_the_incidents(manifest)


@pytest.mark.benchmark
def test_generate_national_month_throughput(tmp_path: Path) -> None:
    """make bench-generate: rows/s of one national month at --scale 1.0, all cores.

    CPU seconds (this process and its worker processes, user + system) are printed too:
    on a shared machine they are the steadier figure.
    """

    def cpu() -> float:
        own, kids = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    began, cpu_began = time.perf_counter(), cpu()
    m = generate(tmp_path / "national", date(2026, 10, 1), 31, None, 1.0, 7)
    seconds, cpu_seconds = time.perf_counter() - began, cpu() - cpu_began
    rows = sum(f["rows"] or 0 for f in m["files"] if f["delivery"] == "original")
    size = sum(f["bytes"] for f in m["files"])
    assert rows > 60_000_000
    print(f"\n{rows:,} rows, {len(m['files']):,} files, {size / 1e9:.2f} GB in {seconds:.0f} s "
          f"({cpu_seconds:.0f} CPU s): {rows / seconds:,.0f} rows/s")  # fmt: skip
