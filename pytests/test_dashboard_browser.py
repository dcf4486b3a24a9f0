"""What an executive sees: the real dashboard server, driven by Debian's headless Chromium.

Opens every page on a generated warehouse, finds no exception, traceback or error element,
checks the key figures on screen against the marts, switches the language with one click,
and saves a full-page screenshot of each page under ``<home>/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_warehouse import marts_query, published_home
from served_dashboard import chromium, needs_chromium, serve

from dashboards.labels import TEXT
from kpiwatch.home import Home

WIDTH = 1440

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return published_home(tmp_path_factory)


@pytest.fixture(scope="module")
def server(home: Home) -> Iterator[str]:
    yield from serve(home)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def screenshots(home: Home) -> Path:
    folder = home.root / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _open(page, url: str) -> None:
    """Load a view and wait until the script has finished and every chart has drawn."""
    page.goto(url)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll('.vega-embed')]
                 .every(e => e.querySelector('svg, canvas'))""",
        timeout=30_000,
    )
    page.wait_for_timeout(700)  # let the data grids and charts finish painting


def _assert_healthy(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not re.search(r"\b\w+(Error|Exception):", body), body[:2000]
    for selector in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        assert page.locator(selector).count() == 0, f"{selector} on the page"


def _shoot(page, path: Path) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its own container)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": max(900, height + 40)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": 900})


def _metrics(page) -> dict[str, str]:
    found = {}
    for element in page.locator('[data-testid="stMetric"]').all():
        label = element.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        found[label] = element.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return found


def _period(home: Home) -> str:
    (period,) = marts_query(home, "select max(period_month) from marts.kpi_compliance")[0]
    return period.strftime("%Y-%m")


def test_every_page_in_a_real_browser(home: Home, server: str, browser, screenshots: Path) -> None:
    period = _period(home)
    page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
    seen_errors: list[str] = []
    page.on("pageerror", lambda error: seen_errors.append(str(error)))

    # Overview: the headline figures equal the marts.
    _open(page, f"{server}/?page=overview&period={period}")
    _assert_healthy(page)
    assert page.locator("h1").first.inner_text().strip() == TEXT["app_title"][0]
    met, judged, missed = marts_query(
        home,
        """select count(*) filter (where province_code = '100000' and is_compliant),
            count(*) filter (where province_code = '100000'),
            count(*) filter (where province_code <> '100000' and not is_compliant)
        from marts.kpi_compliance where strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    figures = _metrics(page)
    assert figures[TEXT["national_kpis_met"][0]] == f"{met} / {judged}"
    assert figures[TEXT["breaches_province_kpi"][0]] == f"{missed:,}"
    assert page.locator(".vega-embed").count() >= 2  # the map and the matrix
    assert f"period={period}" in page.url and "lang=zh" in page.url
    _shoot(page, screenshots / "overview.png")

    # Province: the worst province × KPI, down to its cases.
    province, kpi_id, breach_count = marts_query(
        home,
        """select province_code, kpi_id, breach_count from marts.kpi_compliance
        where province_code <> '100000' and strftime(period_month, '%Y-%m') = ?
            and segment = 'all' and breach_count > 0 and kpi_id like 'hall%'
        order by breach_count desc, province_code limit 1""",
        [period],
    )[0]
    _open(page, f"{server}/?page=province&period={period}&province={province}&kpi={kpi_id}")
    _assert_healthy(page)
    (name,) = marts_query(
        home, "select name_zh from marts.dim_provinces where province_code = ?", [province]
    )[0]
    assert page.get_by_text(TEXT["province_kpis"][0].format(province=name)).count() == 1
    assert page.get_by_text(f"{breach_count:,} 例", exact=False).count() >= 1
    _shoot(page, screenshots / "province.png")

    # KPI: the national value of the hotline service level.
    _open(page, f"{server}/?page=kpi&period={period}&kpi=hotline_sl20")
    _assert_healthy(page)
    (value,) = marts_query(
        home,
        """select value from marts.kpi_compliance where province_code = '100000'
        and kpi_id = 'hotline_sl20' and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    assert f"{value:.2%}" in _metrics(page).values()
    _shoot(page, screenshots / "kpi.png")

    # Breaches: one row per missed province × KPI, by severity.
    _open(page, f"{server}/?page=breaches&period={period}&province=all&kpi=all")
    _assert_healthy(page)
    by_severity = _metrics(page)
    assert sum(int(by_severity[TEXT[s][0]]) for s in ("critical", "major", "minor")) == missed
    _shoot(page, screenshots / "breaches.png")

    # Data health: the ingest log's counts.
    _open(page, f"{server}/?page=health")
    _assert_healthy(page)
    (loaded,) = marts_query(
        home, "select count(*) from audit.ingest_files where status = 'loaded'"
    )[0]
    assert _metrics(page)["已入库"] == f"{loaded:,}"
    _shoot(page, screenshots / "data_health.png")

    # Definitions: the standard's own words are there.
    _open(page, f"{server}/?page=definitions")
    _assert_healthy(page)
    assert page.get_by_text(TEXT["remote_matrix"][0]).count() == 1
    _shoot(page, screenshots / "definitions.png")

    # English is one click away, and the link keeps every filter.
    _open(page, f"{server}/?page=overview&period={period}")
    page.get_by_text("English", exact=True).click()
    page.wait_for_function(
        f"() => document.querySelector('h1')?.innerText.trim() === {TEXT['app_title'][1]!r}",
        timeout=30_000,
    )
    page.wait_for_url(re.compile(r"lang=en"), timeout=30_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    _assert_healthy(page)
    assert "lang=en" in page.url and f"period={period}" in page.url
    assert _metrics(page)[TEXT["national_kpis_met"][1]] == f"{met} / {judged}"
    _shoot(page, screenshots / "overview_en.png")
    assert not seen_errors, seen_errors
    page.close()
