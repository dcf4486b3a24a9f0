"""Breach and data alerts: detected, written to an outbox, delivered once, grouped per channel.

- ``conditions``: what is wrong now (marts.kpi_compliance breaches with their severity, and
  the checks of the run that did not pass);
- ``outbox``: new / reminder / resolved against ``audit.alert_state``; outbox rows with
  idempotency keys in ``audit.alerts``;
- ``digest``: one bilingual message per channel; ``channels``: webhook, WeCom, DingTalk,
  Feishu, Slack, email; ``deliver``: retries with backoff, statuses;
- ``settings``: ``[alerts]``, ``[dashboard]``, ``[channels.*]`` and ``[[routes]]`` of
  ``<home>/kpiwatch.toml``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from alerts import conditions, outbox, store
from alerts.settings import AlertSettings
from quality.results import CheckResult


@dataclass
class AlertsReport:
    kinds: Counter[str] = field(default_factory=Counter)
    """Alerts raised this run by kind (new, reminder, resolved)."""
    open_breaches: int = 0
    open_critical: int = 0
    rows: int = 0
    """Outbox rows written (one per alert and channel)."""
    unrouted: int = 0


def raise_alerts(
    con: duckdb.DuckDBPyConnection,
    settings: AlertSettings,
    results: list[CheckResult],
    run_id: str,
    now: datetime,
    with_breaches: bool = True,
) -> AlertsReport:
    """Compare what is wrong now with the last run; write state and outbox (caller's
    transaction). ``with_breaches=False`` when the marts cannot be trusted (failed build)."""
    store.create(con)
    found = conditions.from_checks(con, results, settings, settings.dashboard_url)
    if with_breaches:
        breaches = conditions.breaches(con, settings, settings.dashboard_url)
        found = breaches + found
    report = AlertsReport()
    report.open_breaches = sum(1 for c in found if c.category == "breach" and c.is_open)
    report.open_critical = sum(
        1 for c in found if c.category == "breach" and c.is_open and c.severity == "critical"
    )
    alerts, states = outbox.evaluate(con, found, settings, now)
    report.kinds.update(a.kind for a in alerts)
    report.rows = outbox.enqueue(con, alerts, states, settings, run_id, now)
    report.unrouted = con.execute(
        "select count(*) from audit.alerts where run_id = ? and status = 'unrouted'", [run_id]
    ).fetchone()[0]
    return report
