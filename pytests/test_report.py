"""The monthly report (``kpiwatch report`` and the dashboard's download): the workbook opened
with openpyxl and the PDF's text extracted, every figure checked against SQL on the published
marts; a provincial report holds its province only; bad arguments are one line and exit 2; no
Chromium still writes the workbook (exit 3).

On the dashboard's shared warehouse (built once per session), never a new one."""

from __future__ import annotations

import os
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from dashboard_warehouse import marts_query, published_home
from openpyxl import load_workbook
from pypdf import PdfReader
from served_dashboard import needs_chromium
from streamlit import config
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from core.contract import NATIONAL_CODE, PROVINCE_CODES
from core.home import PROJECT_DIR, Home
from core.report.labels import fmt_value, t
from dashboards import marts as dashboard_marts
from dashboards.access import Viewer
from kpiwatch.cli import app

MONTH = "2026-10"
PERIOD = date(2026, 10, 1)
SEVERITIES = ("critical", "major", "minor")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return published_home(tmp_path_factory)


def report(home: Home, out: Path, *args: str):
    return CliRunner().invoke(
        app, ["--home", str(home.root), "report", "--month", MONTH, "--out", str(out), *args]
    )


def rows(sheet) -> list[tuple]:
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def find(sheet, label: str) -> tuple:
    """The row of the summary whose first cell is ``label``."""
    found = [r for r in rows(sheet) if r and r[0] == label]
    assert len(found) == 1, f"{label!r} is not one row of the summary"
    return found[0]


def excel(value: float | None) -> float | None:
    """A value as a workbook holds it: openpyxl writes 16 significant digits (Excel keeps 15)."""
    return None if value is None else float(f"{value:.16g}")


def pdf_text(path: Path) -> str:
    """The PDF's text, as a reader copying or searching it gets it. No character may come
    out as a look-alike radical (Noto CJK shares shapes such as 门 and ⻔; the report embeds
    a subset of the font so each shape means one character)."""
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    radicals = sorted({c for c in text if "\u2e80" <= c <= "\u2fdf"})
    assert not radicals, f"radicals instead of ideographs in the PDF: {radicals}"
    return text


def compliance(home: Home, codes: list[str]) -> dict[tuple[str, str], tuple]:
    return {
        (r[0], r[1]): r[2:]
        for r in marts_query(
            home,
            """
            select province_code, if(segment = 'all', kpi_id, kpi_id || ':' || segment),
                value, is_compliant, unit
            from marts.kpi_compliance
            where period_month = ? and list_contains(?, province_code)
            """,
            [PERIOD, codes],
        )
    }


def matrix(book, lang: str) -> tuple[dict, dict, set]:
    """The matrix sheet read back: {(province, kpi_key): value}, {(...): flag}, and the
    conditional-formatting ranges. KPI columns are matched by the catalog version row and
    the KPI names of the catalog sheet."""
    sheet = book[t(lang, "sheet_matrix")]
    catalog = [r for r in rows(book[t(lang, "sheet_catalog")])[3:] if r[0]]
    keys_by_name = {r[1]: (r[0], r[2]) for r in catalog}
    grid = rows(sheet)
    captions = [i for i, r in enumerate(grid) if r[0] in (t(lang, "matrix_values"),
                                                           t(lang, "matrix_flags"))]  # fmt: skip
    assert len(captions) == 2
    blocks = []
    for top in captions:
        names = grid[top + 1][2:]
        keys = []
        for name in names:
            kpi_id, segment = keys_by_name[name]
            whole = segment in ("全部", "all")
            keys.append(kpi_id if whole else f"{kpi_id}:{_segment_code(segment)}")
        cells = {}
        for r in grid[top + 4 :]:
            if not r[0] or r[0] in (t(lang, "matrix_flags"),):
                break
            for key, value in zip(keys, r[2:], strict=False):
                if value is not None:
                    cells[(r[0], key)] = value
        blocks.append(cells)
    ranges = {str(cf.sqref) for cf in sheet.conditional_formatting}
    return blocks[0], blocks[1], ranges


def _segment_code(text: str) -> str:
    return {"城镇": "urban", "urban": "urban", "农村": "rural", "rural": "rural"}[text]


@needs_chromium
def test_national_report_every_figure_is_the_marts(home: Home, tmp_path: Path) -> None:
    result = report(home, tmp_path)
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / f"kpiwatch-report-{MONTH}-zh.xlsx")
    assert book.sheetnames == [
        t("zh", k)
        for k in ("sheet_summary", "sheet_matrix", "sheet_breaches", "sheet_trends",
                  "sheet_catalog")
    ]  # fmt: skip
    everyone = [NATIONAL_CODE, *PROVINCE_CODES]
    published = compliance(home, everyone)

    # Matrix: every published cell, the value unrounded and the flag as published; the
    # colours point at the flags.
    values, flags, ranges = matrix(book, "zh")
    assert values == {k: excel(v[0]) for k, v in published.items()}
    assert flags == {k: v[1] for k, v in published.items()}
    assert len(ranges) == 2, ranges  # the values (coloured by the flags) and the flags

    # Summary: the headline figures and the province table, counted in SQL here.
    summary = book[t("zh", "sheet_summary")]
    assert "客户服务标准达标月报" in summary["A1"].value
    nation = [v for (p, _), v in published.items() if p == NATIONAL_CODE]
    assert find(summary, t("zh", "national_kpis_met"))[1:3] == (
        sum(v[1] for v in nation),
        len(nation),
    )
    scores = marts_query(
        home,
        """
        select c.province_code, count(*), count(*) filter (where c.is_compliant),
            count(b.severity) filter (where b.severity = 'critical'),
            count(b.severity) filter (where b.severity = 'major'),
            count(b.severity) filter (where b.severity = 'minor')
        from marts.kpi_compliance as c
        left join marts.kpi_breaches as b using (period_month, province_code, kpi_id, segment)
        where c.period_month = ? and c.province_code <> '100000'
        group by c.province_code order by c.province_code
        """,
        [PERIOD],
    )
    judged, met = sum(s[1] for s in scores), sum(s[2] for s in scores)
    assert find(summary, t("zh", "kpis_met"))[1:3] == (met, judged)
    all_met = sum(1 for s in scores if s[1] == s[2])
    assert find(summary, t("zh", "provinces_all_met"))[1:3] == (all_met, 31)
    breaches = marts_query(
        home,
        "select severity, count(*) from marts.kpi_breaches "
        "where period_month = ? and not is_national group by severity",
        [PERIOD],
    )
    by_severity = dict(breaches)
    assert find(summary, t("zh", "breaches_total"))[1] == sum(by_severity.values()) > 0
    for s in SEVERITIES:
        assert find(summary, t("zh", s))[1] == by_severity.get(s, 0)
    table = [r for r in rows(summary) if r[0] in PROVINCE_CODES]
    assert [(r[0], r[2], r[3], *r[5:8]) for r in table] == scores

    # Breaches: one row per kpi_breaches row, severity and episode as published.
    published_breaches = marts_query(
        home,
        """
        select province_code, value, threshold, severity, strftime(episode_start_month, '%Y-%m'),
            months_in_breach, days_missed, catalog_version,
            coalesce((
                select string_agg(driver_label_zh, '；' order by driver_rank)
                from marts.kpi_breach_drivers as d
                where (d.period_month, d.province_code, d.kpi_id, d.segment)
                    = (b.period_month, b.province_code, b.kpi_id, b.segment)
            ), '—')
        from marts.kpi_breaches as b where period_month = ?
        """,
        [PERIOD],
    )
    assert any(r[-1] != "—" for r in published_breaches), "no breach has a driver"
    sheet = rows(book[t("zh", "sheet_breaches")])
    assert sheet[1][0] == t("zh", "drivers_note")  # each breach's top drivers, as published
    shown = [(r[2], r[5], r[6], r[0], r[12], r[13], r[14], r[15], r[16]) for r in sheet[3:] if r[0]]
    severity_code = {t("zh", s): s for s in SEVERITIES}
    assert sorted((r[0], r[1], r[2], severity_code[r[3]], *r[4:]) for r in shown) == sorted(
        (r[0], excel(r[1]), excel(r[2]), *r[3:]) for r in published_breaches
    )
    # The worst first, by the published severity_rank: never a milder row above a worse one.
    ranks = dict(
        marts_query(home, "select distinct severity, severity_rank from marts.kpi_breaches")
    )
    shown_ranks = [ranks[severity_code[r[3]]] for r in shown]
    assert len(set(shown_ranks)) > 1, "one severity only: the order would prove nothing"
    assert shown_ranks == sorted(shown_ranks, reverse=True)

    # Trends: per month over the provinces, and the nation's values per month.
    trend = rows(book[t("zh", "sheet_trends")])
    counts = marts_query(
        home,
        """
        select strftime(c.period_month, '%Y-%m'), count(*), count(*) filter (where is_compliant),
            count(b.severity) filter (where b.severity = 'critical'),
            count(b.severity) filter (where b.severity = 'major'),
            count(b.severity) filter (where b.severity = 'minor')
        from marts.kpi_compliance as c
        left join marts.kpi_breaches as b using (period_month, province_code, kpi_id, segment)
        where c.province_code <> '100000' and c.period_month <= ?
        group by 1 order by 1
        """,
        [PERIOD],
    )
    assert [(r[0], r[1], r[2], *r[4:7]) for r in trend[4 : 4 + len(counts)]] == counts
    national_values = marts_query(
        home,
        "select value from marts.kpi_compliance where province_code = '100000' "
        "and period_month <= ?",
        [PERIOD],
    )
    shown_values = [v for r in trend[4 + len(counts) + 3 :] for v in r[2:] if v is not None]
    assert sorted(shown_values) == sorted(excel(v[0]) for v in national_values)

    # Catalog: the version that judged each KPI this month.
    versions = {r[0] for r in marts_query(
        home, "select distinct catalog_version from marts.kpi_compliance where period_month = ?",
        [PERIOD],
    )}  # fmt: skip
    catalog = [r for r in rows(book[t("zh", "sheet_catalog")])[3:] if r[0]]
    assert {r[3] for r in catalog} == versions
    assert find(summary, t("zh", "catalog_versions"))[1] == ", ".join(sorted(versions))

    # PDF: the Chinese title, the headline figures, every matrix cell and every breach.
    text = pdf_text(tmp_path / f"kpiwatch-report-{MONTH}-zh.pdf")
    assert "客户服务标准达标月报 · 2026年10月 · 全国及 31 个省份" in text
    assert f"{met} / {judged}" in text and f"{all_met} / 31" in text
    flat = text.replace("\n", " ")
    for value, _, unit in published.values():
        assert fmt_value("zh", value, unit) in flat
    breach_values = marts_query(
        home, "select value, unit from marts.kpi_breaches where period_month = ?", [PERIOD]
    )
    for value, unit in breach_values:
        assert fmt_value("zh", value, unit) in flat
    for s in scores:
        assert f"{s[1]} {s[2]} {s[2] / s[1]:.0%}" in flat
    compact = "".join(text.split())  # a table cell wraps Chinese text anywhere
    assert "".join(t("zh", "col_drivers").split()) in compact and "占缺口的" in compact


@needs_chromium
def test_provincial_report_holds_one_province(home: Home, tmp_path: Path) -> None:
    result = report(home, tmp_path, "--province", "440000", "--lang", "en")
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / f"kpiwatch-report-{MONTH}-440000-en.xlsx")
    assert book.sheetnames[0] == "Summary"
    codes_seen = {
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell in (NATIONAL_CODE, *PROVINCE_CODES)
    }
    assert codes_seen == {"440000"}
    values, flags, _ = matrix(book, "en")
    published = compliance(home, ["440000"])
    assert values == {k: excel(v[0]) for k, v in published.items()}
    assert flags == {k: v[1] for k, v in published.items()}
    text = pdf_text(tmp_path / f"kpiwatch-report-{MONTH}-440000-en.pdf")
    assert "Customer-service standard: monthly report · Oct 2026 · Guangdong" in text
    others = marts_query(
        home, "select name_en from marts.dim_provinces where province_code <> '440000'"
    )
    without_clock = " ".join(text.split()).replace(
        t("en", "beijing_time"), ""
    )  # "Beijing time" is no province
    assert not [name for (name,) in others if name in without_clock]
    for value, _, unit in published.values():
        assert fmt_value("en", value, unit) in text.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--month", "2026-13"], "--month must be a month as YYYY-MM"),
        (["--month", "10/2026"], "--month must be a month as YYYY-MM"),
        (["--month", "2025-01"], "no published figures for that month"),
        (["--month", MONTH, "--province", "999999"], "--province 999999: not a mainland"),
        (["--month", MONTH, "--lang", "fr"], "--lang must be one of zh, en"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    home: Home, tmp_path: Path, args: list[str], words: str
) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(home.root), "report", "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines
    assert not list(tmp_path.iterdir())


def test_nothing_published_or_unwritable_folder_is_one_line(home: Home, tmp_path: Path) -> None:
    empty = CliRunner().invoke(app, ["--home", str(tmp_path), "report", "--month", MONTH])
    assert empty.exit_code == 2
    assert empty.output.startswith("error: no published warehouse at")
    assert len(empty.output.strip().splitlines()) == 1
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    result = report(home, blocked / "reports", "--no-pdf")
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot write the report:"), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_without_chromium_the_workbook_is_still_written(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPIWATCH_CHROMIUM", str(tmp_path / "no-chromium"))
    result = report(home, tmp_path, "--province", "110000")
    assert result.exit_code == 3
    assert "no Chromium at" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"kpiwatch-report-{MONTH}-110000-zh.xlsx"]


def test_dashboard_download_holds_only_the_viewers_provinces(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPIWATCH_HOME", str(home.root))
    provincial = Viewer("gd", "provincial", ("440000", "450000"))
    book = load_workbook(BytesIO(dashboard_marts.report_workbook(PERIOD, "zh", provincial)))
    values, _, _ = matrix(book, "zh")
    assert {p for p, _ in values} == {"440000", "450000"}
    assert values == {k: excel(v[0]) for k, v in compliance(home, ["440000", "450000"]).items()}
    national = Viewer("hq", "national")
    book = load_workbook(BytesIO(dashboard_marts.report_workbook(PERIOD, "en", national)))
    values, _, _ = matrix(book, "en")
    assert {p for p, _ in values} == {NATIONAL_CODE, *PROVINCE_CODES}


def test_overview_offers_the_report_of_the_month_shown(home: Home) -> None:
    config.set_option("server.address", "127.0.0.1")
    os.environ["KPIWATCH_HOME"] = str(home.root)
    try:
        at = AppTest.from_file(str(PROJECT_DIR / "dashboards" / "app.py"), default_timeout=90)
        at.query_params["page"] = "overview"
        at.query_params["period"] = MONTH
        at.run()
    finally:
        config.set_option("server.address", None)
    assert not at.exception, [e.value for e in at.exception]
    buttons = [b.proto for b in at.get("download_button")]
    report_button = [b for b in buttons if b.label == t("zh", "download_report")]
    assert len(report_button) == 1
