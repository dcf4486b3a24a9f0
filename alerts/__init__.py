"""Breach and data alerts: detected, written to an outbox, delivered once, grouped per channel.

- ``conditions``: what is wrong now (marts.kpi_breaches, with the severity and episode dbt
  judged, the running month's warnings of marts.kpi_at_risk, and the checks of the run
  that did not pass);
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

from alerts import conditions, outbox
from core.audit import alerts as store
from core.audit.dq_results import CheckResult
from core.config.alerts import AlertSettings


@dataclass(frozen=True)
class BreachCount:
    """One month of marts.kpi_breaches by severity: provinces, and the nation apart."""

    period: str
    provinces: Counter[str]
    nation: Counter[str]


def latest_breaches(con: duckdb.DuckDBPyConnection) -> BreachCount | None:
    """The latest published month's breaches: the rows the breaches page shows by default."""
    if not conditions.has_table(con, "marts", "kpi_breaches"):
        return None
    latest = con.execute("select max(period_month) from marts.kpi_compliance").fetchone()[0]
    if latest is None:
        return None
    provinces: Counter[str] = Counter()
    nation: Counter[str] = Counter()
    for is_national, severity, n in con.execute(
        "select is_national, severity, count(*) from marts.kpi_breaches "
        "where period_month = ? group by all",
        [latest],
    ).fetchall():
        (nation if is_national else provinces)[severity] += n
    return BreachCount(f"{latest:%Y-%m}", provinces, nation)


@dataclass
class AlertsReport:
    kinds: Counter[str] = field(default_factory=Counter)
    """Alerts raised this run by kind (new, reminder, resolved)."""
    open_breaches: int = 0
    """Open breach alerts: the look-back months, the nation too when include_national."""
    open_critical: int = 0
    latest: BreachCount | None = None
    """The latest month's breaches, counted as the dashboard's breaches page counts them."""
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
        warnings = conditions.at_risk(con, settings, settings.dashboard_url)
        found = breaches + warnings + found
    report = AlertsReport()
    report.open_breaches = sum(1 for c in found if c.category == "breach" and c.is_open)
    report.open_critical = sum(
        1 for c in found if c.category == "breach" and c.is_open and c.severity == "critical"
    )
    if with_breaches:
        report.latest = latest_breaches(con)
    alerts, states = outbox.evaluate(con, found, settings, now)
    report.kinds.update(a.kind for a in alerts)
    report.rows = outbox.enqueue(con, alerts, states, settings, run_id, now)
    report.unrouted = con.execute(
        "select count(*) from audit.alerts where run_id = ? and status = 'unrouted'", [run_id]
    ).fetchone()[0]
    return report
