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

from core.home import Home
from core.labels import TEXT
from dashboards.charts import SHARE_PALETTE

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


ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")


def _map_label_overlaps(page) -> list[list[str]]:
    """Pairs of province names on the map (the first chart) whose drawn boxes overlap. Each
    name is drawn twice (its halo, then itself): pairs of one name are left out."""
    return page.evaluate(
        """() => {
            const map = document.querySelector('[data-testid="stVegaLiteChart"]');
            const boxes = [...map.querySelectorAll('g.mark-text.role-mark text')]
                .map(t => [t.textContent, t.getBoundingClientRect()]);
            const hits = [];
            for (const [i, [a, p]] of boxes.entries())
                for (const [b, q] of boxes.slice(i + 1))
                    if (a !== b && p.left < q.right && q.left < p.right
                        && p.top < q.bottom && q.top < p.bottom) hits.push([a, b]);
            return hits;
        }"""
    )


def _legend_share(page, colour: str) -> float:
    """How much of the map's colour legend one colour takes (0 to 1)."""
    return page.evaluate(
        """(colour) => {
            const map = document.querySelector('[data-testid="stVegaLiteChart"]');
            const steps = [...map.querySelectorAll('.role-legend path[fill]')]
                .map(p => [p.getAttribute('fill'), p.getBoundingClientRect().height]);
            const all = steps.reduce((sum, [, h]) => sum + h, 0);
            return steps.filter(([c]) => c === colour).reduce((sum, [, h]) => sum + h, 0) / all;
        }""",
        colour,
    )


def _axis_labels(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
            '[data-testid="stVegaLiteChart"] .role-axis-label text')].map(t => t.textContent)"""
    )


def _dates_split_across_lines(page, marker: str) -> list[str]:
    """Dates with their time ("10-24 17:59") in the header that a line break parts. The
    header's text comes in several nodes (Streamlit's markdown splits it at each colon):
    dates are found in the whole text, then measured as ranges across the nodes."""
    return page.evaluate(
        r"""(marker) => {
            const header = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                .find(c => c.textContent.includes(marker));
            const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
            const nodes = [];
            let text = "";
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                nodes.push([node, text.length]);
                text += node.textContent;
            }
            const at = (offset) => {
                const [node, start] = nodes.filter(([, s]) => s <= offset).pop();
                return [node, offset - start];
            };
            const split = [];
            for (const m of text.matchAll(/\d{2}-\d{2}[ \u00a0]\d{2}:\d{2}/g)) {
                const range = document.createRange();
                range.setStart(...at(m.index));
                range.setEnd(...at(m.index + m[0].length));
                const lines = new Set([...range.getClientRects()]
                    .filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (lines.size > 1) split.push(m[0]);
            }
            return split.length ? split : (text.match(/\d{2}-\d{2}[ \u00a0]\d{2}:\d{2}/g)
                ? [] : ["no date found in the header"]);
        }""",
        marker,
    )


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
    # The map: 北京, 天津 and 河北 apart; "all met" (green) a full step of the legend.
    assert not _map_label_overlaps(page)
    assert _legend_share(page, SHARE_PALETTE[-1]) >= 0.2
    # A reader's dashboard: no Deploy button, no developer menu.
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert page.locator('[data-testid="stMainMenu"]').count() == 0
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
    # The trend's date axis is in Chinese too (Vega's own labels are "Oct", "October").
    axis = _axis_labels(page)
    assert any(re.fullmatch(r"\d{1,2}月\d{1,2}日", a) for a in axis), axis
    assert not [a for a in axis if ENGLISH_MONTH.search(a)], axis
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
    assert not _map_label_overlaps(page)
    _shoot(page, screenshots / "overview_en.png")
    # The header never parts a date from its time, however narrow the window.
    for width in range(560, WIDTH + 1, 80):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        assert not _dates_split_across_lines(page, TEXT["published"][1]), width
    page.set_viewport_size({"width": WIDTH, "height": 900})
    assert not seen_errors, seen_errors
    page.close()


def test_the_served_page_requests_nothing_from_the_internet(home: Home, server: str, browser):
    """An operator's intranet may have no way out: every request the page makes (scripts,
    fonts, the tab icon, the map) goes to the dashboard's own server. Outside requests are
    refused and recorded, so one that slips in fails here instead of hanging a user's page."""
    outside: list[str] = []
    local = server.rstrip("/") + "/"

    def refuse_outside(route) -> None:
        if route.request.url.startswith((local, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
    context.route("**/*", refuse_outside)
    page = context.new_page()
    _open(page, f"{server}/?page=overview&period={_period(home)}")
    _open(page, f"{server}/?page=definitions")
    page.wait_for_function("() => document.querySelector('link[rel~=\"icon\"]') !== null")
    icon = page.evaluate("() => document.querySelector('link[rel~=\"icon\"]').href")
    try:
        assert outside == []
        assert icon.startswith(local), icon
        answer = page.request.get(icon)
        assert answer.ok and answer.headers["content-type"].startswith("image/")
    finally:
        context.close()
