"""The dashboard's logic with Streamlit's AppTest: every page and widget, in both languages,
the figures it shows equal to the published marts, filters in the URL, a new publication
shown without a restart, and missing tables or warehouse explained instead of failing.

These run as the dashboard does on 127.0.0.1 without any sign-in configured: as a national
viewer. The door itself is tested in ``test_dashboard_access.py``."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dashboard_warehouse import marts_query, published_home
from streamlit import config
from streamlit.testing.v1 import AppTest

from core.contract import PROVINCE_CODES
from core.home import PROJECT_DIR, Home
from core.labels import TEXT, fmt_change, fmt_value
from dashboards import users
from dashboards.access import LOOPBACK_VIEWER
from dashboards.charts import (
    DARK_INK,
    DAY_FORMAT,
    LIGHT_INK,
    SHARE_BINS,
    SHARE_PALETTE,
    bin_colour,
    china_map,
    contrast,
)
from dashboards.layout import UNBROKEN
from dashboards.opening import worst_breach

APP = str(PROJECT_DIR / "dashboards" / "app.py")
PAGES = ("overview", "province", "kpi", "breaches", "health", "definitions")
PAGE_LABELS = {
    "overview": "page_overview",
    "province": "page_province",
    "kpi": "page_kpi",
    "breaches": "page_breaches",
    "health": "page_health",
    "definitions": "page_definitions",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return published_home(tmp_path_factory)


@pytest.fixture(autouse=True)
def on_loopback():
    """The address ``kpiwatch dashboard`` listens on by default."""
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", None)


def run(home: Home, **params: str) -> AppTest:
    os.environ["KPIWATCH_HOME"] = str(home.root)
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    """Fill the dashboard's sign-in form and submit it."""
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def latest_period(home: Home) -> str:
    (period,) = marts_query(home, "select max(period_month) from marts.kpi_compliance")[0]
    return period.strftime("%Y-%m")


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return found[0]


def label(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("title", "subheader", "caption", "markdown", "info")
        for e in at.get(kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_both_languages(home: Home, page: str, lang: str) -> None:
    at = run(home, page=page, lang=lang)
    assert at.title[0].value == label("app_title", lang)
    assert not at.error
    assert at.query_params["page"] == page and at.query_params["lang"] == lang
    # Every page offers its tables as CSV.
    assert at.get("download_button"), "no CSV download on the page"
    # The page speaks one language: no section title is a label of the other one.
    other = {en if lang == "zh" else zh for zh, en in TEXT.values() if zh != en}
    assert not [s.value for s in at.subheader if s.value.split(" · ")[0] in other]
    assert label("published", lang) in texts(at)


def test_language_toggle_switches_every_name(home: Home) -> None:
    at = run(home, page="overview")
    assert at.query_params["lang"] == "zh"
    names_zh = dict(marts_query(home, "select kpi_id, name_zh from marts.dim_kpi_catalog"))
    shown = at.dataframe[0].value.iloc[:, 0].tolist()
    assert names_zh["hall_wait_15m"] in shown
    at.segmented_control(key="filter_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == TEXT["app_title"][1]
    assert at.query_params["lang"] == "en"
    names_en = dict(marts_query(home, "select kpi_id, name_en from marts.dim_kpi_catalog"))
    shown = at.dataframe[0].value.iloc[:, 0].tolist()
    assert names_en["hall_wait_15m"] in shown and names_zh["hall_wait_15m"] not in shown


def test_overview_figures_equal_the_marts(home: Home) -> None:
    period = latest_period(home)
    at = run(home, page="overview", period=period)
    met, judged = marts_query(
        home,
        """select count(*) filter (where is_compliant), count(*) from marts.kpi_compliance
        where province_code = '100000' and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    assert metric(at, TEXT["national_kpis_met"][0]) == f"{met} / {judged}"
    (breaches,) = marts_query(
        home,
        """select count(*) from marts.kpi_compliance where not is_compliant
        and province_code <> '100000' and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    assert metric(at, TEXT["breaches_province_kpi"][0]) == f"{breaches:,}"
    (cases,) = marts_query(
        home,
        "select count(*) from marts.kpi_breach_cases where strftime(period_month, '%Y-%m') = ?",
        [period],
    )[0]
    assert metric(at, TEXT["cases_beyond_limit"][0]) == f"{cases:,}"
    # The national standing shows each KPI's published value, formatted, never recomputed.
    rows = marts_query(
        home,
        """select c.name_zh, k.value, k.unit, k.is_compliant
        from marts.kpi_compliance as k
        join marts.dim_kpi_catalog as c
            on k.kpi_id = c.kpi_id and k.segment = c.segment
            and k.catalog_version = c.catalog_version
        where k.province_code = '100000' and strftime(k.period_month, '%Y-%m') = ?""",
        [period],
    )
    table = at.dataframe[0].value.set_index(TEXT["col_kpi"][0])
    assert len(table) == len(rows)
    for name, value, unit, compliant in rows:
        assert table.loc[name, TEXT["col_value"][0]] == fmt_value("zh", value, unit)
        assert table.loc[name, TEXT["col_status"][0]].startswith("✓" if compliant else "✗")


def test_map_colours_by_share_or_by_one_kpi(home: Home) -> None:
    at = run(home, page="overview", lang="en")
    assert at.query_params["map"] == "share"
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) >= 1
    at.segmented_control(key="filter_map").set_value("margin").run()
    assert not at.exception
    at.selectbox(key="filter_kpi").set_value("hotline_sl20").run()
    assert not at.exception
    assert at.query_params["map"] == "margin" and at.query_params["kpi"] == "hotline_sl20"
    # The period selector drives every figure.
    periods = [p.strftime("%Y-%m") for (p,) in marts_query(
        home, "select distinct period_month from marts.kpi_compliance order by 1"
    )]  # fmt: skip
    at.selectbox(key="filter_period").set_value(periods[0]).run()
    assert not at.exception and at.query_params["period"] == periods[0]


def test_a_link_reproduces_the_view(home: Home) -> None:
    period = latest_period(home)
    at = run(home, page="province", lang="en", period=period)
    at.selectbox(key="filter_province").set_value("440000").run()
    at.selectbox(key="filter_kpi").set_value("hall_handle_10m").run()
    assert not at.exception
    link = dict(at.query_params)
    assert link == {
        "page": "province",
        "lang": "en",
        "period": period,
        "province": "440000",
        "kpi": "hall_handle_10m",
    } | ({"map": link["map"]} if "map" in link else {})
    again = run(home, **link)
    assert [s.value for s in again.subheader] == [s.value for s in at.subheader]
    assert again.selectbox(key="filter_province").value == "440000"
    assert again.dataframe[0].value.equals(at.dataframe[0].value)


def _worst(home: Home, period: str) -> tuple[str, str, str, int]:
    """The province × KPI with the most cases beyond limit this period."""
    return marts_query(
        home,
        """select province_code, kpi_id, segment, breach_count from marts.kpi_compliance
        where province_code <> '100000' and strftime(period_month, '%Y-%m') = ?
            and breach_count > 0 and segment = 'all'
        order by breach_count desc, province_code limit 1""",
        [period],
    )[0]


def test_province_page_down_to_the_cases(home: Home) -> None:
    period = latest_period(home)
    province, kpi_id, _, breach_count = _worst(home, period)
    at = run(home, page="province", period=period, province=province, kpi=kpi_id)
    name = marts_query(
        home, "select name_zh from marts.dim_provinces where province_code = ?", [province]
    )[0][0]
    assert at.subheader[0].value == TEXT["province_kpis"][0].format(province=name)
    (cases,) = marts_query(
        home,
        """select count(*) from marts.kpi_breach_cases where province_code = ? and kpi_id = ?
        and strftime(period_month, '%Y-%m') = ?""",
        [province, kpi_id, period],
    )[0]
    assert cases == breach_count  # the mart's own reconciliation, which the page relies on
    assert f"{cases:,}" in "\n".join(c.value for c in at.caption)
    shown_cases = at.dataframe[-1].value
    assert len(shown_cases) == min(cases, 1000)
    ids = {r[0] for r in marts_query(
        home,
        """select case_id from marts.kpi_breach_cases where province_code = ? and kpi_id = ?
        and strftime(period_month, '%Y-%m') = ?""",
        [province, kpi_id, period],
    )}  # fmt: skip
    assert set(shown_cases.iloc[:, 0]) <= ids
    # Cities side by side: every published city of that KPI is there.
    (cities,) = marts_query(
        home,
        """select count(*) from marts.kpi_compliance_city where province_code = ? and kpi_id = ?
        and strftime(period_month, '%Y-%m') = ?""",
        [province, kpi_id, period],
    )[0]
    city_tables = [d.value for d in at.dataframe if TEXT["col_city"][0] in d.value.columns]
    if kpi_id.startswith("hotline"):
        assert cities == 0
    else:
        assert len(city_tables[0]) == cities
    # Switching province and KPI through the widgets.
    at.selectbox(key="filter_province").set_value("650000").run()
    at.selectbox(key="filter_kpi").set_value("broadband_repair_hours_max:rural").run()
    at.selectbox(key="filter_period").set_value(period).run()
    assert not at.exception
    assert at.query_params["province"] == "650000"
    assert at.query_params["kpi"] == "broadband_repair_hours_max:rural"


def test_no_page_scans_a_fact_table() -> None:
    """The facts hold every event (about 70 million rows in a national month): a page that
    reads one takes seconds cold. Pages read the marts built for them (breach cases carry
    the customer tier, marts.source_freshness how far each source reaches)."""
    source = (PROJECT_DIR / "dashboards" / "marts.py").read_text()
    assert "fct_" not in source
    for view in (PROJECT_DIR / "dashboards").rglob("*.py"):
        assert "marts.fct_" not in view.read_text(), view


def test_tiers_and_freshness_equal_what_the_facts_say(home: Home) -> None:
    os.environ["KPIWATCH_HOME"] = str(home.root)
    import streamlit as st

    from dashboards import marts

    st.session_state[marts.VIEWER] = LOOPBACK_VIEWER  # what the door admits on loopback
    period = marts.periods()[0]
    busiest = marts_query(
        home,
        """select province_code from marts.kpi_breach_cases where period_month = ?
        and source = 'hotline_calls' group by all order by count(*) desc, 1 limit 1""",
        [period],
    )[0][0]
    for province in (marts.NATIONAL, busiest):
        shown = marts.cases_by_tier(period, province)
        joined = marts_query(
            home,
            """
            select b.kpi_id, coalesce(h.customer_tier, c.customer_tier), count(*)
            from marts.kpi_breach_cases as b
            left join marts.fct_hall_tickets as h
                on b.source = 'hall_tickets' and b.case_id = h.ticket_id
            left join marts.fct_hotline_calls as c
                on b.source = 'hotline_calls' and b.case_id = c.call_id
            where b.period_month = ? and (? = '100000' or b.province_code = ?)
                and b.source in ('hall_tickets', 'hotline_calls')
            group by all
            """,
            [period, province, province],
        )
        assert joined and sorted(shown.itertuples(index=False, name=None)) == sorted(joined)
    fresh = marts.freshness()
    facts = marts_query(
        home,
        """
        select 'hall_tickets', province_code, max(taken_at) from marts.fct_hall_tickets
        group by all
        union all select 'hotline_calls', province_code, max(queued_at)
        from marts.fct_hotline_calls group by all
        union all select 'network_calls', province_code, max(stat_hour)
        from marts.fct_network_calls group by all
        union all select 'mobile_repairs', province_code, greatest(max(reported_at),
        max(restored_at)) from marts.fct_mobile_repairs group by all
        union all select 'broadband_faults', province_code, greatest(max(reported_at),
        max(restored_at)) from marts.fct_broadband_faults group by all
        union all select 'install_orders', province_code, greatest(max(accepted_at),
        max(completed_at)) from marts.fct_install_orders group by all
        """,
    )
    shown = {(r.source, r.province_code): r.latest_at.to_pydatetime() for r in fresh.itertuples()}
    assert shown == {(s, p): latest for s, p, latest in facts}


def test_kpi_page_ranks_the_published_values(home: Home) -> None:
    period = latest_period(home)
    at = run(home, page="kpi", period=period, kpi="hotline_sl20", lang="en")
    value, unit = marts_query(
        home,
        """select value, unit from marts.kpi_compliance where province_code = '100000'
        and kpi_id = 'hotline_sl20' and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    assert metric(at, f"{TEXT['col_value'][1]} · China (national)") == fmt_value("en", value, unit)
    met, provinces = marts_query(
        home,
        """select count(*) filter (where is_compliant), count(*) from marts.kpi_compliance
        where province_code <> '100000' and kpi_id = 'hotline_sl20'
        and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    assert metric(at, TEXT["provinces_all_met"][1]) == f"{met} / {provinces}"
    ranking = next(d.value for d in at.dataframe if TEXT["col_rank"][1] in d.value.columns)
    assert len(ranking) == provinces
    at.selectbox(key="filter_kpi").set_value("install_days_avg").run()
    at.selectbox(key="filter_period").set_value(period).run()
    assert not at.exception and at.query_params["kpi"] == "install_days_avg"


def test_breaches_page_counts_every_missed_kpi(home: Home) -> None:
    period = latest_period(home)
    at = run(home, page="breaches", period=period)
    (missed,) = marts_query(
        home,
        """select count(*) from marts.kpi_compliance where not is_compliant
        and province_code <> '100000' and strftime(period_month, '%Y-%m') = ?""",
        [period],
    )[0]
    shown = sum(int(metric(at, TEXT[level][0])) for level in ("critical", "major", "minor"))
    assert shown == missed
    assert len(at.dataframe[0].value) == missed
    province, kpi_id, _, _ = _worst(home, period)
    at.selectbox(key="filter_province").set_value(province).run()
    at.selectbox(key="filter_kpi").set_value(kpi_id).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1
    # The alert log is for the operations role: a national viewer is told so, and no more.
    assert TEXT["operations_only"][0] in texts(at)
    assert "audit.alerts" not in texts(at)


def test_data_health_matches_the_audit_tables(home: Home) -> None:
    at = run(home, page="health", lang="en")
    counts = dict(
        marts_query(home, "select status, count(*) from audit.ingest_files group by status")
    )
    assert metric(at, "loaded") == f"{counts.get('loaded', 0):,}"
    assert metric(at, "failed") == f"{counts.get('failed', 0):,}"
    (quarantined,) = marts_query(home, "select count(*) from audit.quarantine")[0]
    assert metric(at, TEXT["quarantined_rows"][1]) == f"{quarantined:,}"
    assert "quality/data_docs" in texts(at) or "Data Docs" in texts(at)


def test_definitions_show_the_whole_catalog(home: Home) -> None:
    at = run(home, page="definitions", lang="en")
    (versions,) = marts_query(home, "select count(*) from marts.dim_kpi_catalog")[0]
    assert len(at.dataframe[0].value) == versions
    (tiers,) = marts_query(home, "select count(*) from marts.dim_customer_tiers")[0]
    assert len(at.dataframe[1].value) == tiers
    (items,) = marts_query(
        home, "select count(distinct service_item_zh) from marts.dim_remote_services"
    )[0]
    assert len(at.dataframe[-1].value) == items


def _copy_home(home: Home, root: Path) -> Home:
    copy = Home.resolve(root)
    copy.root.mkdir(parents=True)
    shutil.copyfile(home.warehouse, copy.warehouse)
    return copy


def test_alerts_dq_results_and_data_docs_appear_once_published(home: Home, tmp_path: Path) -> None:
    copy = _copy_home(home, tmp_path / "later")
    staged = tmp_path / "staged.duckdb"
    shutil.copyfile(copy.warehouse, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute(
            """create or replace table audit.alerts as
            select timestamp '2026-10-31 09:00' as raised_at,
            '440000' as province_code, 'hotline_sl20' as kpi_id, 'critical' as severity,
            'sent' as status"""
        )
        con.execute(
            """create or replace table audit.dq_results as
            select timestamp '2026-10-31 08:00' as run_at,
            'hall_tickets' as suite, 'expect_column_values_to_not_be_null' as expectation,
            true as success"""
        )
    os.replace(staged, copy.warehouse)
    docs = copy.root / "quality" / "data_docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html><body>Data Docs</body></html>")
    # The alert log is for the operations role: sign in as one.
    users.add(copy, "noc", "operations", [], "operations-pass-1")
    at = sign_in(run(copy, page="breaches", lang="en"), "noc", "operations-pass-1")
    alerts = at.dataframe[-1].value
    assert list(alerts["kpi_id"]) == ["hotline_sl20"]
    at = sign_in(run(copy, page="health", lang="en"), "noc", "operations-pass-1")
    dq = next(d.value for d in at.dataframe if "expectation" in d.value.columns)
    assert bool(dq["success"].iloc[0])
    buttons = at.get("link_button")
    assert buttons and buttons[0].proto.url.endswith("/index.html")


def test_a_new_publication_shows_without_a_restart(home: Home, tmp_path: Path) -> None:
    copy = _copy_home(home, tmp_path / "republished")
    period = latest_period(home)
    at = run(copy, page="overview", period=period)
    before = metric(at, TEXT["cases_beyond_limit"][0])
    staged = tmp_path / "next.duckdb"
    shutil.copyfile(copy.warehouse, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute(
            "delete from marts.kpi_breach_cases where strftime(period_month, '%Y-%m') = ?",
            [period],
        )
    os.replace(staged, copy.warehouse)  # what `kpiwatch build` does to publish
    at.run()
    assert not at.exception
    assert before != "0" and metric(at, TEXT["cases_beyond_limit"][0]) == "0"


def test_no_published_warehouse_is_explained(tmp_path: Path) -> None:
    empty = Home.resolve(tmp_path / "empty")
    at = run(empty)
    assert at.warning and "kpiwatch build" in at.warning[0].value


# --- what a newcomer and an executive tripped over -----------------------------------------


def _change_column(at: AppTest, lang: str = "zh") -> list[str]:
    return at.dataframe[0].value[label("col_change", lang)].tolist()


def test_vs_previous_month_only_between_complete_months(home: Home, tmp_path: Path) -> None:
    """The shared warehouse holds 10 September to 24 October: both months partial, so no
    change is shown, and the table says why. Once one source covers every day of both months
    (filled in a copy), its KPIs compare like for like and the others still do not."""
    period = latest_period(home)
    at = run(home, page="overview", period=period)
    changes = _change_column(at)
    assert set(changes) <= {"—", TEXT["change_partial_current"][0]}
    assert TEXT["change_partial_current"][0] in changes
    assert TEXT["change_caption"][0] in texts(at)
    september = run(home, page="overview", period="2026-09", lang="en")
    assert set(_change_column(september, "en")) == {"—"}  # nothing before it to compare

    copy = _copy_home(home, tmp_path / "complete")
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute(
            """
            insert into marts.kpi_compliance_daily
            select one.* replace (day::date as period_date)
            from (
                select * from marts.kpi_compliance_daily
                where province_code = '100000' and kpi_id = 'hall_wait_15m' limit 1
            ) as one,
                range(date '2026-09-01', date '2026-11-01', interval 1 day) as days(day)
            where day::date not in (
                select period_date from marts.kpi_compliance_daily where kpi_id = 'hall_wait_15m'
            )
            """
        )
    rows = marts_query(
        copy,
        """select c.name_en, k.source, cur.value - prev.value, cur.unit
        from marts.kpi_compliance as cur
        join marts.kpi_compliance as prev using (province_code, kpi_id, segment)
        join (select distinct kpi_id, name_en, segment, source from marts.dim_kpi_catalog)
            as c using (kpi_id, segment)
        join (select distinct kpi_id, source from marts.dim_kpi_catalog) as k using (kpi_id)
        where cur.province_code = '100000' and cur.period_month = date '2026-10-01'
            and prev.period_month = date '2026-09-01'""",
    )
    at = run(copy, page="overview", period=period, lang="en")
    table = at.dataframe[0].value.set_index(label("col_kpi", "en"))
    compared = 0
    for name, source, change, unit in rows:
        shown = table.loc[name, label("col_change", "en")]
        if source == "hall_tickets":
            assert shown == fmt_change("en", change, unit)
            compared += 1
        else:
            assert shown == TEXT["change_partial_current"][1]
    assert compared == 4  # the four hall KPIs


def test_province_page_opens_on_its_worst_breach(home: Home) -> None:
    """No KPI in the link: the page opens on the province's largest relative shortfall."""
    period = latest_period(home)
    province = _worst(home, period)[0]
    at = run(home, page="province", period=period, province=province)
    shortfalls = dict(
        marts_query(
            home,
            """select if(segment = 'all', kpi_id, kpi_id || ':' || segment),
                -margin / if(threshold = 0, 1, abs(threshold))
            from marts.kpi_compliance where province_code = ? and not is_compliant
                and strftime(period_month, '%Y-%m') = ?""",
            [province, period],
        )
    )
    opened = at.query_params["kpi"]
    assert opened in shortfalls, "the page opened on a KPI the province meets"
    assert shortfalls[opened] == max(shortfalls.values())
    assert at.selectbox(key="filter_kpi").value == opened
    # A province that meets everything opens on the first KPI, as before.
    assert worst_breach(pd.DataFrame(columns=["kpi_key", "is_compliant"]), ["a"]) is None


def test_province_page_says_where_each_breach_s_shortfall_comes_from(home: Home) -> None:
    """Beside the province's KPIs, the top drivers of each of its breaches, in both languages,
    exactly as marts.kpi_breach_drivers ranks and words them."""
    period = latest_period(home)
    province = marts_query(
        home,
        """select province_code from marts.kpi_breach_drivers
        where strftime(period_month, '%Y-%m') = ? and province_code <> '100000'
        group by all order by count(*) desc, 1 limit 1""",
        [period],
    )[0][0]
    for lang in ("zh", "en"):
        expected = marts_query(
            home,
            f"""select driver_rank, driver_label_{lang} from marts.kpi_breach_drivers
            where province_code = ? and strftime(period_month, '%Y-%m') = ?
            order by if(segment = 'all', kpi_id, kpi_id || ':' || segment), driver_rank""",
            [province, period],
        )
        at = run(home, page="province", period=period, province=province, lang=lang)
        assert label("drivers_title", lang) in [s.value for s in at.subheader]
        shown = next(d.value for d in at.dataframe if label("col_driver", lang) in d.value.columns)
        ranks, texts_ = shown[label("col_driver_rank", lang)], shown[label("col_driver", lang)]
        rows = zip(ranks, texts_, strict=True)
        assert [(int(r), text) for r, text in rows] == expected
        assert expected and all(text for _, text in expected)


def test_tier_table_has_the_same_columns_in_both_languages(home: Home) -> None:
    period = latest_period(home)
    province = marts_query(
        home,
        """select province_code from marts.kpi_breach_cases
        where strftime(period_month, '%Y-%m') = ? and source in ('hall_tickets', 'hotline_calls')
        group by all having count(distinct kpi_id) >= 2 order by count(*) desc, 1 limit 1""",
        [period],
    )[0][0]
    columns = {}
    for lang in ("zh", "en"):
        at = run(home, page="province", period=period, province=province, lang=lang)
        tiers = next(d.value for d in at.dataframe if d.value.columns[0] == label("col_tier", lang))
        names = dict(
            marts_query(home, f"select distinct name_{lang}, kpi_id from marts.dim_kpi_catalog")
        )
        columns[lang] = [names[c] for c in tiers.columns[1:]]
    assert columns["zh"] == columns["en"] and len(columns["zh"]) >= 2


def test_an_absent_alert_log_is_said_in_a_sentence(home: Home, tmp_path: Path) -> None:
    copy = _copy_home(home, tmp_path / "no_alerts")
    users.add(copy, "noc", "operations", [], "operations-pass-1")
    at = sign_in(run(copy, page="breaches", lang="en"), "noc", "operations-pass-1")
    said = [i.value for i in at.info]
    assert "Alert log: not available yet (the warehouse has no audit.alerts)." in said, said


def test_trend_axis_and_header_dates_speak_the_page_s_language(home: Home) -> None:
    period = latest_period(home)
    for lang in ("zh", "en"):
        at = run(home, page="province", period=period, province="440000", lang=lang)
        specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
        axes = [
            x["axis"].get("format")
            for spec in specs
            for layer in spec.get("layer", [])
            if (x := layer.get("encoding", {}).get("x", {})).get("field") == "period_date"
            and "axis" in x
        ]
        assert axes and set(axes) == {DAY_FORMAT[lang]}, axes
        # Each date in the header stays whole, with its time, on one line.
        header = at.caption[0].value
        stamps = re.findall(r"\d{2}-\d{2} \d{2}:\d{2}", header)
        kept = re.findall(UNBROKEN.format(r"[^<]*?\d{2}-\d{2} \d{2}:\d{2}"), header)
        assert len(stamps) >= 2 and len(kept) == len(stamps), header


def test_map_labels_read_on_their_fill_and_all_met_is_a_full_legend_step() -> None:
    codes = [c for c in PROVINCE_CODES if c != "100000"]
    shares = pd.DataFrame(
        {
            "province_code": codes,
            "share_met": [i / (len(codes) - 1) for i in range(len(codes))],
            "short_name": codes,
        }
    )
    margins = shares.rename(columns={"share_met": "margin"}).assign(margin=lambda f: f.margin - 0.5)
    for frame, field, diverging in ((shares, "share_met", False), (margins, "margin", True)):
        spec = china_map("zh", frame, field, "legend", [], diverging)
        scale = spec["layer"][0]["encoding"]["color"]["scale"]
        assert scale["type"] == "threshold"  # one legend step per colour, none a sliver
        fills = {
            f["properties"]["province_code"]: bin_colour(
                f["properties"][field], scale["domain"], scale["range"]
            )
            for f in spec["datasets"]["served"]
        }
        labelled = {
            d["label"]: ink
            for dataset, ink in (("labels_dark", DARK_INK), ("labels_light", LIGHT_INK))
            for d in spec["datasets"][dataset]
        }
        assert set(labelled) == set(codes)
        for code, ink in labelled.items():
            assert contrast(ink, fills[code]) >= 4.5, (code, ink, fills[code])
    assert bin_colour(1.0, SHARE_BINS, SHARE_PALETTE) == SHARE_PALETTE[-1]  # all met: green
    assert bin_colour(0.99, SHARE_BINS, SHARE_PALETTE) != SHARE_PALETTE[-1]


def _at_risk_table(at: AppTest, lang: str) -> pd.DataFrame | None:
    column = label("at_risk_probability", lang)
    found = [d.value for d in at.dataframe if column in getattr(d.value, "columns", [])]
    return found[0] if found else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_at_risk_panel_shows_the_likely_misses_of_the_running_month(
    home: Home, tmp_path: Path, lang: str
) -> None:
    """The overview lists the running month's projections of marts.kpi_at_risk that are at
    least 50 % likely to miss (or already lost), likeliest first; a province page lists its
    own, or says nothing is at risk."""
    copy = _copy_home(home, tmp_path / "at_risk")
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute("delete from marts.kpi_at_risk")
        con.execute(
            """
            insert into marts.kpi_at_risk by name
            select
                date '2026-10-01' as period_month, province_code,
                province_code = '100000' as is_national, kpi_id, 'all' as segment,
                measure, comparator, threshold, unit, date '2026-10-20' as as_of_date,
                20 as days_observed, 31 as days_in_month, so_far as month_to_date_value,
                500 as sample_size, 0 as breach_count, 300.0 as expected_rest_cases,
                so_far as projected_value, low as projected_low, high as projected_high,
                probability as probability_non_compliant, lost as is_already_lost,
                0 as open_item_count, 0 as open_items_crossing_count, reliability,
                '2009.1' as catalog_version
            from (values
                ('440000', 'hall_wait_15m', 'share', '>=', 0.9, 'share', 0.87, 0.85, 0.89,
                 0.93, false, 'reliable'),
                ('110000', 'mobile_repair_hours_max', 'max', '<=', 48.0, 'hours', 50.0, 50.0,
                 60.0, 1.0, true, 'already_lost'),
                ('650000', 'hotline_sl20', 'share', '>=', 0.7, 'share', 0.75, 0.72, 0.78, 0.2,
                 false, 'reliable')
            ) as r (province_code, kpi_id, measure, comparator, threshold, unit, so_far, low,
                    high, probability, lost, reliability)
            """
        )
    table = _at_risk_table(run(copy, page="overview", lang=lang), lang)
    assert table is not None
    names = table[label("col_province", lang)].tolist()
    assert len(names) == 2 and "新疆" not in names[0]  # 650000 at 20 % is not shown
    chances = table[label("at_risk_probability", lang)].tolist()
    assert chances == [label("at_risk_lost", lang), "93%"]
    assert table[label("at_risk_days", lang)].tolist() == ["20 / 31", "20 / 31"]
    beijing = _at_risk_table(run(copy, page="province", province="110000", lang=lang), lang)
    assert beijing is not None and beijing[label("at_risk_probability", lang)].tolist() == [
        label("at_risk_lost", lang)
    ]
    at = run(copy, page="province", province="650000", lang=lang)
    assert _at_risk_table(at, lang) is None
    assert label("at_risk_none", lang) in [s.value for s in at.success]
