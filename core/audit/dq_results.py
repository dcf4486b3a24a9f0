"""``audit.dq_results``: one outcome of one check, its definition and its writer; the
outcomes are also what the alerts turn into data alerts (so both wings read it from here).

``subject`` names what was checked, stably across runs, so that the alert lifecycle can tell
a problem that persists from a new one. A *condition* (freshness, volume, a dbt test) is
re-evaluated every run and resolves when it passes again; an *event* (a Great Expectations
failure on one run's new batches) happens once: its subject carries the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import duckdb
import pandas as pd

COLUMNS = (
    "run_id", "checked_at", "check_name", "source", "province_code", "status", "observed",
    "expected", "details", "subject",
)  # fmt: skip

DDL = """
create schema if not exists audit;
create table if not exists audit.dq_results (
    run_id varchar not null,
    checked_at timestamptz not null,
    check_name varchar not null,
    source varchar,
    province_code varchar,
    status varchar not null,
    observed double,
    expected varchar,
    details json,
    subject varchar not null
);
"""

Status = Literal["pass", "warn", "fail"]
Lifecycle = Literal["condition", "event"]


@dataclass(frozen=True)
class CheckResult:
    check_name: str
    """Family and name: ``gx:range:wait_minutes``, ``freshness:province``, ``volume``, ``dbt:…``."""
    subject: str
    status: Status
    source: str | None = None
    province_code: str | None = None
    observed: float | None = None
    expected: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    lifecycle: Lifecycle = "condition"
    summary_zh: str = ""
    summary_en: str = ""
    """One line each, for the digest: what is wrong, in words an operator reads."""


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; existing rows stay."""
    con.execute(DDL)


def insert(
    con: duckdb.DuckDBPyConnection, run_id: str, checked_at: datetime, results: list[CheckResult]
) -> None:
    """Store a run's results in one statement (a national run has thousands; one INSERT
    per row would cost a millisecond each)."""
    if not results:
        return
    rows = [
        (run_id, checked_at, r.check_name, r.source, r.province_code, r.status, r.observed,
         r.expected, json.dumps(_plain(r.details), ensure_ascii=False, default=str), r.subject)
        for r in results
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS)  # noqa: F841 (read by name below)
    con.execute(
        f"insert into audit.dq_results ({', '.join(COLUMNS)}) "
        f"select {', '.join(COLUMNS)} from frame"
    )


def _plain(value: Any) -> Any:
    """numpy and pandas scalars out of GX results, as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, TypeError):
            return str(value)
    return value
