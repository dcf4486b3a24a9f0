"""The audit schema: one module per audit table (or tight group of tables), each holding the
table's definition and its writers, so a table has one owner.

``create(con)`` makes every audit table that is missing; existing rows stay.
"""

from __future__ import annotations

import duckdb

from core.audit import alerts, dq_results, ingest_files, runs


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Every audit table, created where missing (idempotent)."""
    ingest_files.create(con)
    runs.create(con)
    dq_results.create(con)
    alerts.create(con)
