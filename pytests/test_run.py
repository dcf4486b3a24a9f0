"""``kpiwatch run`` end to end: generate → ingest → dbt build → checks → alerts → publish →
deliver, to a real SMTP server and a real HTTP receiver started here; and the scheduler.

The landing carries the planted faults of ``landing_faults`` (a silent province, a half-empty
day, a 30-day hall wait) besides the generator's own incidents, unreadable files and
missing columns, so one digest has to say all of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from landing_faults import PROVINCES, SILENT, damage
from receivers import HttpReceiver, SmtpReceiver, text_of
from rich.console import Console
from typer.testing import CliRunner

from core import audit
from core.audit import runs
from core.build_state import project_fingerprint
from core.home import PROJECT_DIR, Home
from core.warehouse import exclusive
from generator import generate
from kpiwatch.cli import app
from kpiwatch.exit_codes import (
    EXIT_BREACH,
    EXIT_BUILD,
    EXIT_BUSY,
    EXIT_DELIVERY,
    EXIT_DQ,
    EXIT_OK,
    EXIT_USAGE,
)
from kpiwatch.pipeline import build_reason, run
from kpiwatch.schedule import Scheduler, next_run

SHANGHAI = ZoneInfo("Asia/Shanghai")
IGNORE = shutil.ignore_patterns(".git", ".venv", ".tools", "data", "target", "logs", "pytests")
SOURCES = ("hall_tickets", "hotline_calls", "network_calls", "mobile_repairs",
           "broadband_faults", "install_orders")  # fmt: skip


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    yield http, smtp
    http.stop()
    smtp.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, receivers) -> dict:
    """A home, a damaged month of landing files, channels; and the first run's report."""
    http, smtp = receivers
    root = tmp_path_factory.mktemp("run")
    home = Home.resolve(root / "home").ensure()
    landing = root / "landing"
    manifest = generate(landing, date(2026, 10, 1), 31, PROVINCES, 0.002, 7)
    damage(landing, manifest)
    (home.root / "kpiwatch.toml").write_text(
        textwrap.dedent(
            f"""
            [dashboard]
            url = "http://kpiwatch.local:8501"

            [alerts.delivery]
            retries = 2
            backoff_seconds = 0.01
            timeout_seconds = 5

            [channels.ops_hook]
            type = "webhook"
            url = "{http.url("hook")}"

            [channels.ops_wecom]
            type = "wecom"
            url = "{http.url("wecom")}?key=k"

            [channels.ops_mail]
            type = "email"
            host = "127.0.0.1"
            port = {smtp.port}
            security = "none"
            from = "kpiwatch@example.cn"
            to = ["ops@example.cn"]
            """
        ),
        encoding="utf-8",
    )
    # The dbt project as of now: edits made elsewhere while the tests run must not
    # look like "the project changed, rebuild" to the runs below.
    project = root / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=IGNORE)
    report = run(home, landing, fail_on=("dq", "breach"), project=project, sleep=lambda _: None)
    return {"home": home, "landing": landing, "manifest": manifest, "project": project,
            "first": report}  # fmt: skip


def published(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_digest_arrives_once_per_channel_with_the_right_breaches(world, receivers) -> None:
    http, smtp = receivers
    home, manifest, report = world["home"], world["manifest"], world["first"]
    assert report.built and report.build_error is None and report.published
    assert report.exit_code == EXIT_DQ  # failed checks outrank open breaches
    assert len(http.at("hook")) == 1 and len(http.at("wecom")) == 1 and len(smtp.messages) == 1
    alerts = http.at("hook")[0].json["alerts"]
    digest_breaches = {
        (a["province_code"], a["kpi_id"], a["segment"], a["period"])
        for a in alerts
        if a["category"] == "breach"
    }
    # Exactly the non-compliant rows of the published mart …
    mart = {
        (p, k, s, f"{m:%Y-%m}")
        for p, k, s, m in published(
            home,
            "select province_code, kpi_id, segment, period_month from marts.kpi_compliance "
            "where not is_compliant",
        )
    }
    assert digest_breaches == mart
    # … which holds every breach the generator planted (its own truth, computed apart).
    planted = {
        (b["province_code"], b["kpi_id"], b["segment"], b["period_month"][:7])
        for b in manifest["expected_breaches"]
        if b["province_code"] != SILENT  # its last three days were removed on purpose
    }
    assert planted and planted <= digest_breaches
    # The data it cannot trust is in the same digest.
    data = {a["subject"] for a in alerts if a["category"] == "data"}
    assert {f"freshness:{s}:{SILENT}" for s in SOURCES} <= data
    assert "volume:hall_tickets:440000:2026-10-27" in data
    assert any(s.startswith("gx:hall_tickets:range:wait_minutes:") for s in data)
    assert any(s.startswith("gx:hall_tickets:file:readable:") for s in data)
    mail = text_of(smtp.messages[0])
    assert (
        "北京时间 (Asia/Shanghai)" in mail
        and "http://kpiwatch.local:8501/?page=province&province=" in mail
    )
    assert "无新数据" in mail and "no new data since" in mail
    # The published warehouse carries the checks, the run and the alert log, already "sent".
    statuses = published(home, "select distinct status from audit.alerts")
    assert statuses == [("sent",)]
    dq = published(home, "select count(*) from audit.dq_results where run_id = ?", [report.run_id])[
        0
    ][0]
    assert dq == len(report.checks.results) > 0
    dbt = published(
        home,
        "select status, count(*) from audit.dq_results where run_id = ? and source = 'dbt' "
        "group by all",
        [report.run_id],
    )
    assert dict(dbt)["pass"] > 50 and "fail" not in dict(dbt)  # dbt's own tests, as checks
    assert published(
        home, "select exit_code from audit.runs where run_id = ?", [report.run_id]
    ) == [(EXIT_DQ,)]


def test_a_rerun_on_the_same_data_sends_nothing(world, receivers) -> None:
    http, smtp = receivers
    before = (len(http.requests), len(smtp.messages))
    published_file = world["home"].warehouse.stat().st_mtime_ns
    report = run(
        world["home"], world["landing"], fail_on=("breach",), project=world["project"],
        sleep=lambda _: None,
    )  # fmt: skip
    assert not report.built  # nothing new: no dbt
    # … and nothing to show: the published file (a copy of the whole warehouse) stays.
    assert not report.published and "publish" not in report.seconds
    assert world["home"].warehouse.stat().st_mtime_ns == published_file
    assert any(note.startswith("nothing new to show") for note in report.notes)
    assert sum(report.alerts.kinds.values()) == 0 and report.deliveries.outcomes == []
    assert not [r for r in report.checks.results if r.check_name.startswith("gx:")]
    assert (len(http.requests), len(smtp.messages)) == before
    assert report.exit_code == EXIT_BREACH and report.alerts.open_breaches > 0


def test_a_receiver_down_keeps_alerts_pending_and_a_later_run_delivers_them_once(
    world, receivers
) -> None:
    http, _ = receivers
    home, landing, project = world["home"], world["landing"], world["project"]
    later = datetime.now(SHANGHAI) + timedelta(hours=30)  # reminders due, sources silent
    http.stop()
    try:
        down = run(home, landing, project=project, clock=lambda: later, sleep=lambda _: None)
    finally:
        http.start()
    assert down.exit_code == EXIT_DELIVERY
    assert {o.channel for o in down.deliveries.failed} == {"ops_hook", "ops_wecom"}
    assert down.alerts.kinds["reminder"] > 0 and down.alerts.kinds["new"] == 6  # 6 sources
    waiting = published(
        home, "select count(*) from audit.alerts where status = 'pending' and run_id = ?",
        [down.run_id],
    )[0][0]  # fmt: skip
    assert waiting == 2 * sum(down.alerts.kinds.values())  # hook and wecom; mail went out
    hooks_before = len(http.at("hook"))

    up = run(home, landing, project=project, clock=lambda: later + timedelta(hours=1),
             sleep=lambda _: None)  # fmt: skip
    assert up.exit_code == EXIT_OK and sum(up.alerts.kinds.values()) == 0
    assert len(http.at("hook")) == hooks_before + 1
    resent = http.at("hook")[-1].json["alerts"]
    assert len(resent) == sum(down.alerts.kinds.values())
    assert {a["subject"] for a in resent if a["kind"] == "new"} == {
        f"freshness:{s}" for s in SOURCES
    }
    again = run(home, landing, project=project, clock=lambda: later + timedelta(hours=2),
                sleep=lambda _: None)  # fmt: skip
    assert again.deliveries.outcomes == [] and len(http.at("hook")) == hooks_before + 1
    assert published(home, "select distinct status from audit.alerts") == [("sent",)]


def test_a_failed_build_publishes_nothing_but_still_says_so(world, receivers, tmp_path) -> None:
    http, _ = receivers
    home, landing = world["home"], world["landing"]
    project = tmp_path / "project"
    shutil.copytree(world["project"], project)
    with (project / "dbt_project.yml").open("a", encoding="utf-8") as broken:
        broken.write("\nvars: [\n")  # a merge gone wrong: dbt cannot even parse it
    before = home.warehouse.stat().st_mtime_ns
    report = run(home, landing, project=project, sleep=lambda _: None)
    assert report.build_reason == "the dbt project changed"
    assert report.exit_code == EXIT_BUILD and not report.published
    assert home.warehouse.stat().st_mtime_ns == before
    told = [a for a in http.at("hook")[-1].json["alerts"] if a["kind"] == "new"]
    assert [a["check_name"] for a in told] == ["dbt:build"]
    assert "dbt build failed, nothing was published" in told[0]["summary_en"]
    with duckdb.connect(str(home.work), read_only=True) as con:
        last = runs.last_build(con)
    # The next run builds again, whatever else changed: the working copy is half built.
    assert build_reason(False, True, last, 0, project_fingerprint(world["project"])) == (
        "the last build failed (the working warehouse is half built)"
    )


def test_a_check_that_changes_outcome_is_news_one_that_did_not_run_is_not() -> None:
    with duckdb.connect() as con:
        audit.create(con)

        def checked(run_id: str, published: bool, *outcomes: tuple[str, str]) -> None:
            con.execute(
                "insert into audit.runs (run_id, started_at, published) "
                "values (?, now() + to_seconds(?), ?)",
                [run_id, int(run_id[1:]), published],
            )
            for check, status in outcomes:
                con.execute(
                    "insert into audit.dq_results (run_id, checked_at, check_name, status, "
                    "subject) values (?, now(), ?, ?, ?)",
                    [run_id, check, status, check],
                )

        checked("r1", False, ("freshness", "pass"))
        assert runs.checks_changed_since_publication(con, "r1")  # nothing published yet
        checked("r2", True, ("freshness", "pass"), ("gx:hall_tickets", "fail"))
        checked("r3", False, ("freshness", "pass"))  # GX ran on no new batch
        assert not runs.checks_changed_since_publication(con, "r3")
        checked("r4", False, ("freshness", "fail"))  # a source went stale
        assert runs.checks_changed_since_publication(con, "r4")
        checked("r5", False, ("freshness", "pass"), ("volume", "warn"))  # a check not there
        assert runs.checks_changed_since_publication(con, "r5")


def test_why_a_run_builds() -> None:
    assert build_reason(False, True, (True, 10, "abc"), 10, "abc") is None
    assert build_reason(True, True, (True, 10, "abc"), 10, "abc") == "--rebuild"
    assert build_reason(False, False, (True, 10, "abc"), 10, "abc") == "no build yet"
    assert build_reason(False, True, (True, 10, "abc"), 11, "abc") == "new files loaded"
    assert build_reason(False, True, (True, 10, "abc"), 10, "abd") == "the dbt project changed"


def test_a_run_right_after_kpiwatch_build_does_not_build_again(
    home_copy: Home, built_home: Home
) -> None:
    """``make demo`` ingests and builds with ``kpiwatch build``; the run after it has
    nothing new and must see that build (it once said "no build yet" and built again)."""
    report = run(home_copy, built_home.root.parent / "landing", send=False)
    assert report.ingest is not None and report.ingest.count("loaded") == 0
    assert report.build_reason is None and not report.built
    assert report.build_error is None and report.published
    assert "nothing new since the last build: dbt not run" in report.notes


def _kpiwatch(home: Home, *args: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-c",
        "from kpiwatch.cli import app; app()",
        "--home",
        str(home.root),
    ]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_runs_never_overlap_a_busy_run_skips_and_says_so(world) -> None:
    home = world["home"]
    with exclusive(home):
        direct = _kpiwatch(home, "run", str(world["landing"]))
        scheduled = _kpiwatch(home, "schedule", "--cron", "* * * * * *", "--max-runs", "1")
    assert direct.returncode == EXIT_BUSY, direct.stderr
    assert "skipped: another kpiwatch process is writing" in direct.stderr
    assert scheduled.returncode == EXIT_BUSY, scheduled.stderr
    assert "skipped: another kpiwatch process holds the writer lock" in scheduled.stderr


def test_usage_errors_exit_2_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "kpiwatch.toml").write_text('[channels.x]\ntype = "pager"\nurl = "http://x"\n')
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "run"])
    assert result.exit_code == EXIT_USAGE
    assert "channels.x.type = 'pager'" in result.output
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "b"), "run", "--fail-on", "weather"])
    assert result.exit_code == EXIT_USAGE and "expected dq or breach" in result.output
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path / "c"), "schedule", "--cron", "0 25 * * *"]
    )
    assert result.exit_code == EXIT_USAGE and "Asia/Shanghai" in result.output


def test_the_schedule_reads_cron_in_shanghai_time_and_skips_missed_ticks(tmp_path: Path) -> None:
    # 00:30 UTC is 08:30 in Shanghai: "0 9 * * *" is due at 01:00 UTC the same day.
    assert next_run("0 9 * * *", datetime(2026, 11, 30, 0, 30, tzinfo=UTC)) == datetime(
        2026, 11, 30, 9, 0, tzinfo=SHANGHAI
    )
    now = [datetime(2026, 11, 30, 8, 59, 30, tzinfo=SHANGHAI)]
    ran: list[datetime] = []

    def runner(command: list[str]) -> int:
        ran.append(now[0])
        now[0] += timedelta(hours=2, minutes=30)  # a run that outlasts two hourly ticks
        return EXIT_BUSY if len(ran) == 2 else EXIT_OK

    def sleep(seconds: float) -> None:
        now[0] += timedelta(seconds=seconds)

    console = Console(file=open(tmp_path / "log.txt", "w"), width=200)  # noqa: SIM115
    scheduler = Scheduler(Home.resolve(tmp_path), "0 * * * *", ["kpiwatch", "run"], console,
                          clock=lambda: now[0], sleep=sleep, runner=runner)  # fmt: skip
    assert scheduler.loop(max_runs=2) == EXIT_BUSY
    console.file.close()
    assert ran == [datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI),
                   datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)]  # fmt: skip
    log = (tmp_path / "log.txt").read_text()
    assert "2 tick(s) skipped, not caught up" in log
    assert "skipped: another kpiwatch process holds the writer lock" in log
