"""From conditions to alerts in the outbox: new, reminder, resolved — each exactly once.

For each subject the last run left open or this run finds open:

- open now, not open before → **new** (a new episode: a breach that resolved and came back
  is news again);
- open now and before → a **reminder** when ``reminder_hours`` have passed since the last
  notice (only where reminders make sense: the latest month, a province still silent), or
  at once when its severity rose (minor → major → critical, from ``marts.kpi_breaches``);
- evaluated now and passing, open before → **resolved**;
- not evaluated now (a month outside the look-back, a dbt test when nothing was built) →
  left as it is.

Every alert gets an id derived from (subject, kind, episode, reminder number), and one outbox
row per channel with the key sha256(id | channel): inserting it twice does nothing, so a
run that crashed half-way and runs again cannot send anything twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from alerts.conditions import Condition
from core.config.alerts import AlertSettings
from core.config.severity import SEVERITIES

SEVERITY_RANK = {"info": 0, "warning": 1} | {s: rank for rank, s in enumerate(SEVERITIES, 1)}
"""A rise re-sends at once: info 0, then minor 1, major 2, critical 3 in SEVERITIES' order
(marts.kpi_breaches.severity_rank's). "warning" is what states written before the bands
were named minor / major / critical say (it was the level below critical)."""
STATE_COLUMNS = (
    "subject", "category", "check_name", "source", "province_code", "kpi_id", "segment",
    "period_start", "state", "severity", "episode", "opened_at", "last_seen_at",
    "last_notified_at", "reminders", "resolved_at",
)  # fmt: skip
ALERT_COLUMNS = (
    "alert_key", "alert_id", "subject", "category", "kind", "severity", "check_name", "source",
    "province_code", "kpi_id", "segment", "period_start", "channel", "owners", "status",
    "attempts", "created_at", "run_id", "payload",
)  # fmt: skip


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Alert:
    alert_id: str
    kind: str
    severity: str
    condition: Condition
    opened_at: datetime
    reminder: int = 0
    escalated: bool = False
    routed_as: str = ""
    """The severity routes see: a resolved alert goes where its open episode went."""


def evaluate(
    con: duckdb.DuckDBPyConnection,
    conditions: list[Condition],
    settings: AlertSettings,
    now: datetime,
) -> tuple[list[Alert], list[dict[str, Any]]]:
    """(alerts to enqueue, state rows to write) — nothing is written here."""
    subjects = [c.subject for c in conditions]
    known: dict[str, dict[str, Any]] = {}
    if subjects:
        frame = con.execute(
            f"select {', '.join(STATE_COLUMNS)} from audit.alert_state "
            "where subject in (select unnest(?::varchar[]))",
            [subjects],
        ).df()
        known = {row["subject"]: row for row in frame.to_dict("records")}
    alerts: list[Alert] = []
    states: list[dict[str, Any]] = []
    interval = timedelta(hours=settings.reminder_hours)
    seen: set[str] = set()
    for c in conditions:
        if c.subject in seen:
            continue
        seen.add(c.subject)
        state = known.get(c.subject)
        is_open = state is not None and state["state"] == "open"
        if c.is_open and not is_open:
            if c.lifecycle == "event" and state is not None:
                continue  # an event happens once
            episode = int(state["episode"]) + 1 if state is not None else 1
            alert_id = _digest(f"{c.subject}|new|{episode}|0", 24)
            alerts.append(Alert(alert_id, "new", c.severity, c, now))
            states.append(_state(c, "open", episode, now, now, now, 0, None))
        elif c.is_open and is_open:
            assert state is not None
            last = _ts(state["last_notified_at"]) or _ts(state["opened_at"])
            rose = SEVERITY_RANK[c.severity] > SEVERITY_RANK.get(state["severity"] or "info", 0)
            due = (
                c.remind
                and c.lifecycle == "condition"
                and last is not None
                and now - last >= interval
            )
            reminders = int(state["reminders"])
            notified = last
            if rose or due:
                reminders += 1
                episode = int(state["episode"])
                alert_id = _digest(f"{c.subject}|reminder|{episode}|{reminders}", 24)
                alerts.append(
                    Alert(
                        alert_id, "reminder", c.severity, c, _ts(state["opened_at"]) or now,
                        reminders, rose,
                    )
                )  # fmt: skip
                notified = now
            states.append(
                _state(
                    c, "open", int(state["episode"]), _ts(state["opened_at"]) or now, now,
                    notified, reminders, None,
                )
            )  # fmt: skip
        elif not c.is_open and is_open and c.lifecycle == "condition":
            assert state is not None
            episode = int(state["episode"])
            alert_id = _digest(f"{c.subject}|resolved|{episode}|0", 24)
            opened = _ts(state["opened_at"]) or now
            previous = state["severity"] or "minor"
            alerts.append(Alert(alert_id, "resolved", "info", c, opened, routed_as=previous))
            states.append(
                _state(c, "resolved", episode, opened, now, now, int(state["reminders"]), now)
            )
    return alerts, states


def _ts(value: Any) -> datetime | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def _about(c: Condition) -> dict[str, Any]:
    """What a condition is about, as audit.alert_state and audit.alerts both record it."""
    return {
        "subject": c.subject,
        "category": c.category,
        "check_name": c.check_name,
        "source": c.source,
        "province_code": c.province_code,
        "kpi_id": c.kpi_id,
        "segment": c.segment,
        "period_start": c.period_start,
    }


def _state(
    c: Condition,
    state: str,
    episode: int,
    opened: datetime,
    seen: datetime,
    notified: datetime | None,
    reminders: int,
    resolved: datetime | None,
) -> dict[str, Any]:
    return {
        **_about(c),
        "state": state,
        "severity": c.severity if state == "open" else None,
        "episode": episode,
        "opened_at": opened,
        "last_seen_at": seen,
        "last_notified_at": notified,
        "reminders": reminders,
        "resolved_at": resolved,
    }


def payload(alert: Alert, owners: list[str], tz_name: str = "Asia/Shanghai") -> dict[str, Any]:
    c = alert.condition
    return {
        **c.facts,
        "category": c.category,
        "kind": alert.kind,
        "severity": alert.severity,
        "subject": c.subject,
        "check_name": c.check_name,
        "source": c.source,
        "province_code": c.province_code,
        "kpi_id": c.kpi_id,
        "segment": c.segment,
        "opened_at": alert.opened_at.isoformat(),
        "reminder": alert.reminder,
        "escalated": alert.escalated,
        "owners": owners,
        "time_zone": tz_name,
    }


def enqueue(
    con: duckdb.DuckDBPyConnection,
    alerts: list[Alert],
    states: list[dict[str, Any]],
    settings: AlertSettings,
    run_id: str,
    now: datetime,
) -> int:
    """Write the state and the outbox rows (caller's transaction); return rows inserted."""
    if states:
        state_frame = pd.DataFrame(states, columns=STATE_COLUMNS)  # noqa: F841 (read by DuckDB)
        con.execute(
            f"insert or replace into audit.alert_state ({', '.join(STATE_COLUMNS)}) "
            f"select {', '.join(STATE_COLUMNS)} from state_frame"
        )
    rows = []
    for alert in alerts:
        c = alert.condition
        channels, owners = settings.route(
            c.category, alert.routed_as or alert.severity, c.province_code, c.kpi_id, c.source,
        )  # fmt: skip
        body = json.dumps(payload(alert, owners), ensure_ascii=False, default=str)
        for channel in channels or [None]:
            rows.append(
                {
                    "alert_key": _digest(f"{alert.alert_id}|{channel or ''}", 32),
                    "alert_id": alert.alert_id,
                    **_about(c),
                    "kind": alert.kind,
                    "severity": alert.severity,
                    "channel": channel,
                    "owners": owners,
                    "status": "pending" if channel else "unrouted",
                    "attempts": 0,
                    "created_at": now,
                    "run_id": run_id,
                    "payload": body,
                }
            )
    if not rows:
        return 0
    before = con.execute("select count(*) from audit.alerts").fetchone()[0]
    alert_frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)  # noqa: F841 (read by DuckDB)
    con.execute(
        f"insert or ignore into audit.alerts ({', '.join(ALERT_COLUMNS)}) "
        f"select {', '.join(ALERT_COLUMNS)} from alert_frame"
    )
    return con.execute("select count(*) from audit.alerts").fetchone()[0] - before
