"""The dashboard's door in a real browser: a real ``kpiwatch dashboard`` on 127.0.0.1 with
sign-in configured, driven by Debian's headless Chromium.

One server with local users (national, provincial, operations) and one with single sign-on
against a small OpenID provider this test starts on 127.0.0.1 (``oidc-provider-mock``:
discovery document, JWKS, authorization-code flow, token endpoint). Both serve a copy of the
shared small warehouse (``built_home``: Beijing, Guangdong and Xinjiang).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from served_dashboard import chromium, needs_chromium, serve

from core.home import Home
from core.labels import TEXT
from dashboards import access, users

pytestmark = needs_chromium

PASSWORDS = {"boss": "national-pass-1", "gd": "provincial-pass-1", "noc": "operations-pass-1"}


def zh(key: str, **values: str) -> str:
    text = TEXT[key][0]
    return text.format(**values) if values else text


def query(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _copy(built_home: Home, root: Path) -> Home:
    home = Home.resolve(root)
    home.root.mkdir(parents=True)
    shutil.copyfile(built_home.warehouse, home.warehouse)
    return home


@pytest.fixture(scope="module")
def own_province(built_home: Home) -> str:
    """The provincial user's province: the one with the most cases beyond a limit."""
    return query(
        built_home,
        """select province_code from marts.kpi_breach_cases group by all
        order by count(*) desc limit 1""",
    )[0][0]


@pytest.fixture(scope="module")
def local_home(built_home: Home, own_province: str, tmp_path_factory) -> Home:
    home = _copy(built_home, tmp_path_factory.mktemp("door_local") / "home")
    users.add(home, "boss", "national", [], PASSWORDS["boss"])
    users.add(home, "gd", "provincial", [own_province], PASSWORDS["gd"])
    users.add(home, "noc", "operations", [], PASSWORDS["noc"])
    return home


@pytest.fixture(scope="module")
def local_server(local_home: Home) -> Iterator[str]:
    yield from serve(local_home)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _settled(page) -> None:
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_timeout(500)


def _open(page, url: str) -> None:
    page.goto(url)
    _settled(page)


def _sign_in(page, name: str, password: str, refused: bool = False) -> None:
    page.get_by_label(zh("user_name"), exact=True).fill(name)
    page.get_by_label(zh("password"), exact=True).fill(password)
    page.get_by_role("button", name=zh("sign_in"), exact=True).click()
    if refused:
        page.get_by_text(zh("sign_in_refused")).wait_for(timeout=30_000)
    else:
        page.get_by_label(zh("password"), exact=True).wait_for(state="detached", timeout=30_000)
    _settled(page)


def _sign_out(page, lang: str = "zh") -> None:
    page.get_by_role("button", name=TEXT["sign_out"][lang == "en"]).click()
    page.get_by_label(TEXT["password"][lang == "en"], exact=True).wait_for(timeout=30_000)
    _settled(page)


def _on_sign_in_page(page) -> None:
    """The sign-in form is there, and nothing read from the warehouse is."""
    assert page.get_by_text(zh("sign_in_title"), exact=True).count() == 1
    assert page.get_by_label(zh("password"), exact=True).count() == 1
    for data in ('[data-testid="stMetric"]', '[data-testid="stDataFrame"]', ".vega-embed"):
        assert page.locator(data).count() == 0, data
    assert page.get_by_text(zh("published")).count() == 0


def _log(home: Home) -> str:
    return access.log_path(home).read_text(encoding="utf-8")


def _no_exception(home: Home) -> None:
    """No script run failed on the server (an exception is also what a viewer would see)."""
    server_log = (home.root / "dashboard-server.log").read_text(encoding="utf-8")
    assert "Traceback" not in server_log and "Error" not in server_log, server_log[-3000:]


def _province_names(home: Home) -> dict[str, str]:
    return dict(query(home, "select province_code, name_zh from marts.dim_provinces"))


def test_an_unsigned_request_gets_the_sign_in_page_and_no_data(
    local_home: Home, local_server: str, page
) -> None:
    names = _province_names(local_home)
    (national_value,) = query(
        local_home,
        """select count(*) filter (where is_compliant) || ' / ' || count(*)
        from marts.kpi_compliance where province_code = '100000'""",
    )[0]
    # What Streamlit serves over plain HTTP before anyone signs in: no mart data.
    for path in ("/", "/?page=province&province=440000", "/province?province=440000",
                 "/_stcore/host-config"):  # fmt: skip
        with urllib.request.urlopen(f"{local_server}{path}", timeout=10) as answer:
            body = answer.read().decode("utf-8", "replace")
        assert answer.status == 200
        for name in names.values():
            assert name not in body, (path, name)
        assert "kpi_compliance" not in body and "hall_wait_15m" not in body
    # In the browser: the sign-in page, whatever the link asks for.
    _open(page, f"{local_server}/?page=province&province=440000&lang=zh")
    _on_sign_in_page(page)
    text = page.inner_text("body")
    assert not [n for n in names.values() if n in text]
    assert national_value not in text
    _no_exception(local_home)


def test_a_wrong_password_is_refused_and_logged(local_home: Home, local_server: str, page) -> None:
    _open(page, f"{local_server}/?page=overview")
    _sign_in(page, "boss", "not-the-password", refused=True)
    assert page.get_by_text(zh("sign_in_refused")).count() == 1
    _on_sign_in_page(page)
    _sign_in(page, "nobody", PASSWORDS["boss"], refused=True)
    assert page.get_by_text(zh("sign_in_refused")).count() == 1
    _on_sign_in_page(page)
    log = _log(local_home)
    assert re.search(r'user="boss" method=local outcome=refused-wrong-credentials client=', log)
    assert 'user="nobody" method=local outcome=refused-wrong-credentials' in log
    assert "not-the-password" not in log and PASSWORDS["boss"] not in log
    _no_exception(local_home)


def test_sign_in_stays_across_reruns_and_sign_out_closes(
    local_home: Home, local_server: str, page
) -> None:
    met, judged = query(
        local_home,
        """select count(*) filter (where is_compliant), count(*) from marts.kpi_compliance
        where province_code = '100000'
            and period_month = (select max(period_month) from marts.kpi_compliance)""",
    )[0]
    _open(page, f"{local_server}/?page=overview")
    _sign_in(page, "boss", PASSWORDS["boss"])
    metric = page.locator('[data-testid="stMetric"]').first
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == f"{met} / {judged}"
    role = zh("signed_in_as", name="boss", role=zh("role_national"))
    assert page.get_by_text(role).count() == 1
    # Reruns (another language, another page) keep the session signed in.
    page.get_by_text("English", exact=True).click()
    page.wait_for_url(re.compile(r"lang=en"), timeout=30_000)
    _settled(page)
    page.get_by_role("link", name=TEXT["page_health"][1]).click()
    page.wait_for_url(re.compile(r"page=health"), timeout=30_000)
    _settled(page)
    assert page.locator('[data-testid="stMetric"]').count() >= 4
    assert page.get_by_label(TEXT["password"][1], exact=True).count() == 0
    _sign_out(page, "en")
    assert page.get_by_text(TEXT["sign_in_title"][1], exact=True).count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0
    log = _log(local_home)
    assert 'user="boss" method=local outcome=signed-in role=national' in log
    assert 'user="boss" method=local outcome=signed-out' in log
    _no_exception(local_home)


def _download(page, key: str) -> list[dict[str, str]]:
    """Press a table's CSV button and read the file the browser receives."""
    button = page.locator(f".st-key-download_{key} button")
    with page.expect_download(timeout=30_000) as info:
        button.click()
    data = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


def test_a_provincial_user_sees_nothing_of_another_province(
    local_home: Home, local_server: str, own_province: str, page
) -> None:
    names = _province_names(local_home)
    others = [c for c in names if c not in (own_province, "100000")]
    # A hand-edited link to another province.
    _open(page, f"{local_server}/?page=province&province={others[0]}")
    _sign_in(page, "gd", PASSWORDS["gd"])
    assert f"province={own_province}" in page.url
    assert page.locator(".st-key-filter_province input").input_value() == names[own_province]
    text = page.inner_text("body")
    assert zh("province_kpis", province=names[own_province]) in text
    for code in others:
        assert names[code] not in text
    page.locator(".st-key-filter_province").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == [names[own_province]]
    page.keyboard.press("Escape")
    # The CSV downloads of the overview hold only its province.
    page.get_by_role("link", name=zh("page_overview")).click()
    page.wait_for_url(re.compile(r"page=overview"), timeout=30_000)
    _settled(page)
    scores = _download(page, "scores")
    assert {r["province_code"] for r in scores} == {own_province}
    matrix = _download(page, "matrix")
    assert matrix and {r["province_code"] for r in matrix} == {own_province}
    # The breaches page offers all (its) provinces, never the one in the link.
    _open(page, f"{local_server}/?page=breaches&province={others[1]}")
    _sign_in(page, "gd", PASSWORDS["gd"])  # a new browser session signs in again
    assert "province=all" in page.url
    page.locator(".st-key-filter_province").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == [zh("all_provinces"), names[own_province]]
    page.keyboard.press("Escape")
    assert page.get_by_text(zh("operations_only")).count() == 1  # no alert log
    assert 'user="gd" method=local outcome=signed-in role=provincial' in _log(local_home)
    _no_exception(local_home)


def test_operations_see_quarantined_records_and_national_users_do_not(
    local_home: Home, local_server: str, page
) -> None:
    (first_reason,) = query(
        local_home,
        "select reasons[1] from audit.quarantine order by file_id desc, row_number limit 1",
    )[0]
    _open(page, f"{local_server}/?page=health")
    _sign_in(page, "boss", PASSWORDS["boss"])
    assert page.get_by_text(zh("quarantined_rows")).count() >= 1  # the count is there
    assert page.get_by_text(zh("quarantine_sample")).count() == 0
    assert page.get_by_text(zh("recent_files")).count() == 0
    assert page.get_by_text(zh("operations_only")).count() >= 1
    _sign_out(page)
    _sign_in(page, "noc", PASSWORDS["noc"])
    page.get_by_text(zh("quarantine_sample")).click()
    page.wait_for_timeout(800)
    sample = _download(page, "quarantined")
    assert sample and sample[0]["reasons"].split(", ")[0] == first_reason
    assert page.get_by_text(zh("operations_only")).count() == 0
    _no_exception(local_home)


# --- single sign-on ------------------------------------------------------------------------

SSO_SECRET = "test-client-secret-1234"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[str]:
    """An OpenID provider on 127.0.0.1 with two people: one mapped to a role, one not."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP, on loopback only
    provider = app(
        require_nonce=True,
        user_claims=[
            User(
                sub="li",
                claims={"email": "li.na@example.cn", "email_verified": True, "name": "Li Na"},
            ),
            User(sub="eve", claims={"email": "eve@example.cn", "groups": ["staff"]}),
        ],
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


@pytest.fixture(scope="module")
def sso_home(built_home: Home, own_province: str, identity_provider: str, tmp_path_factory):
    home = _copy(built_home, tmp_path_factory.mktemp("door_sso") / "home")
    (home.root / "kpiwatch.toml").write_text(
        f"""
[dashboard.oidc]
server_metadata_url = "{identity_provider}/.well-known/openid-configuration"
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
client_id = "kpiwatch-dashboard"
client_secret_env = "KPIWATCH_TEST_OIDC_SECRET"

[[dashboard.oidc.roles]]
email = "li.na@example.cn"
role = "provincial"
provinces = ["{own_province}"]

[[dashboard.oidc.roles]]
group = "kpi-national"
role = "national"
"""
    )
    return home


@pytest.fixture(scope="module")
def sso_server(sso_home: Home) -> Iterator[str]:
    yield from serve(sso_home, {"KPIWATCH_TEST_OIDC_SECRET": SSO_SECRET})


def _through_provider(page, sso_server: str, identity_provider: str, who: str) -> None:
    _open(page, f"{sso_server}/?page=province")
    page.get_by_role("button", name=zh("sign_in_sso")).click()
    page.wait_for_url(re.compile(re.escape(identity_provider) + r"/oauth2/authorize"))
    page.get_by_role("button", name=who, exact=True).click()
    page.wait_for_url(re.compile(re.escape(sso_server) + r"/"), timeout=30_000)
    _settled(page)


def test_single_sign_on_maps_the_identity_to_its_role(
    sso_home: Home, sso_server: str, identity_provider: str, own_province: str, page
) -> None:
    names = _province_names(sso_home)
    _open(page, f"{sso_server}/?page=province")
    assert page.get_by_role("button", name=zh("sign_in_sso")).count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0
    _through_provider(page, sso_server, identity_provider, "li")
    role = zh("signed_in_as", name="li.na@example.cn", role=zh("role_provincial"))
    assert page.get_by_text(f"{role} · {own_province}").count() == 1
    _open(page, f"{sso_server}/?page=province")  # a new session: the identity cookie holds
    text = page.inner_text("body")
    assert zh("province_kpis", province=names[own_province]) in text
    assert not [n for c, n in names.items() if c not in (own_province, "100000") and n in text]
    assert 'user="li.na@example.cn" method=oidc outcome=signed-in role=provincial' in _log(sso_home)
    page.get_by_role("button", name=zh("sign_out")).click()
    page.wait_for_timeout(1500)
    _open(page, f"{sso_server}/?page=province")
    assert page.get_by_role("button", name=zh("sign_in_sso")).count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert 'user="li.na@example.cn" method=oidc outcome=signed-out' in _log(sso_home)
    _no_exception(sso_home)


def test_single_sign_on_refuses_an_unknown_identity(
    sso_home: Home, sso_server: str, identity_provider: str, page
) -> None:
    _through_provider(page, sso_server, identity_provider, "eve")
    assert page.get_by_text(zh("no_access", name="eve@example.cn")).count() == 1
    for data in ('[data-testid="stMetric"]', '[data-testid="stDataFrame"]', ".vega-embed"):
        assert page.locator(data).count() == 0, data
    assert 'user="eve@example.cn" method=oidc outcome=refused-unknown-identity' in _log(sso_home)
    _no_exception(sso_home)
