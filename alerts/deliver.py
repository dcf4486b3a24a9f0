"""Send every pending alert, one digest per channel, and record what happened.

Per channel: all its pending rows (this run's and any earlier run's that failed) become one
digest; it is tried up to ``retries`` times with exponential backoff (``backoff_seconds``,
doubled each time, with jitter). Success marks every row of the digest ``sent`` in one
statement; failure leaves them ``pending`` with the error and the attempt count, for the
next run — or ``failed`` once ``max_attempts`` is reached (0: never give up).

Delivery is at least once: if the process dies after a robot accepted a digest and before
the rows are marked sent, the next run sends that digest again. The digest id (a hash of
the channel and its alerts' keys) goes with it as ``Idempotency-Key`` / ``X-Kpiwatch-Digest``
/ ``Message-ID`` so a receiver that cares can drop the repeat.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from alerts.channels import DeliveryError, send
from alerts.digest import render
from core.config.alerts import AlertSettings


@dataclass
class ChannelOutcome:
    channel: str
    alerts: int
    sent: bool
    tries: int
    error: str | None = None
    digest_id: str | None = None


@dataclass
class DeliveryReport:
    outcomes: list[ChannelOutcome] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(o.alerts for o in self.outcomes if o.sent)

    @property
    def failed(self) -> list[ChannelOutcome]:
        return [o for o in self.outcomes if not o.sent]


def pending(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Pending outbox rows per channel, oldest first."""
    rows = con.execute(
        "select alert_key, channel, payload, attempts from audit.alerts "
        "where status = 'pending' order by created_at, alert_key"
    ).fetchall()
    groups: dict[str, list[dict]] = {}
    for key, channel, payload, attempts in rows:
        groups.setdefault(channel, []).append(
            {"alert_key": key, "payload": json.loads(payload), "attempts": attempts}
        )
    return groups


def deliver(
    con: duckdb.DuckDBPyConnection,
    settings: AlertSettings,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    report = DeliveryReport()
    for name, rows in pending(con).items():
        channel = settings.channels.get(name)
        keys = [r["alert_key"] for r in rows]
        error: str | None = None
        tries = 0
        digest_id = None
        if channel is None:
            error = (
                f"channel {name} is no longer in kpiwatch.toml; add it back (or a channel of "
                "that name) to deliver these alerts"
            )
            tries = 1
        else:
            digest = render(rows, name, channel.type, now(), channel.max_lines)
            digest_id = digest.digest_id
            for attempt in range(settings.retries):
                tries += 1
                try:
                    send(channel, digest, settings.timeout_seconds)
                    error = None
                    break
                except DeliveryError as exc:
                    error = str(exc)
                    if attempt + 1 < settings.retries:
                        pause = settings.backoff_seconds * 2**attempt
                        sleep(pause * random.uniform(0.8, 1.2))
        finished = now()
        if error is None:
            con.execute(
                "update audit.alerts set status = 'sent', attempts = attempts + ?, "
                "last_attempt_at = ?, sent_at = ?, last_error = null, digest_id = ? "
                "where alert_key in (select unnest(?::varchar[]))",
                [tries, finished, finished, digest_id, keys],
            )
        else:
            give_up = settings.max_attempts or 2**31 - 1
            con.execute(
                "update audit.alerts set attempts = attempts + ?, last_attempt_at = ?, "
                "last_error = ?, digest_id = ?, "
                "status = if(attempts + ? >= ?, 'failed', 'pending') "
                "where alert_key in (select unnest(?::varchar[]))",
                [tries, finished, error, digest_id, tries, give_up, keys],
            )
        report.outcomes.append(
            ChannelOutcome(name, len(rows), error is None, tries, error, digest_id)
        )
    return report
