"""dbt's own tests of the warehouse, as checks beside Great Expectations'.

``dbt build`` writes ``<home>/dbt/target/run_results.json``; every data and unit test in it
becomes one row of ``audit.dq_results`` (``dbt:<test name>``), and so does a model or seed
that errored (the build then published nothing). A test is a *condition*: it is evaluated
by every build and resolves when it passes again.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.audit.dq_results import CheckResult

STATUS = {
    "pass": "pass",
    "success": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "fail",
    "runtime error": "fail",
}


def _name(unique_id: str) -> str:
    """``test.kpiwatch.unique_provinces_code.4e74`` → ``unique_provinces_code``."""
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 4:
        return parts[2]
    return ".".join(parts[2:]) if len(parts) > 2 else unique_id


def read(path: Path) -> list[CheckResult]:
    """Results of the last dbt invocation (none when it did not get as far as writing them)."""
    if not path.exists():
        return []
    try:
        nodes = json.loads(path.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError) as exc:
        return [
            CheckResult(
                check_name="dbt:run_results",
                subject="dbt:run_results",
                status="fail",
                source="dbt",
                expected="a readable run_results.json",
                details={"path": str(path), "error": str(exc)},
                summary_en=f"dbt results unreadable: {path}: {exc}",
                summary_zh=f"dbt 结果文件无法读取:{path}:{exc}",
            )
        ]
    results = []
    for node in nodes:
        unique_id = node.get("unique_id", "")
        kind = unique_id.split(".")[0]
        status = STATUS.get(node.get("status", ""))
        if status is None or (kind not in ("test", "unit_test") and status == "pass"):
            continue  # skipped nodes; models and seeds that built are not checks
        name = _name(unique_id)
        failures = node.get("failures")
        message = (node.get("message") or "").strip()
        results.append(
            CheckResult(
                check_name=f"dbt:{name}",
                subject=f"dbt:{unique_id}",
                status=status,  # type: ignore[arg-type]
                source="dbt",
                observed=float(failures) if failures is not None else None,
                expected="0 failing rows" if kind != "model" else "builds",
                details={"unique_id": unique_id, "kind": kind, "message": message[:2000]},
                summary_en=f"dbt {kind} {name}: {node.get('status')}"
                + (f", {failures} failing rows" if failures else "")
                + (f" ({message.splitlines()[0][:200]})" if message and status != "pass" else ""),
                summary_zh=f"dbt {kind} {name}:{node.get('status')}"
                + (f",{failures} 行不通过" if failures else ""),
            )
        )
    return results
