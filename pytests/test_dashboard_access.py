"""The dashboard's door without a browser: the ``kpiwatch users`` commands and their file,
``kpiwatch dashboard`` refusing to serve others without sign-in, the SSO settings turned
into private Streamlit secrets, roles mapped from identities, and the query layer keeping
every viewer to their provinces. The browser tests are in ``test_dashboard_access_browser.py``.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from core.home import PROJECT_DIR, Home
from core.labels import TEXT
from dashboards import access, oidc, users
from dashboards.access import Viewer
from kpiwatch import children
from kpiwatch.cli import app

runner = CliRunner()


def kpiwatch(home: Home, *args: str, stdin: str | None = None):
    return runner.invoke(app, ["--home", str(home.root), *args], input=stdin)


def one_error_line(result) -> str:
    """The command failed with exit 2 and one clear line, no traceback."""
    text = result.output.strip()
    assert result.exit_code == 2, text
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert text.startswith("error:"), text
    return text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_users_are_added_listed_and_removed_without_showing_a_hash(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    result = kpiwatch(
        home, "users", "add", "li.na", "--role", "provincial", "--province", "440000",
        "--province", "450000", "--password-stdin", stdin="correct horse battery\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = kpiwatch(home, "users", "add", "boss", "--role", "national", "--password-stdin",
                      stdin="national-secret\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    file = users.path(home)
    assert mode(file) == 0o600 and mode(file.parent) == 0o700
    text = file.read_text()
    assert "correct horse battery" not in text and "national-secret" not in text
    stored = json.loads(text)["users"]
    assert stored["li.na"]["hash"].startswith("$argon2id$")
    assert stored["li.na"]["hash"] != stored["boss"]["hash"]
    assert stored["li.na"]["provinces"] == ["440000", "450000"]

    listed = kpiwatch(home, "users", "list")
    assert listed.exit_code == 0
    assert "li.na" in listed.output and "440000, 450000" in listed.output
    assert "boss" in listed.output and "national" in listed.output
    assert "$argon2" not in listed.output and "hash" not in listed.output

    assert users.verify(home, "li.na", "correct horse battery") == Viewer(
        "li.na", "provincial", ("440000", "450000"), "local"
    )
    assert users.verify(home, "li.na", "correct horse batterY") is None
    assert users.verify(home, "nobody", "correct horse battery") is None

    # Adding the same name replaces the entry (a new password, a new role).
    result = kpiwatch(home, "users", "add", "li.na", "--role", "operations", "--password-stdin",
                      stdin="another password\n")  # fmt: skip
    assert result.exit_code == 0 and "replaced" in result.output
    assert users.verify(home, "li.na", "correct horse battery") is None
    assert users.verify(home, "li.na", "another password").role == "operations"

    assert kpiwatch(home, "users", "remove", "li.na").exit_code == 0
    assert users.verify(home, "li.na", "another password") is None
    assert [u.name for u in users.listed(home)] == ["boss"]
    assert mode(file) == 0o600


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["add", "x1", "--role", "provincial"], "long enough\n", "needs its provinces"),
        (["add", "x1", "--role", "national", "--province", "440000"], "long enough\n",
         "give no --province"),
        (["add", "x1", "--role", "provincial", "--province", "999999"], "long enough\n",
         "999999"),
        (["add", "x1", "--role", "admin"], "long enough\n", "unknown role 'admin'"),
        (["add", "x1", "--role", "national"], "short\n", "too short"),
        (["add", "a [b]", "--role", "national"], "long enough\n", "user name 'a [b]'"),
        (["remove", "ghost"], None, "no user 'ghost'"),
    ],
)  # fmt: skip
def test_users_refuse_bad_input_with_one_line(
    tmp_path: Path, args: list[str], stdin: str | None, expected: str
) -> None:
    home = Home.resolve(tmp_path / "home")
    if args[0] == "add":
        args = [*args, "--password-stdin"]
    line = one_error_line(kpiwatch(home, "users", *args, stdin=stdin))
    assert expected in line
    assert not users.listed(home)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Streamlit commands ``kpiwatch dashboard`` would have run (none is started: a broken
    door must not open a server on another address during the test)."""
    calls: list[list[str]] = []

    def serve(command, **kwargs):
        calls.append(command)
        return 0

    monkeypatch.setattr(children, "serve", serve)
    return calls


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_dashboard_listens_on_loopback_and_refuses_others_without_sign_in(
    tmp_path: Path, started: list[list[str]]
) -> None:
    home = Home.resolve(tmp_path / "home")
    assert kpiwatch(home, "dashboard").exit_code == 0
    assert option(started[-1], "--server.address") == "127.0.0.1"

    for address in ("0.0.0.0", "10.1.2.3", "::", "kpi.example.cn"):
        line = one_error_line(kpiwatch(home, "dashboard", "--address", address))
        assert f"on {address} without sign-in" in line and "kpiwatch users add" in line
    assert len(started) == 1  # none of them started

    kpiwatch(home, "users", "add", "boss", "--role", "national", "--password-stdin",
             stdin="national-secret\n")  # fmt: skip
    assert kpiwatch(home, "dashboard", "--address", "0.0.0.0").exit_code == 0
    assert option(started[-1], "--server.address") == "0.0.0.0"
    assert option(started[-1], "--secrets.files") == str(oidc.secrets_file(home))

    # A users file others can read is refused: its hashes could be attacked offline.
    os.chmod(users.path(home), 0o644)
    line = one_error_line(kpiwatch(home, "dashboard", "--address", "0.0.0.0"))
    assert "chmod 600" in line
    assert len(started) == 2
    # With its last user removed, the file no longer lets the dashboard out.
    os.chmod(users.path(home), 0o600)
    kpiwatch(home, "users", "remove", "boss")
    one_error_line(kpiwatch(home, "dashboard", "--address", "0.0.0.0"))
    assert len(started) == 2


SSO = """
[dashboard]
url = "http://kpi.example.cn:8501"

[dashboard.oidc]
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
client_id = "kpiwatch"
client_secret_env = "KPIWATCH_TEST_OIDC_SECRET"
groups_claim = "groups"

[[dashboard.oidc.roles]]
group = "kpi-national"
role = "national"

[[dashboard.oidc.roles]]
email = "Li.Na@example.cn"
role = "provincial"
provinces = ["440000"]

[[dashboard.oidc.roles]]
group = "noc"
role = "operations"
"""


def test_sso_settings_become_private_streamlit_secrets(
    tmp_path: Path, started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    (home.root / "kpiwatch.toml").write_text(SSO)
    monkeypatch.delenv("KPIWATCH_TEST_OIDC_SECRET", raising=False)
    line = one_error_line(kpiwatch(home, "dashboard", "--address", "0.0.0.0"))
    assert "KPIWATCH_TEST_OIDC_SECRET is not set" in line and not started

    monkeypatch.setenv("KPIWATCH_TEST_OIDC_SECRET", "s3cret-from-the-vault")
    assert kpiwatch(home, "dashboard", "--address", "0.0.0.0").exit_code == 0
    secrets = oidc.secrets_file(home)
    assert option(started[-1], "--secrets.files") == str(secrets)
    assert mode(secrets) == 0o600 and mode(secrets.parent) == 0o700
    assert mode(home.secrets) == 0o700
    auth = tomllib.loads(secrets.read_text())["auth"]
    assert auth["redirect_uri"] == "http://127.0.0.1:{port}/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32
    assert auth["sso"]["client_secret"] == "s3cret-from-the-vault"
    assert auth["sso"]["client_id"] == "kpiwatch"
    assert "s3cret" not in (home.root / "kpiwatch.toml").read_text()
    # The cookie key is kept, so a restart does not sign everyone out.
    cookie = auth["cookie_secret"]
    kpiwatch(home, "dashboard")
    assert tomllib.loads(secrets.read_text())["auth"]["cookie_secret"] == cookie
    # The alerting settings, which own [dashboard] url, accept the section.
    from core.config.settings import load_settings

    assert load_settings(home).alerts.dashboard_url == "http://kpi.example.cn:8501"
    # SSO switched off: the secrets are removed at the next start.
    (home.root / "kpiwatch.toml").write_text('[dashboard]\nurl = "http://kpi.example.cn"\n')
    assert kpiwatch(home, "dashboard").exit_code == 0
    assert not secrets.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("client_id = \"kpiwatch\"", "client_ids = \"kpiwatch\""), "give exactly one of"),
        (("role = \"national\"", "role = \"king\""), "unknown role 'king'"),
        (("/oauth2callback", "/callback"), "ending in /oauth2callback"),
        (("groups_claim", "group_claim"), "unknown key(s) group_claim"),
    ],
)  # fmt: skip
def test_a_wrong_sso_setting_is_one_line(
    tmp_path: Path, started: list[list[str]], change: tuple[str, str], expected: str
) -> None:
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    (home.root / "kpiwatch.toml").write_text(SSO.replace(*change, 1))
    line = one_error_line(kpiwatch(home, "dashboard"))
    assert expected in line and "kpiwatch.toml" in line and not started


def test_identities_map_to_roles_and_unknown_ones_get_nothing(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    (home.root / "kpiwatch.toml").write_text(SSO)
    sso = oidc.settings(home)
    assert sso is not None
    national = sso.viewer({"sub": "1", "email": "a@example.cn", "groups": ["x", "kpi-national"]})
    assert national == Viewer("a@example.cn", "national", (), "oidc")
    provincial = sso.viewer({"sub": "2", "email": "li.na@example.cn", "email_verified": True})
    assert provincial == Viewer("li.na@example.cn", "provincial", ("440000",), "oidc")
    assert provincial.allowed_provinces == ("100000", "440000")
    assert sso.viewer({"sub": "3", "email": "li.na@example.cn", "email_verified": False}) is None
    assert sso.viewer({"sub": "4", "email": "who@example.cn", "groups": ["staff"]}) is None
    assert sso.viewer({"sub": "5", "groups": "noc"}).sees_operations


def test_the_access_log_is_one_line_per_event_and_cannot_be_forged(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    access.log_event(home, "mallory\n2026-01-01 user=boss outcome=signed-in", "local",
                     "refused-wrong-credentials", "10.0.0.9")  # fmt: skip
    access.log_event(home, "boss", "oidc", "signed-out")
    lines = access.log_path(home).read_text().splitlines()
    assert len(lines) == 2
    assert 'user="mallory\\n2026-01-01 user=boss outcome=signed-in"' in lines[0]
    assert lines[0].endswith("method=local outcome=refused-wrong-credentials client=10.0.0.9")
    assert lines[1].endswith('user="boss" method=oidc outcome=signed-out client=-')


# --- the query layer ----------------------------------------------------------------------


@pytest.fixture
def as_viewer(built_home: Home, monkeypatch: pytest.MonkeyPatch):
    """Put a viewer in the (bare) Streamlit session, as the door does, and read as them."""
    monkeypatch.setenv("KPIWATCH_HOME", str(built_home.root))
    from dashboards import marts

    def use(viewer: Viewer | None):
        st.session_state.pop(marts.VIEWER, None)
        if viewer is not None:
            st.session_state[marts.VIEWER] = viewer
        return marts

    yield use
    st.session_state.pop("kpiwatch_viewer", None)


def province_frames(marts, period: date) -> dict[str, pd.DataFrame]:
    """Every query that returns province rows, for the provinces in the built warehouse."""
    frames = {
        "provinces": marts.provinces(),
        "headline_scores": marts.province_scores(period),
        "kpi_across_provinces": marts.kpi_across_provinces(period, "hall_wait_15m", "all"),
        "matrix": marts.matrix(period),
        "current_breaches": marts.current_breaches(period),
        "past_breaches": marts.past_breaches(period),
        "freshness": marts.freshness(),
    }
    for code in ("110000", "440000", "650000"):
        _, cases = marts.breach_cases(period, code, "hall_wait_15m", "all")
        frames[f"cases_{code}"] = cases
        frames[f"cases_all_via_{code}"] = marts.breach_cases(
            period, marts.NATIONAL, "hall_wait_15m", "all"
        )[1]
        for name, frame in {
            "standing": marts.standing(period, code),
            "daily": marts.daily_series(code, "hall_wait_15m", "all"),
            "monthly": marts.monthly_series(code, "hall_wait_15m", "all"),
            "cities": marts.city_values(period, code, "hall_wait_15m", "all"),
            "dim_cities": marts.cities(code),
            "segments": marts.segments(period, code),
            "tiers": marts.cases_by_tier(period, code),
        }.items():
            frames[f"{name}_{code}"] = frame.assign(province_code=code) if len(frame) else frame
    return frames


def test_the_query_layer_keeps_each_viewer_to_their_provinces(as_viewer) -> None:
    marts = as_viewer(None)
    with pytest.raises(marts.NotAllowed):
        marts.provinces()  # nobody signed in: not one row

    marts = as_viewer(Viewer("boss", "national"))
    period = marts.periods()[0]
    everything = province_frames(marts, period)
    seen = set().union(*(set(f["province_code"]) for f in everything.values() if len(f)))
    assert {"100000", "110000", "440000", "650000"} <= seen
    national_headline = marts.headline(period).iloc[0]
    # The provincial viewer's province: the one with the most cases beyond a limit.
    with duckdb.connect(str(marts.home().warehouse), read_only=True) as con:
        own, kpi_id, segment = con.execute(
            """select province_code, kpi_id, segment from marts.kpi_breach_cases
            where period_month = ? group by all order by count(*) desc limit 1""",
            [period],
        ).fetchone()
        (own_cases,) = con.execute(
            """select count(*) from marts.kpi_breach_cases
            where period_month = ? and province_code = ? and kpi_id = ? and segment = ?""",
            [period, own, kpi_id, segment],
        ).fetchone()
    others = {"110000", "440000", "650000"} - {own}
    all_cases = marts.breach_cases(period, marts.NATIONAL, kpi_id, segment)[1]
    assert set(all_cases["province_code"]) > {own}  # other provinces have cases too

    marts = as_viewer(Viewer("li.na", "provincial", (own,)))
    mine = province_frames(marts, period)
    for name, frame in mine.items():
        assert frame.empty or set(frame["province_code"]) <= {"100000", own}, name
        if name.endswith(tuple(f"_{code}" for code in others)):
            assert frame.empty, name  # asking for another province by code: nothing
    for name in ("matrix", "provinces", "kpi_across_provinces", "freshness"):
        assert 0 < len(mine[name]) < len(everything[name]), name

    def by_kpi(frame: pd.DataFrame) -> pd.DataFrame:  # the standing query has no order
        return frame.sort_values("kpi_key").reset_index(drop=True)

    standing = by_kpi(mine[f"standing_{own}"])
    assert len(standing) and standing.equals(by_kpi(everything[f"standing_{own}"]))  # all of it
    missed = everything["current_breaches"]
    assert mine["current_breaches"].equals(
        missed[missed["province_code"] == own].reset_index(drop=True)
    )
    total, cases = marts.breach_cases(period, marts.NATIONAL, kpi_id, segment)
    assert total == own_cases == len(cases) and set(cases["province_code"]) == {own}
    headline = marts.headline(period).iloc[0]
    assert headline.national_judged == national_headline.national_judged  # the nation: same
    assert headline.provinces == 1 < national_headline.provinces
    assert headline.cases <= national_headline.cases

    for records in (marts.quarantine_sample, marts.alerts, marts.failed_files, marts.recent_files):
        with pytest.raises(marts.NotAllowed):
            records()
    marts = as_viewer(Viewer("boss", "national"))
    with pytest.raises(marts.NotAllowed):
        marts.quarantine_sample()
    marts = as_viewer(Viewer("noc", "operations"))
    assert len(marts.quarantine_sample()) > 0
    assert marts.recent_files()["file_id"].is_unique


# --- the app's own door (AppTest: the same script a browser session runs) ------------------


@pytest.fixture
def app_home(built_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir(parents=True)
    home.warehouse.write_bytes(built_home.warehouse.read_bytes())
    monkeypatch.setenv("KPIWATCH_HOME", str(home.root))
    return home


def _app(address: str | None) -> AppTest:
    config.set_option("server.address", address)
    at = AppTest.from_file(str(PROJECT_DIR / "dashboards" / "app.py"), default_timeout=90)
    at.query_params["page"] = "overview"
    return at.run()


@pytest.fixture
def restore_address():
    yield
    config.set_option("server.address", None)


def test_served_to_others_without_sign_in_the_app_shows_nothing(
    app_home: Home, restore_address
) -> None:
    """``streamlit run`` by hand on every interface (its default) with nothing configured."""
    for address in (None, "0.0.0.0"):
        at = _app(address)
        assert not at.exception
        assert [e.value for e in at.error] == [TEXT["door_closed"][0]]
        assert not at.metric and not at.dataframe and not at.get("download_button")
    at = _app("127.0.0.1")  # the same, on loopback: a national viewer
    assert not at.exception and at.metric and not at.error


def test_a_removed_user_is_signed_out_at_the_next_rerun(app_home: Home, restore_address) -> None:
    users.add(app_home, "gd", "provincial", ["440000"], "provincial-pass-1")
    at = _app("127.0.0.1")
    assert at.text_input(key="sign_in_password") and not at.metric  # sign-in even on loopback
    at.text_input(key="sign_in_name").input("gd")
    at.text_input(key="sign_in_password").input("provincial-pass-1")
    at.button[0].click().run()
    assert not at.exception and at.metric
    assert at.session_state[marts_viewer_key()].provinces == ("440000",)
    users.add(app_home, "gd", "provincial", ["650000"], "provincial-pass-1")  # role changed
    at.run()
    assert at.session_state[marts_viewer_key()].provinces == ("650000",)
    users.remove(app_home, "gd")  # the last user: the door stays shut, even on loopback
    at.run()
    assert not at.exception and not at.metric
    assert at.text_input(key="sign_in_password")
    log = access.log_path(app_home).read_text()
    assert 'user="gd" method=local outcome=session-ended-user-removed' in log
    assert not _app("127.0.0.1").metric
    users.path(app_home).unlink()  # no users file at all: open loopback use again
    assert _app("127.0.0.1").metric


def marts_viewer_key() -> str:
    from dashboards import marts

    return marts.VIEWER
