"""The outbox and the state of every alert subject, in the working warehouse.

``audit.alerts`` is the outbox and the alert log at once: one row per alert and channel,
written (with its idempotency key as primary key) in the same transaction that records the
checks, before anything is sent. Delivery only ever moves a row from ``pending`` to ``sent``
(or, after ``max_attempts``, to ``failed``), so an alert is never lost, and the key makes a
second insert of the same alert a no-op, so it is never doubled. An alert that no route
sends anywhere is logged with channel NULL and status ``unrouted``.

``audit.alert_state`` remembers, per subject (a province × KPI × segment × month, a
province × source, …), whether it is open, since when, and when it was last notified: what
tells a new breach from a persisting one, and when a reminder is due.
"""

from __future__ import annotations

import duckdb

# What an alert's condition is about, beyond its subject and category: both tables keep it.
_CONDITION_COLUMNS = """\
    check_name varchar,
    source varchar,
    province_code varchar,
    kpi_id varchar,
    segment varchar,
    period_start date,
"""

DDL = f"""
create schema if not exists audit;
create table if not exists audit.alerts (
    alert_key varchar primary key,
    alert_id varchar not null,
    created_at timestamptz not null,
    run_id varchar not null,
    subject varchar not null,
    category varchar not null,
    kind varchar not null,
    severity varchar not null,
{_CONDITION_COLUMNS}    channel varchar,
    owners varchar[],
    status varchar not null,
    attempts integer not null default 0,
    last_error varchar,
    last_attempt_at timestamptz,
    sent_at timestamptz,
    digest_id varchar,
    payload json
);
create table if not exists audit.alert_state (
    subject varchar primary key,
    category varchar not null,
{_CONDITION_COLUMNS}    state varchar not null,
    severity varchar,
    episode integer not null,
    opened_at timestamptz not null,
    last_seen_at timestamptz not null,
    last_notified_at timestamptz,
    reminders integer not null default 0,
    resolved_at timestamptz
);
"""


_URL = r"'([A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/\s]*@)?([^/\s?#]*)[^\s]*'"
_CUT = f"regexp_replace(last_error, {_URL}, '\\1://\\2/…', 'g')"
FORGET_URLS = (
    f"update audit.alerts set last_error = {_CUT} "
    f"where last_error like '%://%' and {_CUT} <> last_error"
)
"""Errors stored before channels were described by host only carried a webhook's path (and
any user-info): cut every URL in them down to its host, once, on the first run after the
upgrade (the published copy follows with that run's publication)."""


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    con.execute(FORGET_URLS)
