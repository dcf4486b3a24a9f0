"""What ``kpiwatch run`` exits with, and why: the policy a scheduler or CI reads.

Every code has one meaning (docs/operations.md lists them); when several conditions hold,
the most urgent wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpiwatch.pipeline import RunReport

EXIT_OK = 0
EXIT_DQ = 1
"""--fail-on dq: a check failed (status fail) in this run."""
EXIT_USAGE = 2
"""Bad arguments, kpiwatch.toml unusable, landing folder missing, home not writable."""
EXIT_BREACH = 3
"""--fail-on breach: a breach is open (look-back months of marts.kpi_breaches)."""
EXIT_DELIVERY = 4
"""A channel did not accept its digest; the alerts stay pending for the next run."""
EXIT_BUILD = 5
"""dbt build failed: nothing was published (data alerts were still delivered)."""
EXIT_BUSY = 75
"""Another kpiwatch process holds the writer lock: this run was skipped (EX_TEMPFAIL)."""
FAIL_ON = ("dq", "breach")

MEANING = {
    EXIT_OK: "ok",
    EXIT_DQ: "data-quality checks failed (--fail-on dq)",
    EXIT_USAGE: "usage or configuration error",
    EXIT_BREACH: "breaches open (--fail-on breach)",
    EXIT_DELIVERY: "a delivery failed; its alerts stay pending for the next run",
    EXIT_BUILD: "dbt build failed; nothing published",
    EXIT_BUSY: "another kpiwatch process is writing; run skipped",
}


def exit_code_for(report: RunReport, fail_on: Iterable[str]) -> int:
    """The most urgent condition wins: build > delivery > dq > breach."""
    fail_on = set(fail_on)
    if report.build_error:
        return EXIT_BUILD
    if report.deliveries.failed:
        return EXIT_DELIVERY
    if "dq" in fail_on and report.dq_failed:
        return EXIT_DQ
    if "breach" in fail_on and report.alerts.open_breaches:
        return EXIT_BREACH
    return EXIT_OK
