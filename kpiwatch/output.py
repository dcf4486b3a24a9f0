"""What ``kpiwatch run`` prints: its summary table, the checks that did not pass, notes and
the exit code's meaning. The run itself (``pipeline``) only orchestrates and reports."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from alerts import BreachCount
from core.config.severity import SEVERITIES
from kpiwatch.exit_codes import MEANING
from kpiwatch.messages import plain, say

if TYPE_CHECKING:
    from kpiwatch.pipeline import RunReport


def _by_severity(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES))


def breaches_line(latest: BreachCount) -> str:
    """The latest month's breaches as the dashboard's breaches page counts them (provinces),
    the nation's said apart, so the run and the dashboard give one answer."""
    provinces = sum(latest.provinces.values())
    nation = sum(latest.nation.values())
    line = (
        f"{latest.period}: {provinces} in the provinces ({_by_severity(latest.provinces)}), "
        "as the dashboard's breaches page shows them; the nation is not included"
    )
    if nation:
        return line + f" (it has {nation} more: {_by_severity(latest.nation)})"
    return line + " (it has none)"


def print_summary(report: RunReport, console: Console) -> None:
    """What the run did, in the order it did it, and what the exit code means."""
    table = Table(title=plain(f"kpiwatch run {report.run_id}"), title_justify="left")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("what happened")
    ingest_report = report.ingest
    if ingest_report is not None:
        table.add_row(
            "ingest",
            f"{report.seconds.get('ingest', 0):.1f}",
            f"{ingest_report.count('loaded')} files loaded, "
            f"{ingest_report.count('failed')} failed, "
            + (f"{refused} refused, " if (refused := ingest_report.count("refused")) else "")
            + f"{ingest_report.count('skipped_duplicate')} duplicates; "
            f"{ingest_report.rows_loaded:,} rows",
        )
        lake = ingest_report.lake
        if lake is not None:
            table.add_row(
                "lake",
                f"{lake.seconds:.1f}",
                plain(
                    f"not written ({lake.error}); the next run catches up"
                    if lake.error
                    else f"{lake.files_written} landing files, {lake.rows:,} rows to {lake.root}"
                ),
            )
    built = "not needed (nothing new)"
    if report.built:
        outcome = "failed: nothing published" if report.build_error else "dbt build passed"
        built = f"{outcome} (why: {report.build_reason})"
    table.add_row("build", f"{report.seconds.get('build', 0):.1f}", plain(built))
    c = report.checks
    gx = sum(v for k, v in c.seconds.items() if k.startswith("gx_"))
    table.add_row(
        "checks",
        f"{report.seconds.get('checks', 0):.1f}",
        f"{c.count('pass')} pass, {c.count('warn')} warn, {c.count('fail')} fail "
        f"(GX {gx:.1f} s, freshness {c.seconds.get('freshness', 0):.1f} s, "
        f"volume {c.seconds.get('volume', 0):.1f} s)",
    )
    a = report.alerts
    table.add_row(
        "alerts",
        f"{report.seconds.get('alerts', 0):.1f}",
        f"{a.kinds['new']} new, {a.kinds['reminder']} reminders, {a.kinds['resolved']} resolved; "
        f"{a.rows} outbox rows" + (f", {a.unrouted} with no route" if a.unrouted else ""),
    )
    if a.latest is not None:
        table.add_row("breaches", "", breaches_line(a.latest))
    table.add_row(
        "publish",
        f"{report.seconds.get('publish', 0):.1f}",
        "published" if report.published else "not published",
    )
    sent = ", ".join(
        f"{o.channel}: {o.alerts} sent" if o.sent else f"{o.channel}: {o.alerts} pending"
        for o in report.deliveries.outcomes
    )
    table.add_row(
        "deliver", f"{report.seconds.get('deliver', 0):.1f}", plain(sent or "nothing to send")
    )
    table.add_row("retention", "", plain(f"pruned {report.pruned.describe()}"))
    console.print(table)
    problems = [r for r in c.results if r.status != "pass"]
    for r in sorted(problems, key=lambda r: (r.status != "fail", r.check_name))[:15]:
        where = f" {r.province_code}" if r.province_code else ""
        colour = "red" if r.status == "fail" else "yellow"
        say(console, f"{where} {r.summary_en}".lstrip(), f"  {r.status}", colour)
    if len(problems) > 15:
        console.print(
            f"  … and {len(problems) - 15} more in audit.dq_results (run_id {report.run_id})"
        )
    for o in report.deliveries.failed:
        say(console, f"{o.channel} after {o.tries} tries: {o.error}", "delivery failed", "red")
    if report.build_error:
        say(console, report.build_error, "build failed", "red")
    if c.docs:
        say(console, f"data docs: {c.docs}")
    for note in report.notes:
        say(console, f"note: {note}")
    say(console, f"exit {report.exit_code}: {MEANING[report.exit_code]}")
