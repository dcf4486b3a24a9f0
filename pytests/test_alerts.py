"""Breach alerts: detected, routed, grouped per channel, delivered once, never lost.

These tests write ``marts.kpi_compliance`` themselves into a working warehouse (no dbt),
then raise and deliver alerts to real receivers on localhost: an HTTP server speaking
WeCom, DingTalk, Feishu, Slack and a generic webhook, and an SMTP server (aiosmtpd).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from receivers import (
    HttpReceiver,
    SmtpReceiver,
    dingtalk_signature_ok,
    feishu_signature_ok,
    text_of,
    webhook_signature_ok,
)
from versioned_catalog import write_versioned_catalog

from alerts import raise_alerts
from alerts.deliver import DeliveryReport, deliver
from core.config import ConfigError
from core.config.alerts import AlertSettings
from core.config.settings import load_settings
from core.home import PROJECT_DIR, Home
from core.warehouse import configure

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
OCT, SEP, AUG = date(2026, 10, 1), date(2026, 9, 1), date(2026, 8, 1)
COLUMNS = (
    "period_month, province_code, kpi_id, segment, value, threshold, comparator, unit, "
    "sample_size, breach_count, is_compliant, margin, catalog_version"
)


def row(month: date, province: str, kpi: str, value: float, threshold: float, comparator: str,
        unit: str, breach_count: int | None = None, segment: str = "all",
        severity: str | None = None, since: date | None = None) -> tuple:  # fmt: skip
    """A kpi_compliance row and, when it is a breach, the severity and episode start that
    marts.kpi_breaches would publish for it (judging them is dbt's job, tested there)."""
    margin = value - threshold if comparator == ">=" else threshold - value
    version = "2026.07" if kpi == "hall_wait_15m" and month >= date(2026, 7, 1) else "2009.1"
    assert (margin < 0) == (severity is not None), "a breach needs its severity, and only one"
    return (month, province, kpi, segment, value, threshold, comparator, unit, 1000, breach_count,
            margin >= 0, margin, version, severity, since or month)  # fmt: skip


BASE = [
    row(OCT, "440000", "hall_wait_15m", 0.913, 0.92, ">=", "share", 215,
        severity="minor", since=SEP),  # close, and missed in September too
    row(OCT, "540000", "hall_vip_wait_5m", 0.77, 0.95, ">=", "share", 15,
        severity="critical"),  # far
    row(OCT, "110000", "mobile_repair_hours_max", 50.0, 48.0, "<=", "hours", 2,
        severity="critical"),  # cases over the ceiling
    row(OCT, "110000", "hall_wait_15m", 0.95, 0.92, ">=", "share", 20),  # compliant
    row(OCT, "100000", "hotline_sl20", 0.75, 0.70, ">=", "share", 10),  # compliant
    row(SEP, "440000", "hall_wait_15m", 0.90, 0.92, ">=", "share", 300,
        severity="major"),  # breach a month ago
    row(AUG, "440000", "install_days_avg", 9.0, 7.0, "<=", "days", 0,
        severity="critical"),  # outside look-back
]  # fmt: skip


def write_compliance(home: Home, rows: list[tuple]) -> None:
    """marts.kpi_compliance and marts.kpi_breaches as a build would publish them."""
    with duckdb.connect(str(home.work)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.kpi_compliance (period_month date, province_code "
            "varchar, kpi_id varchar, segment varchar, value double, threshold double, "
            "comparator varchar, unit varchar, sample_size bigint, breach_count bigint, "
            "is_compliant boolean, margin double, catalog_version varchar)"
        )
        con.executemany(
            f"insert into marts.kpi_compliance ({COLUMNS}) values ({', '.join('?' * 13)})",
            [r[:13] for r in rows],
        )
        con.execute(
            "create or replace table marts.kpi_breaches (period_month date, province_code "
            "varchar, is_national boolean, kpi_id varchar, segment varchar, severity varchar, "
            "relative_shortfall double, episode_start_month date, months_in_breach bigint, "
            "days_missed bigint)"
        )
        con.executemany(
            "insert into marts.kpi_breaches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (r[0], r[1], r[1] == "100000", r[2], r[3], r[13], -r[11] / r[5], r[14],
                 (r[0].year - r[14].year) * 12 + r[0].month - r[14].month + 1, None)
                for r in rows if r[13] is not None
            ],
        )  # fmt: skip


def make_home(root: Path, config: str) -> Home:
    home = Home.resolve(root / "home")
    home.work.parent.mkdir(parents=True)
    (home.root / "kpiwatch.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    seeds = PROJECT_DIR / "seeds"
    with duckdb.connect(str(home.work)) as con:
        con.execute("create schema raw")
        con.execute(
            f"create table raw.provinces as select * from read_csv('{seeds / 'provinces.csv'}', "
            "all_varchar = true)"
        )
        # hall_wait_15m at 0.92 from July 2026: the test catalog's example of a version
        catalog = write_versioned_catalog(root / "kpi_catalog.csv")
        con.execute(
            f"create table raw.kpi_catalog as select * from read_csv('{catalog}', types = "
            "{'threshold': 'double', 'case_limit': 'double', 'catalog_version': 'varchar'})"
        )
    write_compliance(home, BASE)
    return home


def cycle(
    home: Home, settings: AlertSettings, now: datetime, run_id: str = "r"
) -> tuple[dict, DeliveryReport]:
    """One run's alert half: raise into the outbox (one transaction), then deliver."""
    with duckdb.connect(str(home.work)) as con:
        configure(con)
        con.begin()
        report = raise_alerts(con, settings, [], f"{run_id}-{now:%H%M%S}", now)
        con.commit()
        delivered = deliver(con, settings, lambda: now, sleep=lambda _: None)
    return dict(report.kinds), delivered


def outbox(home: Home) -> list[dict]:
    with duckdb.connect(str(home.work), read_only=True) as con:
        cursor = con.execute("select * from audit.alerts order by created_at, alert_key")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


def every_channel(http: HttpReceiver, smtp: SmtpReceiver) -> str:
    return f"""
        [dashboard]
        url = "https://kpi.example.cn"

        [alerts.delivery]
        retries = 2
        backoff_seconds = 0.01
        timeout_seconds = 5

        [channels.ops_webhook]
        type = "webhook"
        url = "{http.url("webhook")}"
        secret_env = "TEST_WEBHOOK_SECRET"

        [channels.ops_wecom]
        type = "wecom"
        url_env = "TEST_WECOM_URL"

        [channels.ops_dingtalk]
        type = "dingtalk"
        url = "{http.url("dingtalk")}?access_token=t0ken"
        secret_env = "TEST_DINGTALK_SECRET"

        [channels.ops_feishu]
        type = "feishu"
        url = "{http.url("feishu")}"
        secret_env = "TEST_FEISHU_SECRET"

        [channels.ops_slack]
        type = "slack"
        url = "{http.url("slack")}"

        [channels.ops_mail]
        type = "email"
        host = "127.0.0.1"
        port = {smtp.port}
        security = "none"
        from = "kpiwatch@example.cn"
        to = ["ops@example.cn", "noc@example.cn"]
    """


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch, http: HttpReceiver) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "hook-secret")
    monkeypatch.setenv("TEST_WECOM_URL", http.url("wecom") + "?key=abc-123")
    monkeypatch.setenv("TEST_DINGTALK_SECRET", "SECdingtalk")
    monkeypatch.setenv("TEST_FEISHU_SECRET", "feishu-secret")


EXPECTED = {
    # subject → severity: what broke where, and how badly
    "breach:440000:hall_wait_15m:all:2026-10": "minor",
    "breach:540000:hall_vip_wait_5m:all:2026-10": "critical",
    "breach:110000:mobile_repair_hours_max:all:2026-10": "critical",
    "breach:440000:hall_wait_15m:all:2026-09": "major",
}


def test_one_digest_per_channel_with_the_right_breaches(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, secrets: None
) -> None:
    home = make_home(tmp_path, every_channel(http, smtp))
    settings = load_settings(home).alerts
    kinds, delivered = cycle(home, settings, T0)
    assert kinds == {"new": 4}
    assert not delivered.failed
    # One message per channel, not one per alert.
    for path in ("webhook", "wecom", "dingtalk", "feishu", "slack"):
        assert len(http.at(path)) == 1, path
    assert len(smtp.messages) == 1
    hook = http.at("webhook")[0]
    assert webhook_signature_ok(hook, "hook-secret")
    body = hook.json
    assert {a["subject"]: a["severity"] for a in body["alerts"]} == EXPECTED
    assert hook.headers["Idempotency-Key"] == body["digest_id"]
    since = {a["subject"]: a["since_period"] for a in body["alerts"]}
    assert since["breach:440000:hall_wait_15m:all:2026-10"] == "2026-09"  # breaching since
    # Chat robots: their own formats, signatures and keys.
    assert http.at("wecom")[0].query == {"key": "abc-123"}
    wecom = http.at("wecom")[0].json
    assert wecom["msgtype"] == "markdown"
    assert len(wecom["markdown"]["content"].encode()) <= 4096
    ding = http.at("dingtalk")[0]
    assert ding.query["access_token"] == "t0ken" and dingtalk_signature_ok(ding, "SECdingtalk")
    feishu = http.at("feishu")[0].json
    assert feishu_signature_ok(feishu, "feishu-secret")
    assert feishu["card"]["header"]["template"] == "red"
    slack = http.at("slack")[0].json["text"]
    assert "<https://kpi.example.cn/?page=province&province=540000&kpi=hall_vip_wait_5m" in slack
    # Bilingual, in Asia/Shanghai time, what broke, where, how badly, since when, a link.
    text = wecom["markdown"]["content"]
    for needle in ("广东省 Guangdong", "西藏自治区 Tibet", "营业厅VIP客户3G业务等候时限达标率",
                   "Hall VIP 3G wait within 5 minutes", "77.0%", "≥ 95.0%", "18.0 个百分点 pp",
                   "50.0 小时 h", "超出 over by 2.0 小时 h", "2 件超过单件上限 48.0 小时 h",
                   "自 since 2026-09",
                   "2026-11-02 09:00", "北京时间 (Asia/Shanghai)", "🔴 严重 Critical (2)",
                   "🟠 较重 Major (1)", "🟡 轻微 Minor (1)",
                   "[看板 dashboard](https://kpi.example.cn/"):  # fmt: skip
        assert needle in text, needle
    assert "install_days_avg" not in json.dumps(body)  # August: outside the look-back
    assert "110000:hall_wait_15m" not in json.dumps(body)  # compliant
    mail = smtp.messages[0]
    assert smtp.keeper.envelopes[0][1] == ["ops@example.cn", "noc@example.cn"]
    # (spaces compared away: a folded, encoded subject may lose one when it is decoded)
    assert "严重critical2·较重major1·轻微minor1" in mail["Subject"].replace(" ", "")
    assert mail["Message-ID"] == f"<{outbox(home)[-1]['digest_id']}@kpiwatch>" or mail["Message-ID"]
    plain = text_of(mail)
    assert "西藏自治区 Tibet" in plain and "https://kpi.example.cn/" in plain
    assert mail.get_body(preferencelist=("html",)) is not None
    rows = outbox(home)
    assert len(rows) == 4 * 6 and {r["status"] for r in rows} == {"sent"}
    assert all(r["attempts"] == 1 and r["sent_at"] is not None for r in rows)


def test_each_breach_entry_says_where_its_shortfall_comes_from(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, secrets: None
) -> None:
    """One line per breach from marts.kpi_breach_drivers (rank 1), in both languages; a
    breach without drivers, or a warehouse without the mart, has no such line."""
    home = make_home(tmp_path, every_channel(http, smtp))
    with duckdb.connect(str(home.work)) as con:
        con.execute(
            "create table marts.kpi_breach_drivers (period_month date, province_code varchar, "
            "kpi_id varchar, segment varchar, driver_rank bigint, driver_label_zh varchar, "
            "driver_label_en varchar)"
        )
        con.executemany(
            "insert into marts.kpi_breach_drivers values (?, ?, ?, ?, ?, ?, ?)",
            [
                (OCT, "540000", "hall_vip_wait_5m", "all", 1, "拉萨市：占缺口的80%（样本的30%）",
                 "Lhasa: 80 % of the shortfall (30 % of the cases)"),
                (OCT, "540000", "hall_vip_wait_5m", "all", 2, "下旬（21日起）：占缺口的60%",
                 "days 21–end: 60 % of the shortfall"),
            ],
        )  # fmt: skip
    cycle(home, load_settings(home).alerts, T0)
    alerts = {a["subject"]: a for a in http.at("webhook")[0].json["alerts"]}
    vip = alerts["breach:540000:hall_vip_wait_5m:all:2026-10"]
    assert (vip["driver_zh"], vip["driver_en"]) == (
        "拉萨市：占缺口的80%（样本的30%）",
        "Lhasa: 80 % of the shortfall (30 % of the cases)",
    )
    others = [a for k, a in alerts.items() if k != "breach:540000:hall_vip_wait_5m:all:2026-10"]
    assert others and all(a["driver_zh"] is None and a["driver_en"] is None for a in others)
    text = http.at("wecom")[0].json["markdown"]["content"]
    line = "主因 top driver: 拉萨市：占缺口的80%（样本的30%） / Lhasa: 80 % of the shortfall"
    assert line in text
    assert text.count("主因 top driver") == 1  # only the top driver, only where there is one


def test_a_rerun_on_the_same_data_sends_nothing(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, secrets: None
) -> None:
    home = make_home(tmp_path, every_channel(http, smtp))
    settings = load_settings(home).alerts
    cycle(home, settings, T0)
    before = (len(http.requests), len(smtp.messages), len(outbox(home)))
    kinds, delivered = cycle(home, settings, T0 + timedelta(hours=1))
    assert kinds == {} and delivered.outcomes == []
    assert (len(http.requests), len(smtp.messages), len(outbox(home))) == before


def test_a_receiver_that_is_down_keeps_the_alert_pending_then_delivers_it_once(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, secrets: None
) -> None:
    home = make_home(tmp_path, every_channel(http, smtp))
    settings = load_settings(home).alerts
    cycle(home, settings, T0)
    sent_before = len(http.at("webhook"))
    http.stop()  # every robot endpoint refuses connections now
    shanghai = row(OCT, "310000", "hotline_sl20", 0.5, 0.7, ">=", "share", severity="critical")
    write_compliance(home, [*BASE, shanghai])
    kinds, delivered = cycle(home, settings, T0 + timedelta(hours=1))
    assert kinds == {"new": 1}
    failed = {o.channel for o in delivered.failed}
    assert failed == {"ops_webhook", "ops_wecom", "ops_dingtalk", "ops_feishu", "ops_slack"}
    assert all(
        f'"{o.channel}" (127.0.0.1:{http.port}): cannot reach it: connection refused' in o.error
        for o in delivered.failed
    )
    assert all("key=" not in o.error and "t0ken" not in o.error for o in delivered.failed)
    new = [r for r in outbox(home) if r["province_code"] == "310000"]
    waiting = [r for r in new if r["channel"] != "ops_mail"]
    assert {r["status"] for r in waiting} == {"pending"}
    assert all(r["attempts"] == 2 and r["last_error"] for r in waiting)  # retried with backoff
    assert len(smtp.messages) == 2  # email was up: delivered

    http.start()  # back on the same port
    kinds, delivered = cycle(home, settings, T0 + timedelta(hours=2))
    assert kinds == {} and not delivered.failed
    hooks = http.at("webhook")
    assert len(hooks) == sent_before + 1
    assert [a["subject"] for a in hooks[-1].json["alerts"]] == [
        "breach:310000:hotline_sl20:all:2026-10"
    ]
    assert {r["status"] for r in outbox(home)} == {"sent"}
    cycle(home, settings, T0 + timedelta(hours=3))
    assert len(http.at("webhook")) == sent_before + 1  # never again


def test_a_robot_that_refuses_inside_http_200_is_a_failure(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, secrets: None
) -> None:
    home = make_home(tmp_path, every_channel(http, smtp))
    settings = load_settings(home).alerts
    http.refuse["wecom"] = {"errcode": 45009, "errmsg": "api freq out of limit"}
    http.refuse["feishu"] = {
        "code": 19021,
        "msg": "sign match fail or timestamp is not within one hour",
    }
    _, delivered = cycle(home, settings, T0)
    errors = {o.channel: o.error for o in delivered.failed}
    assert set(errors) == {"ops_wecom", "ops_feishu"}
    assert "errcode 45009: api freq out of limit" in errors["ops_wecom"]
    assert "code 19021" in errors["ops_feishu"]
    assert {r["status"] for r in outbox(home) if r["channel"] == "ops_wecom"} == {"pending"}


def test_a_missing_secret_leaves_alerts_pending_and_names_the_variable(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_home(tmp_path, every_channel(http, smtp))
    monkeypatch.delenv("TEST_WECOM_URL", raising=False)
    settings = load_settings(home).alerts  # loading does not need the secrets
    _, delivered = cycle(home, settings, T0)
    errors = {o.channel: o.error for o in delivered.failed}
    assert "TEST_WECOM_URL" in errors["ops_wecom"] and "is not set" in errors["ops_wecom"]


def test_reminders_escalation_resolution_and_relapse(tmp_path: Path, http: HttpReceiver) -> None:
    home = make_home(
        tmp_path,
        f"""
        [alerts]
        reminder_hours = 24
        [channels.hook]
        type = "webhook"
        url = "{http.url("webhook")}"
        """,
    )
    settings = load_settings(home).alerts
    subject = "breach:440000:hall_wait_15m:all:2026-10"

    def kinds_of(hours: float) -> dict[str, str]:
        cycle(home, settings, T0 + timedelta(hours=hours))
        last = http.at("webhook")[-1].json["alerts"] if http.requests else []
        http.requests.clear()
        return {a["subject"]: a["kind"] for a in last}

    assert kinds_of(0)[subject] == "new"
    assert kinds_of(23) == {}  # not yet: at most one reminder per interval
    reminded = kinds_of(24)
    # Only the latest month is reminded about: September's figures are final.
    assert reminded == {
        subject: "reminder",
        "breach:540000:hall_vip_wait_5m:all:2026-10": "reminder",
        "breach:110000:mobile_repair_hours_max:all:2026-10": "reminder",
    }

    def guangdong_october(value: float) -> list[tuple]:
        mine = (OCT, "440000", "hall_wait_15m")
        severity = "critical" if value < 0.828 else "minor" if value < 0.92 else None
        changed = row(OCT, "440000", "hall_wait_15m", value, 0.92, ">=", "share",
                      severity=severity, since=SEP)  # fmt: skip
        return [changed if r[:3] == mine else r for r in BASE]

    write_compliance(home, guangdong_october(0.70))
    assert kinds_of(25) == {subject: "reminder"}  # escalated to critical: at once
    write_compliance(home, guangdong_october(0.93))
    assert kinds_of(26) == {subject: "resolved"}
    write_compliance(home, BASE)
    assert kinds_of(27) == {subject: "new"}  # a relapse is news again (episode 2)
    with duckdb.connect(str(home.work), read_only=True) as con:
        episode, reminders = con.execute(
            "select episode, reminders from audit.alert_state where subject = ?", [subject]
        ).fetchone()
    assert (episode, reminders) == (2, 0)  # a new episode counts its reminders afresh


def test_routing_sends_each_province_and_kpi_to_its_owners(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    home = make_home(
        tmp_path,
        f"""
        [channels.guangdong]
        type = "webhook"
        url = "{http.url("guangdong")}"
        [channels.hq]
        type = "webhook"
        url = "{http.url("hq")}"

        [[routes]]
        name = "Guangdong halls"
        provinces = ["440000"]
        kpis = ["hall_*"]
        channels = ["guangdong"]
        owners = ["广东客服部 王伟"]

        [[routes]]
        name = "headquarters: critical only"
        min_severity = "critical"
        channels = ["hq"]
        owners = ["总部运营 NOC"]
        """,
    )
    settings = load_settings(home).alerts
    cycle(home, settings, T0)
    gd = http.at("guangdong")[0].json["alerts"]
    hq = http.at("hq")[0].json["alerts"]
    assert {a["subject"] for a in gd} == {
        "breach:440000:hall_wait_15m:all:2026-10",
        "breach:440000:hall_wait_15m:all:2026-09",
    }
    assert all(a["owners"] == ["广东客服部 王伟"] for a in gd)
    assert {a["subject"] for a in hq} == {
        "breach:540000:hall_vip_wait_5m:all:2026-10",
        "breach:110000:mobile_repair_hours_max:all:2026-10",
    }
    assert "负责人 owners: 广东客服部 王伟" in http.at("guangdong")[0].json["markdown"]
    # Nothing left behind: every alert went somewhere.
    assert {r["status"] for r in outbox(home)} == {"sent"}


def test_an_alert_no_route_matches_is_logged_as_unrouted(
    tmp_path: Path, http: HttpReceiver
) -> None:
    home = make_home(
        tmp_path,
        f"""
        [channels.tibet]
        type = "webhook"
        url = "{http.url("tibet")}"
        [[routes]]
        provinces = ["540000"]
        channels = ["tibet"]
        """,
    )
    cycle(home, load_settings(home).alerts, T0)
    rows = outbox(home)
    assert {(r["province_code"], r["channel"], r["status"]) for r in rows} == {
        ("540000", "tibet", "sent"),
        ("440000", None, "unrouted"),
        ("110000", None, "unrouted"),
    }


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[alerts]\nreminder_hour = 24\n", "unknown key(s) reminder_hour in [alerts]"),
        ('[channels.x]\ntype = "telegram"\nurl = "http://x"\n', "channels.x.type = 'telegram'"),
        ('[channels.x]\ntype = "wecom"\n', "needs exactly one of url"),
        ('[[routes]]\nchannels = ["nowhere"]\n', "no channel named nowhere"),
        ('[channels.m]\ntype = "email"\nhost = "h"\n', "needs host, from and to"),
        ("[quality.volume]\nlow_ratio = 2\n", "quality.volume.low_ratio = 2"),
        ("[quality.ranges.hall_tickets]\nwait_minutes = [10, 1]\n", "low <= high"),
        ("[alerts\n", "not valid TOML"),
        ("[alerts.severity]\ncritical_shortfall = 0.2\n", "[alerts.severity] is now [severity]"),
        ("[severity.kpis.hall_wait]\nmajor_shortfall = 0.1\n", "'hall_wait' is not a KPI"),
        ("[severity]\nmajor_shortfall = 0.3\ncritical_shortfall = 0.2\n", "is below major"),
        ("[severity]\ncritical_shortfall = -1\n", "severity.critical_shortfall = -1"),
        ("[severity]\ncritical = 0.2\n", "unknown key(s) critical in [severity]"),
    ],
)
def test_configuration_errors_name_the_key(tmp_path: Path, config: str, message: str) -> None:
    home = Home.resolve(tmp_path)
    (tmp_path / "kpiwatch.toml").write_text(config, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kpiwatch\.toml") as caught:
        load_settings(home)
    assert message in str(caught.value)
