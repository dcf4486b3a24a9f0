"""Data-quality checks of every run: data the operator cannot trust, found before publishing.

- ``suites`` / ``validation``: Great Expectations on each newly loaded batch (pandas frames
  read from the working warehouse, file by file or chunk by chunk), and Data Docs;
- ``freshness``: provinces or sources that stopped delivering;
- ``volume``: days far from their same-weekday norm (partial exports);
- ``dbt_results``: dbt's tests of the warehouse;
- ``results`` / ``store``: ``audit.dq_results`` and ``audit.runs``;
- ``settings``: the ``[quality]`` part of ``<home>/kpiwatch.toml``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from core.audit.dq_results import CheckResult
from core.config.quality import QualitySettings
from core.home import Home
from quality import dbt_results, freshness, volume


@dataclass
class ChecksReport:
    results: list[CheckResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    docs: Path | None = None
    validated_through: int = 0
    """The file id validation reached: the next run starts after it."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    home: Home,
    settings: QualitySettings,
    run_id: str,
    now: datetime,
    new_files: tuple[int, int],
    dbt_run_results: Path | None,
) -> ChecksReport:
    """Every check of a run; ``new_files`` = (validated through, loaded through) file ids."""
    since, through = new_files
    report = ChecksReport(validated_through=since)
    if through > since:
        try:
            _validate(con, home, settings, run_id, now, since, through, report)
            report.validated_through = through
            report.results.append(
                CheckResult(
                    check_name="gx:run",
                    subject="gx:run",
                    status="pass",
                    expected="Great Expectations runs",
                    details={"file_ids": [since + 1, through]},
                )
            )
        except Exception as exc:  # any GX failure: reported, and the run goes on
            # Freshness, volume, alerts and publishing must not depend on GX working; the
            # batches stay unvalidated and the next run tries them again.
            report.results.append(
                CheckResult(
                    check_name="gx:run",
                    subject="gx:run",
                    status="fail",
                    expected="Great Expectations runs",
                    details={"error": f"{type(exc).__name__}: {exc}"[:4000]},
                    summary_en=f"Great Expectations could not validate files {since + 1}-"
                    f"{through}: {type(exc).__name__}: {str(exc)[:300]}",
                    summary_zh=f"Great Expectations 无法校验新文件:{type(exc).__name__}",
                )
            )
    began = time.perf_counter()
    report.results += freshness.check(con, settings.freshness, now)
    report.seconds["freshness"] = time.perf_counter() - began
    began = time.perf_counter()
    report.results += volume.check(con, settings.volume)
    report.seconds["volume"] = time.perf_counter() - began
    if dbt_run_results is not None:
        report.results += dbt_results.read(dbt_run_results)
    return report


def _validate(
    con: duckdb.DuckDBPyConnection,
    home: Home,
    settings: QualitySettings,
    run_id: str,
    now: datetime,
    since: int,
    through: int,
    report: ChecksReport,
) -> None:
    began = time.perf_counter()
    from quality.validation import Validation

    validation = Validation(home, settings)
    report.seconds["gx_setup"] = time.perf_counter() - began
    results, seconds = validation.validate(con, run_id, since, through)
    report.results += results
    report.seconds["gx_read"] = seconds["read"]
    report.seconds["gx_validate"] = seconds["validate"]
    began = time.perf_counter()
    report.docs = validation.build_docs(now)
    report.seconds["gx_docs"] = time.perf_counter() - began
