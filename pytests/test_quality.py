"""Checks: Great Expectations on new batches, freshness, volume, dbt results, Data Docs.

The landing is generated, then damaged the way real deliveries go wrong: one province stops
sending for the last three days, one day of one province's hall tickets arrives half empty
(a partial export), and one hall ticket waits 30 days (a clock fault ingest cannot see:
the ticket is valid row by row). Everything is loaded by the real ingest; no dbt needed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from landing_faults import PROVINCES, SILENT, SILENT_FROM, damage
from served_dashboard import chromium, needs_chromium

from core.audit.dq_results import CheckResult
from core.config.quality import QualitySettings
from core.contract import SOURCES
from core.home import PROJECT_DIR, Home
from core.static_site import server
from core.warehouse import connect_unlocked
from generator import generate
from ingest.loader import ingest
from quality import ChecksReport, dbt_results, run_checks
from quality.validation import Chunk, plan_chunks

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, dict, dict, ChecksReport]:
    root = tmp_path_factory.mktemp("quality")
    home = Home.resolve(root / "home")
    manifest = generate(root / "landing", date(2026, 10, 1), 31, PROVINCES, 0.002, 7)
    planted = damage(root / "landing", manifest)
    ingest(home, root / "landing")
    with connect_unlocked(home) as con:
        through = con.execute("select max(file_id) from audit.ingest_files").fetchone()[0]
        report = run_checks(con, home, QualitySettings(), "run-1", NOW, (0, through), None)
    return home, manifest, planted, report


def _by(report: ChecksReport, check: str, status: str | None = None) -> list[CheckResult]:
    return [
        r
        for r in report.results
        if r.check_name == check and (status is None or r.status == status)
    ]


def test_a_province_that_stops_sending_is_caught(checked) -> None:
    _, _, planted, report = checked
    assert planted["removed"]
    stale = _by(report, "freshness:province", "fail")
    assert {(r.source, r.province_code) for r in stale} == {
        (source, SILENT) for source in {r.source for r in _by(report, "freshness:province")}
    }
    assert len(stale) == 6
    assert all(r.observed and r.observed > 48 for r in stale)  # three days behind
    assert "no new data since 2026-10-28" in stale[0].summary_en
    assert not _by(report, "freshness:source", "fail")  # the sources as a whole still deliver


def test_a_source_that_goes_silent_is_caught_by_the_wall_clock(checked) -> None:
    home, *_ = checked
    later = datetime(2026, 12, 31, tzinfo=ZoneInfo("Asia/Shanghai"))
    with connect_unlocked(home) as con:
        from quality import freshness

        results = freshness.check(con, QualitySettings().freshness, later)
    silent = [r for r in results if r.check_name == "freshness:source"]
    assert len(silent) == 6 and {r.status for r in silent} == {"fail"}
    assert "no file loaded for" in silent[0].summary_en


def test_newest_events_are_kept_and_only_new_files_are_read(checked, tmp_path: Path) -> None:
    """Each province's newest event is kept with the last raw file it saw: it equals a scan
    of every raw row, and the next check reads only the files loaded since (a year's
    history is not read again by every hourly run)."""
    from quality import freshness

    home, *_ = checked
    work = tmp_path / "work.duckdb"
    shutil.copyfile(home.work, work)
    with duckdb.connect(str(work)) as con:
        for source in SOURCES:
            kept = con.execute(
                f"select province_code, newest from {freshness.NEWEST} where source = ? order by 1",
                [source],
            ).fetchall()
            scanned = con.execute(
                f"select province_code, max({freshness._activity(source)}) from raw.{source} "
                "group by 1 order by 1"
            ).fetchall()
            assert kept == scanned and kept, source
        # An old row changed in place (raw rows never are): a check that read the history
        # again would see it; one that reads the files since the last check does not.
        con.execute(
            "update raw.hall_tickets set taken_at = taken_at + interval 400 day "
            "where province_code = ? and ingest_file_id = (select min(ingest_file_id) "
            "from raw.hall_tickets where province_code = ?)",
            [PROVINCES[0], PROVINCES[0]],
        )
        # A new file: one ticket taken after everything else, for one province.
        (last,) = con.execute("select max(ingest_file_id) from raw.hall_tickets").fetchone()
        con.execute(
            "insert into raw.hall_tickets select * replace (? as ingest_file_id, "
            "timestamptz '2026-12-01 09:00:00+08' as taken_at) from raw.hall_tickets "
            "where province_code = ? limit 1",
            [last + 1, PROVINCES[1]],
        )
        before = dict(
            con.execute(
                f"select province_code, newest from {freshness.NEWEST} "
                "where source = 'hall_tickets'"
            ).fetchall()
        )
        freshness.check(con, QualitySettings().freshness, NOW)
        after = dict(
            con.execute(
                f"select province_code, newest from {freshness.NEWEST} "
                "where source = 'hall_tickets'"
            ).fetchall()
        )
    assert after[PROVINCES[0]] == before[PROVINCES[0]]  # the history was not read again
    assert after[PROVINCES[1]] == datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert {p: t for p, t in after.items() if p != PROVINCES[1]} == {
        p: t for p, t in before.items() if p != PROVINCES[1]
    }


def test_a_half_empty_day_is_caught_and_nothing_else_is(checked) -> None:
    _, _, planted, report = checked
    full, kept = planted["thinned_rows"]  # type: ignore[misc]
    assert kept == full // 2
    flagged = [r for r in _by(report, "volume:daily") if r.status != "pass"]
    assert [r.subject for r in flagged] == ["volume:hall_tickets:440000:2026-10-27"]
    anomaly = flagged[0]
    assert anomaly.status == "fail"
    assert 0.4 < anomaly.details["ratio"] < 0.6 and anomaly.details["z"] < -3
    assert "partial export" in anomaly.summary_en and "疑似导出不完整" in anomaly.summary_zh
    judged = {r.subject for r in _by(report, "volume:daily")}
    assert "volume:hall_tickets:440000:2026-10-28" in judged  # its neighbours were judged too


def test_great_expectations_finds_a_30_day_hall_wait_and_names_file_and_row(checked) -> None:
    _, _, planted, report = checked
    (wait,) = [r for r in _by(report, "gx:range:wait_minutes")]
    assert wait.status == "fail" and wait.observed == 1
    assert wait.details["sample"][0]["file"] == planted["slow"]
    assert wait.details["sample"][0]["row"] >= 1
    assert "wait_minutes within [0, 480] minutes" in wait.expected
    assert wait.lifecycle == "event" and wait.subject.endswith(":run-1")
    hall = [
        r for r in report.results if r.source == "hall_tickets" and r.check_name.startswith("gx:")
    ]
    others = {
        r.check_name for r in hall if r.status != "pass" and not r.check_name.startswith("gx:file:")
    }
    assert others == {"gx:range:wait_minutes"}  # schema, sets, order, required: all pass


def test_files_that_cannot_be_read_or_are_wholly_quarantined_fail(checked) -> None:
    _, manifest, _, report = checked
    present = [
        f
        for f in manifest["files"]
        if f["province_code"] != SILENT or f["business_date"] < SILENT_FROM
    ]
    for kind, check in (
        ("unreadable", "gx:file:readable"),
        ("missing_column", "gx:file:not_all_quarantined"),
    ):
        expected = {f["path"] for f in present if f["delivery"] == kind}
        found = set()
        for r in _by(report, check):
            found |= {s["file"] for s in r.details["sample"]}
            assert r.status == ("fail" if r.details["unexpected"] else "pass")
        assert found == expected, kind
    # A file wholly quarantined is reported once, not again by the share-of-rows check.
    shares = {
        s["file"] for r in _by(report, "gx:file:quarantined_share") for s in r.details["sample"]
    }
    assert not shares & {f["path"] for f in present if f["delivery"] == "missing_column"}


def test_every_source_has_its_suite_and_data_docs_are_under_the_home(checked) -> None:
    home, _, _, report = checked
    sources = {r.source for r in report.results if r.check_name == "gx:schema"}
    assert sources == {"hall_tickets", "hotline_calls", "network_calls", "mobile_repairs",
                       "broadband_faults", "install_orders"}  # fmt: skip
    assert all(r.status == "pass" for r in _by(report, "gx:schema"))
    docs = home.root / "quality" / "data_docs"
    assert report.docs == docs / "index.html" and report.docs.exists()
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) >= 12  # rows and files of six sources
    assert "hall_tickets.rows" in report.docs.read_text(encoding="utf-8")
    suites = home.root / "quality" / "gx" / "expectations"
    assert (suites / "hall_tickets" / "rows.json").exists()
    assert (suites / "install_orders" / "files.json").exists()
    assert not (PROJECT_DIR / "gx").exists() and not (PROJECT_DIR / "great_expectations").exists()
    config = (home.root / "quality" / "gx" / "great_expectations.yml").read_text()
    assert "analytics_enabled: false" in config


class _Resources(HTMLParser):
    """What a browser loads by itself from a page: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "img") and attributes.get("src"):
            self.found.append(attributes["src"] or "")
        if tag == "link" and attributes.get("href"):
            self.found.append(attributes["href"] or "")


def test_data_docs_load_every_resource_from_the_site_itself(checked) -> None:
    """The pages are styled offline: every stylesheet, script, font and image they load is a
    file of the site (vendored, quality/data_docs_vendor), none is on a CDN."""
    home, _, _, _ = checked
    site = home.root / "quality" / "data_docs"
    pages = sorted(site.rglob("*.html"))
    outside, missing = [], []
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.found, page
        for ref in parser.found:
            if re.match(r"(https?:)?//", ref):
                outside.append(f"{page.name}: {ref}")
            elif not (page.parent / ref.split("?")[0]).resolve().is_file():
                missing.append(f"{page.name}: {ref}")
    styles = [*site.rglob("*.css")]
    for sheet in styles:
        for ref in re.findall(r"url\(\s*[\"']?([^\"')]+)", sheet.read_text(encoding="utf-8")):
            if re.match(r"(https?:)?//", ref):
                outside.append(f"{sheet.name}: {ref}")
            elif not ref.startswith("data:") and not (sheet.parent / ref).resolve().is_file():
                missing.append(f"{sheet.name}: {ref}")
    assert len(pages) >= 13 and any(s.name == "bootstrap.min.css" for s in styles)
    assert outside == []
    assert missing == []


@needs_chromium
def test_data_docs_render_styled_with_no_way_out(checked) -> None:
    """In a real browser that refuses every request off 127.0.0.1, the index page gets
    Bootstrap's layout and Font Awesome's icons."""
    home, _, _, _ = checked
    site = server(home.root / "quality" / "data_docs", port=0)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{site.server_address[1]}/"
    outside: list[str] = []
    failed: list[str] = []

    def refuse_outside(route) -> None:
        if route.request.url.startswith((local, "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        for browser in chromium():
            page = browser.new_page()
            page.route("**/*", refuse_outside)
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(local + "index.html", wait_until="networkidle")
            navbar = page.evaluate(
                "() => getComputedStyle(document.querySelector('.navbar')).display"
            )
            icon_font = page.evaluate(
                """async () => { await document.fonts.ready;
                   return document.fonts.check('900 16px "Font Awesome 6 Free"'); }"""
            )
            page.close()
    finally:
        site.shutdown()
    assert outside == []
    assert failed == []
    assert navbar == "flex"  # Bootstrap 4's navbar; unstyled it would be "block"
    assert icon_font is True


def test_small_chunks_give_the_same_results_and_only_new_files_are_validated(checked) -> None:
    home, _, _, report = checked
    small = QualitySettings(chunk_rows=15_000)  # network_calls (43 000 rows) in several
    with connect_unlocked(home) as con:
        through = con.execute("select max(file_id) from audit.ingest_files").fetchone()[0]
        chunked = run_checks(con, home, small, "run-2", NOW, (0, through), None)
        again = run_checks(con, home, small, "run-3", NOW, (through, through), None)

    def gx(r: ChecksReport) -> dict[tuple, tuple]:
        return {
            (x.source, x.check_name): (x.status, x.observed)
            for x in r.results
            if x.check_name.startswith("gx:")
        }

    assert gx(chunked) == gx(report)
    assert max(x.details["batches"] for x in chunked.results if x.check_name == "gx:schema") > 1
    assert gx(again) == {}  # nothing new since the last validated file: no GX at all
    assert _by(again, "freshness:province")  # the other checks still run


def test_chunks_hold_whole_small_files_and_split_big_ones() -> None:
    files = [(1, 300, 310), (2, 800, 800), (3, 2500, 2600), (4, 100, 100), (5, 50, 50)]
    assert list(plan_chunks(files, 1000)) == [
        Chunk((1,), None),
        Chunk((2,), None),
        Chunk((3,), (1, 1000)),
        Chunk((3,), (1001, 2000)),
        Chunk((3,), (2001, 3000)),
        Chunk((4, 5), None),
    ]


def test_dbt_test_results_become_checks(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"results": [
        {"unique_id": "test.kpiwatch.unique_provinces_province_code.4e74", "status": "fail",
         "failures": 2, "message": "Got 2 results, configured to fail if != 0"},
        {"unique_id": "test.kpiwatch.assert_rates_are_fractions.9a1b", "status": "warn",
         "failures": 1, "message": "Got 1 result"},
        {"unique_id": "test.kpiwatch.not_null_dim_provinces_name_zh.77", "status": "pass",
         "failures": 0, "message": None},
        {"unique_id": "model.kpiwatch.kpi_compliance", "status": "error", "failures": None,
         "message": "Binder Error: column x not found"},
        {"unique_id": "model.kpiwatch.dim_cities", "status": "success", "failures": None},
        {"unique_id": "test.kpiwatch.skipped_one.1", "status": "skipped", "failures": None},
    ]}))  # fmt: skip
    results = {r.check_name: r for r in dbt_results.read(path)}
    assert {k: r.status for k, r in results.items()} == {
        "dbt:unique_provinces_province_code": "fail",
        "dbt:assert_rates_are_fractions": "warn",
        "dbt:not_null_dim_provinces_name_zh": "pass",
        "dbt:kpi_compliance": "fail",
    }
    assert results["dbt:unique_provinces_province_code"].observed == 2
    assert "Binder Error" in results["dbt:kpi_compliance"].summary_en
    assert dbt_results.read(tmp_path / "absent.json") == []


def test_a_great_expectations_failure_is_a_check_and_the_batches_wait(
    checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, *_ = checked

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the GX project under the home is damaged")

    monkeypatch.setattr("quality.validation.Validation.__init__", broken)
    with connect_unlocked(home) as con:
        report = run_checks(con, home, QualitySettings(), "run-4", NOW, (5, 9), None)
    (failure,) = _by(report, "gx:run")
    assert failure.status == "fail" and "damaged" in failure.summary_en
    assert report.validated_through == 5  # files 6-9 are validated by the next run
    assert _by(report, "freshness:province") and _by(report, "volume:daily")


def test_great_expectations_loads_without_pyspark_s_pandas_warning(tmp_path: Path) -> None:
    """A DuckDB-only run imports GX, which imports PySpark; PySpark's warning about pandas
    3 must not reach the operator's terminal (every warning shown, as ``-W default``)."""
    script = tmp_path / "load_suites.py"  # a file, not -c: PySpark mistakes -c for doctests
    script.write_text(
        "from quality.suites import rows_suite\n"
        "from core.config.quality import QualitySettings\n"
        "print(rows_suite('hall_tickets', QualitySettings()).name)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", str(script)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "hall_tickets" in done.stdout
    assert "FutureWarning" not in done.stderr and "PySpark" not in done.stderr, done.stderr
