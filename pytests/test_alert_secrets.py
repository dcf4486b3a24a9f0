"""No channel secret ever reaches a message, a table, a log or an exception.

Each chat channel is configured the way the robots really carry their tokens — Feishu and
Slack in the URL path, WeCom and DingTalk in the query, a relay in ``user:password@`` —
with a fresh random token per test, half of them through environment variables and half
inline in kpiwatch.toml. A real HTTP receiver on 127.0.0.1 then misbehaves in every way a
robot endpoint can (an error status, a closed connection, a redirect to a URL carrying a
token, no answer in time, an echo of the request, token and all), an SMTP server refuses
the login and repeats the user name and password it got, and ``kpiwatch run`` runs as an
operator would run it, in a child process. Afterwards no token may appear in its stdout or
stderr, in any column of any ``audit`` table of the working or the published warehouse, in
any file under the home but kpiwatch.toml itself, or in the text of the exception
``channels.send`` raises for the same digest.

The home is one where a build already happened (marts written by the test, a build
recorded for the current dbt project, a published copy): the run skips dbt and takes a few
seconds, and its breaches give every channel a digest to fail with.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from receivers import MISBEHAVIOURS, HttpReceiver, SmtpReceiver, free_port
from test_alerts import make_home
from typer.testing import CliRunner

from alerts import raise_alerts
from alerts.channels import DeliveryError, send
from alerts.deliver import pending
from alerts.digest import render
from alerts.redaction import describe
from core import audit
from core.audit import alerts as alert_store
from core.build_state import project_fingerprint
from core.config import ConfigError
from core.config.settings import load_settings
from core.home import Home
from kpiwatch.cli import app
from kpiwatch.exit_codes import EXIT_DELIVERY, EXIT_USAGE

SHANGHAI = ZoneInfo("Asia/Shanghai")
FEISHU_PATH = "open-apis/bot/v2/hook"
SLACK_PATH = "services"


@dataclass(frozen=True)
class Tokens:
    """Every secret of one test, each unique, so finding one anywhere is a leak."""

    feishu: str
    feishu_sign: str
    slack_team: str
    slack_bot: str
    slack: str
    relay_user: str
    relay_password: str
    webhook_query: str
    webhook_sign: str
    dingtalk: str
    dingtalk_sign: str
    wecom: str
    smtp_user: str
    smtp_password: str

    @classmethod
    def fresh(cls) -> Tokens:
        names = cls.__dataclass_fields__
        return cls(**{n: f"{n.replace('_', '')}{secrets.token_hex(10)}" for n in names})

    def forbidden(self) -> list[str]:
        values = [getattr(self, n) for n in self.__dataclass_fields__]
        basic = f"{self.relay_user}:{self.relay_password}".encode()
        return [*values, base64.b64encode(basic).decode(), "m0ved-pass"]


def channel_config(port: int, smtp_port: int, t: Tokens) -> tuple[str, dict[str, str]]:
    """(kpiwatch.toml, environment): two channels inline, the others through variables."""
    base = f"http://127.0.0.1:{port}"
    env = {
        "KW_FEISHU_URL": f"{base}/{FEISHU_PATH}/{t.feishu}",
        "KW_FEISHU_SECRET": t.feishu_sign,
        "KW_RELAY_URL": f"http://{t.relay_user}:{t.relay_password}@127.0.0.1:{port}/relay"
        f"?token={t.webhook_query}",
        "KW_RELAY_SECRET": t.webhook_sign,
        "KW_DINGTALK_URL": f"{base}/robot/send?access_token={t.dingtalk}",
        "KW_DINGTALK_SECRET": t.dingtalk_sign,
        "KW_SMTP_USER": t.smtp_user,
        "KW_SMTP_PASSWORD": t.smtp_password,
    }
    config = f"""
        [alerts.delivery]
        retries = 1
        timeout_seconds = 0.5

        [channels.ops_feishu]
        type = "feishu"
        url_env = "KW_FEISHU_URL"
        secret_env = "KW_FEISHU_SECRET"

        [channels.ops_slack]
        type = "slack"
        url = "{base}/{SLACK_PATH}/{t.slack_team}/{t.slack_bot}/{t.slack}"

        [channels.ops_relay]
        type = "webhook"
        url_env = "KW_RELAY_URL"
        secret_env = "KW_RELAY_SECRET"

        [channels.ops_dingtalk]
        type = "dingtalk"
        url_env = "KW_DINGTALK_URL"
        secret_env = "KW_DINGTALK_SECRET"

        [channels.ops_wecom]
        type = "wecom"
        url = "{base}/cgi-bin/webhook/send?key={t.wecom}"

        [channels.ops_mail]
        type = "email"
        host = "127.0.0.1"
        port = {smtp_port}
        security = "none"
        username_env = "KW_SMTP_USER"
        password_env = "KW_SMTP_PASSWORD"
        from = "kpiwatch@example.cn"
        to = ["ops@example.cn"]
    """
    return config, env


def built_home(root: Path, config: str) -> Home:
    """A home after a successful build: marts, the build on record, a publication."""
    home = make_home(root, config)
    with duckdb.connect(str(home.work)) as con:
        audit.create(con)
        con.execute(
            "insert into audit.runs (run_id, started_at, built, build_ok, project_fingerprint, "
            "built_through_file_id) values ('built-by-the-test', now(), true, true, ?, 0)",
            [project_fingerprint()],
        )
    shutil.copyfile(home.work, home.warehouse)
    (root / "landing").mkdir()
    return home


def kpiwatch_run(home: Home, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``kpiwatch run`` as an operator starts it (wide columns: no table cell is wrapped,
    so a token could not hide across two lines)."""
    command = [sys.executable, "-c", "from kpiwatch.cli import app; app()"]
    return subprocess.run(
        [*command, "--home", str(home.root), "run", str(home.root.parent / "landing")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **env, "COLUMNS": "400"},
    )


def audit_texts(database: Path) -> dict[str, str]:
    """Every row of every audit table as JSON text: each column, whatever its type."""
    texts = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'audit'"
        ).fetchall()
        for (table,) in tables:
            rows = con.execute(f"select to_json(t)::varchar from audit.{table} t").fetchall()
            texts[f"{database.name}:audit.{table}"] = "\n".join(r[0] for r in rows)
    return texts


def leaks(home: Home, outputs: dict[str, str], forbidden: list[str]) -> list[str]:
    """Where any forbidden string shows up: outputs, audit tables, files of the home."""
    places = dict(outputs)
    places |= audit_texts(home.work) | audit_texts(home.warehouse)
    for path in sorted(home.root.rglob("*")):
        if path.is_file() and path.name != "kpiwatch.toml":
            places[str(path)] = path.read_bytes().decode("latin-1")
    return [f"{token} in {where}" for where, text in places.items() for token in forbidden
            if token in text]  # fmt: skip


@pytest.fixture
def tokens() -> Tokens:
    return Tokens.fresh()


@pytest.fixture
def refusing_smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(refuse_login=True).start()
    yield receiver
    receiver.stop()


FAILS = {
    # mode → what every HTTP channel's error says (None: the channel accepted the digest)
    "500": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                         "answered HTTP 500 Internal Server Error"),
    "404": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                         "answered HTTP 404 Not Found"),
    "close": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                           "cannot reach it: the connection was closed without an answer"),
    "redirect": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                              "answered HTTP 302 Found, a redirect (not followed"),
    "slow": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                          "cannot reach it: no answer within 0.5 s"),
    "echo": {"feishu": "answered something that is not JSON", "slack": "refused the message",
             "relay": None, "dingtalk": "answered something that is not JSON",
             "wecom": "answered something that is not JSON"},
    "echo_json": {"feishu": "refused the message: code 1: ", "slack": "refused the message",
                  "relay": None, "dingtalk": "refused the message: errcode 1: ",
                  "wecom": "refused the message: errcode 1: "},
    "down": dict.fromkeys(("feishu", "slack", "relay", "dingtalk", "wecom"),
                          "cannot reach it: connection refused"),
}  # fmt: skip


@pytest.mark.parametrize("mode", [*MISBEHAVIOURS, "down"])
def test_no_token_leaks_whatever_the_receiver_does(
    tmp_path: Path,
    http: HttpReceiver,
    refusing_smtp: SmtpReceiver,
    tokens: Tokens,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, env = channel_config(http.port, refusing_smtp.port, tokens)
    home = built_home(tmp_path, config)
    if mode == "down":
        http.stop()  # nothing listens on the port: connection refused
    else:
        http.misbehave["*"] = mode
    result = kpiwatch_run(home, env)

    assert result.returncode == EXIT_DELIVERY, result.stderr
    assert "Traceback" not in result.stderr
    if mode != "down":
        # The tokens really were on the wire: what is tested is kpiwatch's discretion.
        wire = " ".join(f"{r.path}?{json.dumps(r.query)}" for r in http.requests)
        for token in (tokens.feishu, tokens.slack, tokens.dingtalk, tokens.wecom):
            assert token in wire
        relay = http.at("relay")[0]
        basic = base64.b64encode(f"{tokens.relay_user}:{tokens.relay_password}".encode())
        assert relay.headers["Authorization"] == f"Basic {basic.decode()}"
        assert "@" not in relay.headers["Host"]
    with duckdb.connect(str(home.work), read_only=True) as con:
        errors = dict(
            con.execute("select distinct channel, last_error from audit.alerts").fetchall()
        )
    for name, expected in FAILS[mode].items():
        error = errors[f"ops_{name}"]
        if expected is None:
            assert error is None, error  # accepted (a 200 from a generic webhook)
            continue
        kind = "webhook" if name == "relay" else name
        assert error.startswith(f'{kind} "ops_{name}" (127.0.0.1:{http.port}): '), error
        assert expected in error, error
        assert f"delivery failed ops_{name} after 1 tries: {error}" in result.stderr
    assert errors["ops_mail"] == (
        f'email "ops_mail" (127.0.0.1:{refusing_smtp.port}): the SMTP server refused the login: '
        "535 5.7.8 ***:*** not accepted"
    )
    found = leaks(home, {"stdout": result.stdout, "stderr": result.stderr}, tokens.forbidden())
    assert found == []

    # The exception itself, as a caller of channels.send gets it: no token in its text,
    # and no chained cause (urllib's, smtplib's) whose text or traceback could quote one.
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    settings = load_settings(home).alerts
    with duckdb.connect(str(home.work), read_only=True) as con:
        queued = pending(con)
    now = datetime.now(SHANGHAI)
    for name, rows in queued.items():
        channel = settings.channels[name]
        with pytest.raises(DeliveryError) as caught:
            send(channel, render(rows, name, channel.type, now), 0.5)
        error = caught.value
        assert error.__cause__ is None and error.__suppress_context__
        shown = f"{error} {error!r} {error.args}"
        assert [t for t in tokens.forbidden() if t in shown] == [], shown
        assert str(error).startswith(describe(channel))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:notaport/{path}",  # InvalidURL quotes the port
        "htp://127.0.0.1/{path}",  # unknown url type quotes the URL
        "open.feishu.cn/{path}",  # no scheme at all
        "http://[127.0.0.1/{path}",  # a broken IPv6 bracket
        "http://127.0.0.1:{port}/{path} with space\n",  # control characters
    ],
)
def test_a_malformed_url_is_not_quoted_back(
    tmp_path: Path, http: HttpReceiver, tokens: Tokens, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    home = make_home(
        tmp_path, '[channels.ops]\ntype = "feishu"\nurl_env = "KW_BROKEN"\n'
    )  # the marts give the digest something to say
    broken = url.format(port=http.port, path=f"{FEISHU_PATH}/{tokens.feishu}")
    monkeypatch.setenv("KW_BROKEN", broken)
    settings = load_settings(home).alerts
    channel = settings.channels["ops"]
    now = datetime.now(SHANGHAI)
    with duckdb.connect(str(home.work)) as con:
        raise_alerts(con, settings, [], "r", now)  # the breaches of the marts, for "ops"
        rows = pending(con)["ops"]
    with pytest.raises(DeliveryError) as caught:
        send(channel, render(rows, "ops", "feishu", now), 0.5)
    assert tokens.feishu not in f"{caught.value} {caught.value!r}"
    assert caught.value.__cause__ is None
    assert str(caught.value).startswith('feishu "ops"')
    assert http.requests == []


def test_an_smtp_port_nobody_listens_on(tmp_path: Path, tokens: Tokens) -> None:
    port = free_port()
    config, env = channel_config(free_port(), port, tokens)
    home = built_home(tmp_path, config)
    result = kpiwatch_run(home, env)
    assert result.returncode == EXIT_DELIVERY
    assert (
        f'delivery failed ops_mail after 1 tries: email "ops_mail" (127.0.0.1:{port}): '
        "cannot reach it: connection refused" in result.stderr
    )
    found = leaks(home, {"stdout": result.stdout, "stderr": result.stderr}, tokens.forbidden())
    assert found == []


# Configuration: a value is repeated only when it cannot be a secret.


def config_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "kpiwatch.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(Home.resolve(tmp_path))
    return str(caught.value)


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ('[channels.x]\ntype = "feishu"\nurl = ["https://open.feishu.cn/hook/{t}"]\n',
         "channels.x.url (a list of 1 values, not shown): expected a string"),
        ('[channels.x]\ntype = "slack"\nurl = 1\nwebhook = "{t}"\n',
         "channels.x.url (a number, not shown): expected a string"),
        ('[channels.m]\ntype = "email"\nhost = "h"\nusername = ["{t}"]\n',
         "channels.m.username (a list of 1 values, not shown): expected a string"),
        ('[channels.x]\ntype = "wecom"\nsecret_env = {{ name = "{t}" }}\nurl = "u"\n',
         "channels.x.secret_env (a table, not shown): expected a string"),
        ('[channels]\nops = "https://hooks.slack.com/services/T0/B0/{t}"\n',
         "channels.ops (a string of"),  # not secret-named, but a URL: not repeated either
        ('[channels.x]\ntype = "https://open.feishu.cn/hook/{t}"\n',
         "channels.x.type (a string of"),
        ('[dashboard]\nurl = ["http://kpi:{t}@example.cn"]\n', "dashboard.url (a list of 1"),
    ],
)  # fmt: skip
def test_a_wrong_value_of_a_secret_bearing_key_is_not_echoed(
    tmp_path: Path, tokens: Tokens, config: str, says: str
) -> None:
    message = config_error(tmp_path, config.format(t=tokens.feishu))
    assert says in message
    assert tokens.feishu not in message


def test_a_harmless_wrong_value_is_still_repeated(tmp_path: Path) -> None:
    assert "alerts.delivery.retries = 'three': expected a whole number" in config_error(
        tmp_path, '[alerts.delivery]\nretries = "three"\n'
    )


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("[alerts]\nreminder_hours = nan\n", "alerts.reminder_hours = nan"),
        ("[alerts.delivery]\ntimeout_seconds = inf\n", "alerts.delivery.timeout_seconds = inf"),
        ("[severity]\ncritical_shortfall = -inf\n", "severity.critical_shortfall = -inf"),
        (
            "[severity.kpis.hall_wait_15m]\nmajor_shortfall = +nan\n",
            "severity.kpis.hall_wait_15m.major_shortfall = nan",
        ),
        ("[quality.volume]\nmin_z = +inf\n", "quality.volume.min_z = inf"),
        ("[quality.freshness]\nmax_lag_hours = inf\n", "quality.freshness.max_lag_hours = inf"),
        ("[quality.files]\nmax_quarantined_share = nan\n", "max_quarantined_share = nan"),
    ],
)
def test_nan_and_inf_are_refused(tmp_path: Path, config: str, key: str) -> None:
    message = config_error(tmp_path, config)
    assert key in message and "expected a finite number (nan and inf are not settings)" in message


@pytest.mark.parametrize("pair", ["[0, inf]", "[-inf, 60]", "[nan, 60]"])
def test_a_range_with_nan_or_inf_is_refused(tmp_path: Path, pair: str) -> None:
    message = config_error(tmp_path, f"[quality.ranges.hall_tickets]\nwait_minutes = {pair}\n")
    assert "expected [low, high], finite numbers with low <= high" in message


# Brackets in messages are printed, not read as Rich markup.


def test_a_config_error_keeps_its_brackets(tmp_path: Path) -> None:
    (tmp_path / "kpiwatch.toml").write_text("[alerts]\nreminder_hour = 24\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "run"])
    assert result.exit_code == EXIT_USAGE
    assert "unknown key(s) reminder_hour in [alerts];" in result.output


def test_notes_and_channel_names_keep_their_brackets(tmp_path: Path) -> None:
    home = built_home(
        tmp_path,
        f"""
        [alerts.delivery]
        retries = 1
        [channels."ops[tibet]"]
        type = "webhook"
        url = "http://127.0.0.1:{free_port()}/hook"
        [[routes]]
        provinces = ["540000"]
        channels = ["ops[tibet]"]
        """,
    )
    result = kpiwatch_run(home, {})
    assert result.returncode == EXIT_DELIVERY, result.stderr
    assert "add [channels.NAME] (and [[routes]]) to" in result.stderr
    assert "ops[tibet]: 1 pending" in result.stdout + result.stderr
    assert 'delivery failed ops[tibet] after 1 tries: webhook "ops[tibet]" (127.0.0.1:' in (
        result.stderr
    )


def test_errors_stored_before_the_upgrade_lose_their_urls(tmp_path: Path, tokens: Tokens) -> None:
    """Earlier versions stored ``scheme://netloc/path`` in last_error: the next run's
    ``store.create`` cuts every URL there down to its host, and leaves other errors alone."""
    old = (
        f"http://{tokens.relay_user}:{tokens.relay_password}@open.feishu.cn/{FEISHU_PATH}/"
        f"{tokens.feishu} answered HTTP 500: oops"
    )
    new = 'slack "ops" (hooks.slack.com): answered HTTP 404 Not Found: no_service'
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        alert_store.create(con)
        for key, error in (("old", old), ("new", new)):
            con.execute(
                "insert into audit.alerts (alert_key, alert_id, created_at, run_id, subject, "
                "category, kind, severity, status, last_error) "
                "values (?, 'a', now(), 'r', 's', 'breach', 'new', 'warning', 'failed', ?)",
                [key, error],
            )
        alert_store.create(con)
        alert_store.create(con)  # idempotent
        stored = dict(con.execute("select alert_key, last_error from audit.alerts").fetchall())
    assert stored == {"old": "http://open.feishu.cn/… answered HTTP 500: oops", "new": new}
