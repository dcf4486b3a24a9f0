"""One answer to "how bad is it": the alert digest, the dashboard's breaches page and the run
summary read the same rows of ``marts.kpi_breaches`` and agree on them.

Over the dashboard tests' shared publication (``dashboard_warehouse``): the breaches of its
latest month are raised as alerts and rendered as a digest, the breaches page is rendered
with Streamlit's AppTest, and both must list the same province × KPI breaches with the same
severities and the same "since" months; the summary ``kpiwatch run`` prints counts the
rows the page counts, and names the nation's apart. How severity and episodes are judged
is tested by dbt's unit tests of kpi_breaches.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from dashboard_warehouse import marts_query, published_home
from streamlit import config
from streamlit.testing.v1 import AppTest

from alerts import latest_breaches, raise_alerts
from alerts.digest import render
from core.config.alerts import AlertSettings
from core.config.severity import SEVERITIES
from core.home import PROJECT_DIR, Home
from core.labels import TEXT, month
from core.warehouse import connect_unlocked
from kpiwatch.build import BuildError, severity_vars
from kpiwatch.output import breaches_line

APP = str(PROJECT_DIR / "dashboards" / "app.py")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LEVELS = ("critical", "major", "minor")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A private copy of the shared publication's home (raising alerts writes its audit
    trail), without the landing files."""
    shared = published_home(tmp_path_factory)
    target = tmp_path_factory.mktemp("breaches") / "home"
    shutil.copytree(shared.root, target, ignore=shutil.ignore_patterns("*.lock", "tmp", "landing"))
    return Home.resolve(target)


def en(key: str) -> str:
    return TEXT[key][1]


def test_digest_page_and_run_summary_agree_on_one_publication(home: Home) -> None:
    # The digest: every breach of the latest month in the provinces, as new alerts.
    settings = AlertSettings(lookback_months=1, include_national=False)
    with connect_unlocked(home, with_marts=True) as con:
        con.begin()
        report = raise_alerts(con, settings, [], "agreement", NOW)
        rows = con.execute(
            "select alert_key, payload from audit.alerts where category = 'breach'"
        ).fetchall()
        latest = latest_breaches(con)
        con.commit()
    digest = render(
        [{"alert_key": key, "payload": json.loads(body)} for key, body in rows],
        "log",
        "webhook",
        NOW,
    )
    assert digest.count > 0, "the shared publication has breaches in its latest month"
    # Each entry carries its breach's top driver (marts.kpi_breach_drivers), one line of it.
    tops = {
        (f"{m:%Y-%m}", province, kpi, segment): (zh, en_)
        for m, province, kpi, segment, zh, en_ in marts_query(
            home,
            "select period_month, province_code, kpi_id, segment, driver_label_zh, "
            "driver_label_en from marts.kpi_breach_drivers where driver_rank = 1",
        )
    }
    keys = [(p["period"], p["province_code"], p["kpi_id"], p["segment"]) for p in digest.alerts]
    assert any(k in tops for k in keys), "no breach of the latest month has a driver"
    for p, k in zip(digest.alerts, keys, strict=True):
        assert (p["driver_zh"], p["driver_en"]) == tops.get(k, (None, None)), k
        if k in tops:
            assert f"主因 top driver: {tops[k][0]} / {tops[k][1]}" in digest.text
    from_digest = Counter(
        (
            p["province_en"],
            p["kpi_en"],
            en(p["severity"]),
            month("en", date.fromisoformat(p["since_period"] + "-01")),
        )
        for p in digest.alerts
    )

    # The breaches page, on the same publication, in English, all provinces and KPIs.
    assert latest is not None
    os.environ["KPIWATCH_HOME"] = str(home.root)
    config.set_option("server.address", "127.0.0.1")
    try:
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params.update(page="breaches", period=latest.period, lang="en")
        at.run()
    finally:
        config.set_option("server.address", None)
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    from_page = Counter(
        zip(
            table[en("col_province")],
            table[en("col_kpi")],
            table[en("col_severity")],
            table[en("col_since")],
            strict=True,
        )
    )
    assert from_page == from_digest
    this_month = month("en", date.fromisoformat(latest.period + "-01"))
    assert any(since != this_month for *_, since in from_page), "no episode older than a month"

    # The counts: the page's metrics, the digest's sections and title, the run summary.
    shown = {level: int(m.value) for m in at.metric for level in LEVELS if m.label == en(level)}
    assert shown == {level: latest.provinces[level] for level in LEVELS}
    assert report.open_breaches == sum(shown.values()) == digest.count
    for level, zh, name in (("critical", "🔴 严重", "Critical"), ("major", "🟠 较重", "Major")):
        if shown[level]:
            assert f"{zh} {name} ({shown[level]})" in digest.text
    assert f"critical {shown['critical']} · 较重 major {shown['major']}" in digest.title
    line = breaches_line(latest)
    total = sum(shown.values())
    assert line.startswith(f"{latest.period}: {total} in the provinces ")
    assert f"({shown['critical']} critical, {shown['major']} major, {shown['minor']} minor)" in line
    assert "the nation is not included" in line
    ((national,),) = marts_query(
        home,
        "select count(*) from marts.kpi_breaches where is_national and "
        "strftime(period_month, '%Y-%m') = ?",
        [latest.period],
    )
    assert sum(latest.nation.values()) == national
    assert (f"(it has {national} more" if national else "(it has none)") in line


def test_python_orders_severities_as_the_mart_ranks_them(home: Home) -> None:
    """kpi_breaches publishes the order of the severities (severity_rank), which the dashboard
    and the report sort by; what has no breach row to read (routes' min_severity, alert
    states, the report's columns) takes core.config.severity's. The two must be one order."""
    published = dict(
        marts_query(home, "select distinct severity, severity_rank from marts.kpi_breaches")
    )
    assert len(published) > 1, "one severity only: the agreement would prove nothing"
    assert published == {s: SEVERITIES.index(s) + 1 for s in published}


# --- who reads which mart: the exposures ---------------------------------------------------

EXPOSURES = PROJECT_DIR / "models" / "marts" / "_exposures.yml"
PAGES = {
    "overview.py": "dashboard_overview",
    "province.py": "dashboard_province",
    "kpi.py": "dashboard_kpi",
    "breaches.py": "dashboard_breaches",
    "data_health.py": "dashboard_data_health",
    "definitions.py": "dashboard_definitions",
}
TABLE = re.compile(r"\b(?:marts|raw)\.([a-z_]+)")


def _tables_per_function(source: Path) -> dict[str, set[str]]:
    """Every function of a module → the marts (and seeds) its SQL text names."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            texts = [
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            found[node.name] = {t for text in texts for t in TABLE.findall(text)}
    return found


def _calls(source: Path) -> set[str]:
    return set(re.findall(r"\bmarts\.([a-z_]+)\(", source.read_text(encoding="utf-8")))


def test_exposures_name_every_mart_each_page_and_the_digest_read() -> None:
    """`kpiwatch docs` shows who reads which mart: the exposures must say it exactly."""
    declared = {
        e["name"]: {re.sub(r"ref\('(.+)'\)", r"\1", d) for d in e["depends_on"]}
        for e in yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    }
    queries = _tables_per_function(PROJECT_DIR / "dashboards" / "marts.py")
    views = PROJECT_DIR / "dashboards" / "views"
    # A page reads what it asks marts.py for, and what the dashboard's own modules that it
    # calls (layout, the at-risk panel, …) ask for.
    helpers = {
        p.stem: {t for f in _calls(p) for t in queries[f]}
        for p in (PROJECT_DIR / "dashboards").glob("*.py")
        if p.stem != "marts"
    }
    for page, exposure in PAGES.items():
        text = (views / page).read_text(encoding="utf-8")
        read = {t for f in _calls(views / page) for t in queries[f]} | helpers["layout"]
        for helper, tables in helpers.items():
            if re.search(rf"\b{helper}\.[a-z_]+\(", text):
                read |= tables
        assert declared[exposure] == read, page
    digest = set()
    for module in ("conditions.py", "__init__.py"):
        for tables in _tables_per_function(PROJECT_DIR / "alerts" / module).values():
            digest |= tables
    assert declared["alert_digest"] == digest


def test_kpiwatch_toml_bands_reach_dbt_as_vars(tmp_path: Path) -> None:
    """[severity] becomes the var kpi_breaches reads (its unit tests judge with it); no
    section, no var: kpiwatch's default bands."""
    home = Home.resolve(tmp_path)
    assert severity_vars(home) == {}
    (tmp_path / "kpiwatch.toml").write_text(
        "[severity]\ncritical_shortfall = 0.2\n"
        "[severity.kpis.mobile_repair_hours_avg]\n"
        "major_shortfall = 0.01\ncritical_when_cases_over_ceiling = false\n",
        encoding="utf-8",
    )
    assert severity_vars(home) == {
        "severity_overrides": [
            {"kpi_id": "*", "major_shortfall": None, "critical_shortfall": 0.2,
             "critical_when_cases_over_ceiling": None},
            {"kpi_id": "mobile_repair_hours_avg", "major_shortfall": 0.01,
             "critical_shortfall": None, "critical_when_cases_over_ceiling": False},
        ]
    }  # fmt: skip
    (tmp_path / "kpiwatch.toml").write_text("[severity.kpis.nope]\nmajor_shortfall = 1\n")
    with pytest.raises(BuildError, match=r"\[severity.kpis.nope\]: 'nope' is not a KPI"):
        severity_vars(home)
