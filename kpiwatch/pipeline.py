"""``kpiwatch run``: ingest → build → checks → alerts to the outbox → publish → deliver.

The whole run holds the home's writer lock (``exclusive``), so nothing writes the working
warehouse between the build and the publication of what was checked, and two runs never
overlap: a second one finds the lock taken and skips (exit 75).

- **ingest** loads new landing files; **build** runs dbt on the working warehouse without
  publishing, and only when something changed (new files, a changed dbt project, no
  successful build yet, or ``--rebuild``);
- **checks** (package ``quality``): Great Expectations on the batches loaded since the last
  validated file, freshness, volume, dbt's test results; stored in ``audit.dq_results``;
- **alerts** (package ``alerts``): breaches of ``marts.kpi_breaches`` and failed checks,
  compared with the last run, written to the outbox ``audit.alerts`` in the same transaction
  as the checks — before anything is sent;
- **publish** renames the build's publication (the marts, with the audit trail copied in)
  over the published warehouse, so the digest's dashboard links show what the alerts say
  (skipped when the build failed, when a check failed and ``[quality] block_publish`` is
  set, or when the run has nothing new to show: no file recorded, no build, no alert, and
  the same check outcomes as the last publication — an hourly run with nothing new costs
  seconds, not a copy of the warehouse);
- **deliver** sends one digest per channel. Statuses change after the publication: with
  ``[run] publish_deliveries = true`` (default) the run publishes again when a delivery
  changed something, so the dashboard's alert log says "sent" at once (a copy of the
  published file with the new audit trail); set it to false to save that copy, and
  statuses then reach readers with the next run's publication.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console

from alerts import AlertsReport, raise_alerts
from alerts.deliver import DeliveryReport, deliver
from core import audit, build_state
from core.audit import runs
from core.audit.dq_results import CheckResult
from core.audit.dq_results import insert as insert_results
from core.config import CONFIG_FILE, ConfigError
from core.config.settings import Settings, load_settings
from core.contract import SOURCES
from core.home import PROJECT_DIR, Home, HomeError
from core.warehouse import WriterBusy, connect_unlocked, exclusive
from dashboards.access import log_path
from ingest import store as ingest_store
from ingest.lake import Lake, LakeError
from ingest.landing_file import LandingError
from ingest.loader import IngestReport, ingest
from kpiwatch import retention
from kpiwatch.build import BuildError, build, marts_fingerprint, publish
from kpiwatch.exit_codes import (
    EXIT_BUSY,
    EXIT_OK,
    EXIT_USAGE,
    FAIL_ON,
    exit_code_for,
)
from kpiwatch.messages import say
from kpiwatch.output import print_summary
from kpiwatch.retention import Pruned
from quality import ChecksReport, run_checks

SHANGHAI = ZoneInfo("Asia/Shanghai")


def build_reason(
    rebuild: bool,
    has_marts: bool,
    last: tuple[bool, int, str] | None,
    loaded_through: int,
    fingerprint: str,
    unfinished: str | None = None,
) -> str | None:
    """Why this run must run dbt, or None: a build is the slow part of a run, and a run
    with nothing new (the usual hourly case) should not pay for it. ``unfinished`` is why
    the last build by any command (``build_state.unfinished``) calls for another."""
    if rebuild:
        return "--rebuild"
    if unfinished:
        return unfinished
    if not has_marts or last is None:
        return "no build yet"
    succeeded, built_through, built_from = last
    if not succeeded:
        return "the last build failed (the working warehouse is half built)"
    if built_through < loaded_through:
        return "new files loaded"
    if built_from != fingerprint:
        return "the dbt project changed"
    return None


@dataclass
class RunReport:
    run_id: str
    started_at: datetime
    ingest: IngestReport | None = None
    built: bool = False
    build_reason: str | None = None
    build_error: str | None = None
    checks: ChecksReport = field(default_factory=ChecksReport)
    alerts: AlertsReport = field(default_factory=AlertsReport)
    published: bool = False
    deliveries: DeliveryReport = field(default_factory=DeliveryReport)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    pruned: Pruned = field(default_factory=Pruned)
    exit_code: int = EXIT_OK

    @property
    def dq_failed(self) -> int:
        return self.checks.count("fail")


def build_check(error: str | None) -> CheckResult:
    """The build itself as a check: a dbt that fails before writing its results (a project
    that does not parse) must raise an alert too; it resolves with the next good build."""
    first = (error or "").splitlines()
    reason = next((line.strip() for line in first[1:] if line.strip()), first[0] if first else "")
    return CheckResult(
        check_name="dbt:build",
        subject="dbt:build",
        status="fail" if error else "pass",
        source="dbt",
        expected="dbt build passes",
        details={"error": (error or "")[-4000:]},
        summary_en=f"dbt build failed, nothing was published: {reason[:300]}",
        summary_zh=f"dbt 构建失败,未发布新数据:{reason[:300]}",
    )


def folder_check(landing: Path, name: str) -> CheckResult:
    """A folder of the landing that is no source: its files are not loaded, and someone
    should know (a typo in an exporter's target path loses a whole feed silently)."""
    return CheckResult(
        check_name="landing:folder",
        subject=f"landing:folder:{name}",
        status="fail",
        source=name,
        expected="one folder per source: " + ", ".join(SOURCES),
        details={"folder": str(landing / name)},
        summary_en=f"{landing / name} is not a source folder: its files were not loaded",
        summary_zh=f"{landing / name} 不是数据源目录,其中文件未被加载",
    )


def _now() -> datetime:
    return datetime.now(SHANGHAI)


def run(
    home: Home,
    landing: Path | None = None,
    fail_on: Iterable[str] = (),
    *,
    settings: Settings | None = None,
    rebuild: bool = False,
    send: bool = True,
    clock: Callable[[], datetime] = _now,
    sleep: Callable[[float], None] = time.sleep,
    project: Path = PROJECT_DIR,
) -> RunReport:
    """One scheduled run. Raises ConfigError / LandingError / HomeError / LakeError (exit 2)
    before changing anything, and WriterBusy (exit 75) when another process holds the writer
    lock or has the working warehouse open (before changing anything, unless that process
    opened the file in the middle of this run: then the next run picks up where this one
    stopped). ``children.Stopped`` (SIGTERM, SIGINT) ends the run with dbt stopped and
    nothing published. Everything else ends in the report."""
    settings = settings or load_settings(home)
    started = clock()
    report = RunReport(f"{started:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", started)
    fail_on = tuple(fail_on)

    def step(name: str, began: float) -> None:
        report.seconds[name] = report.seconds.get(name, 0.0) + time.perf_counter() - began

    with exclusive(home):
        began = time.perf_counter()
        lake = Lake.from_env(home)  # KPIWATCH_LAKE
        report.ingest = ingest(home, landing, lake=lake, settings=settings.ingest)
        step("ingest", began)

        with connect_unlocked(home, with_marts=True) as con:
            ingest_store.create(con)
            audit.create(con)
            validated = runs.validated_through(con)
            through, loaded = con.execute(
                "select coalesce(max(file_id), 0), "
                "coalesce(max(file_id) filter (where status = 'loaded'), 0) "
                "from audit.ingest_files"
            ).fetchone()
            # The last build by any command: `make demo` builds with `kpiwatch build`,
            # which records what it saw in build.json, not in audit.runs.
            last = build_state.last_passed(home) or runs.last_build(con)
            has_marts = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'marts' and table_name = 'kpi_compliance'"
            ).fetchone()[0]
        fingerprint = marts_fingerprint(home, project)
        report.build_reason = build_reason(
            rebuild, bool(has_marts), last, loaded, fingerprint, build_state.unfinished(home)
        )
        if report.build_reason:
            began = time.perf_counter()
            report.built = True
            try:
                build(home, quiet=True, project=project, publish_after=False)
            except BuildError as exc:
                report.build_error = str(exc)
            step("build", began)
        else:
            report.notes.append("nothing new since the last build: dbt not run")

        now = clock()
        with connect_unlocked(home, with_marts=True) as con:
            began = time.perf_counter()
            report.checks = run_checks(
                con,
                home,
                settings.quality,
                report.run_id,
                now,
                (validated, through),
                home.dbt_target / "run_results.json" if report.built else None,
            )
            if report.built:
                report.checks.results.append(build_check(report.build_error))
            report.checks.results += [
                folder_check(report.ingest.landing, name) for name in report.ingest.unknown_folders
            ]
            step("checks", began)
            began = time.perf_counter()
            con.begin()
            insert_results(con, report.run_id, now, report.checks.results)
            report.alerts = raise_alerts(
                con,
                settings.alerts,
                report.checks.results,
                report.run_id,
                now,
                with_breaches=report.build_error is None,
            )
            if report.alerts.unrouted:
                report.notes.append(
                    f"{report.alerts.unrouted} alerts have no channel: they are in audit.alerts "
                    "only; add [channels.NAME] (and [[routes]]) to "
                    f"{home.root / CONFIG_FILE} to send them"
                )
            block = settings.quality.block_publish and report.dq_failed > 0
            may_publish = report.build_error is None and not block
            # A run that loaded, built and raised nothing, and whose checks came out as the
            # last publication's, leaves the published file alone: republishing it only to
            # add this run's row would copy the whole warehouse every hour.
            news = (
                report.built
                or report.ingest.recorded_any
                or any(report.alerts.kinds.values())
                or runs.checks_changed_since_publication(con, report.run_id)
            )
            will_publish = may_publish and news
            runs.record_run(
                con,
                run_id=report.run_id,
                started_at=started,
                landing=str(report.ingest.landing),
                files_loaded=report.ingest.count("loaded"),
                files_failed=report.ingest.count("failed") + report.ingest.count("refused"),
                rows_loaded=report.ingest.rows_loaded,
                built=report.built,
                build_ok=report.built and report.build_error is None,
                project_fingerprint=fingerprint,
                built_through_file_id=(
                    loaded if report.built and report.build_error is None else None
                ),
                validated_through_file_id=report.checks.validated_through,
                dq_pass=report.checks.count("pass"),
                dq_warn=report.checks.count("warn"),
                dq_fail=report.checks.count("fail"),
                alerts_new=report.alerts.kinds["new"],
                alerts_reminder=report.alerts.kinds["reminder"],
                alerts_resolved=report.alerts.kinds["resolved"],
                published=will_publish,
            )
            con.commit()
            con.execute("checkpoint")
            step("alerts", began)

        if will_publish:
            began = time.perf_counter()
            publish(home)
            report.published = True
            step("publish", began)
        elif report.build_error:
            report.notes.append("dbt build failed: the published warehouse was left as it was")
        elif may_publish:
            report.notes.append(
                "nothing new to show: the published warehouse was left as it was (this run's "
                "record reaches it with the next publication)"
            )
        else:
            report.notes.append("a check failed and [quality] block_publish is set: not published")

        with connect_unlocked(home) as con:
            if send:
                began = time.perf_counter()
                report.deliveries = deliver(con, settings.alerts, clock, sleep)
                step("deliver", began)
            report.exit_code = exit_code_for(report, fail_on)
            pending = con.execute(
                "select count(*) from audit.alerts where status = 'pending'"
            ).fetchone()[0]
            runs.finish_run(
                con,
                report.run_id,
                finished_at=clock(),
                deliveries_sent=report.deliveries.sent,
                deliveries_pending=pending,
                exit_code=report.exit_code,
                seconds=report.seconds,
            )
            report.pruned = retention.prune(con, settings.retention, clock(), log_path(home))
            con.execute("checkpoint")
        if may_publish and settings.publish_deliveries and report.deliveries.outcomes:
            began = time.perf_counter()
            publish(home)
            report.published = True
            step("publish", began)
        elif report.deliveries.outcomes and may_publish:
            report.notes.append(
                "delivery statuses reach the published alert log with the next publication"
            )
    return report


def main(
    home: Home,
    landing: Path | None,
    fail_on: Iterable[str],
    console: Console,
    rebuild: bool = False,
    send: bool = True,
) -> int:
    """The command: run, print, and map every failure to its exit code."""
    unknown = sorted(set(fail_on) - set(FAIL_ON))
    if unknown:
        say(console, f"--fail-on {', '.join(unknown)}: expected dq or breach", "error:", "bold red")
        return EXIT_USAGE
    try:
        report = run(home, landing, fail_on, rebuild=rebuild, send=send)
    except (ConfigError, LandingError, HomeError, LakeError) as exc:
        say(console, exc, "error:", "bold red")
        return EXIT_USAGE
    except WriterBusy as exc:
        say(console, f"skipped: {exc}")
        return EXIT_BUSY
    print_summary(report, console)
    return report.exit_code
