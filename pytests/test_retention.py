"""Retention: audit rows older than ``[retention]`` go at a run's end; what the warehouse
needs to rebuild and reconcile stays, whatever the settings."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from core import audit as audit_schema
from core.audit import runs as audit_runs
from core.build_state import project_fingerprint
from core.config import ConfigError
from core.config.retention import DEFAULT_DAYS, RetentionSettings
from core.config.settings import load_settings
from core.home import Home
from dashboards.access import log_event, log_path
from ingest import store as ingest_store
from kpiwatch.output import print_summary
from kpiwatch.pipeline import RunReport, run
from kpiwatch.retention import Pruned, prune, prune_access_log

NOW = datetime(2027, 12, 1, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=DEFAULT_DAYS + 10)
RECENT = NOW - timedelta(days=30)
PROTECTED = ("audit.ingest_files", "audit.quarantine", "audit.alert_state")


def _run_row(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, built: bool,
             validated: int | None) -> None:  # fmt: skip
    con.execute(
        "insert into audit.runs (run_id, started_at, built, build_ok, built_through_file_id, "
        "project_fingerprint, validated_through_file_id) values (?, ?, ?, ?, ?, 'fp', ?)",
        [run_id, at, built, built, 1 if built else None, validated],
    )


def _alert(con: duckdb.DuckDBPyConnection, key: str, at: datetime, status: str) -> None:
    con.execute(
        "insert into audit.alerts (alert_key, alert_id, created_at, run_id, subject, category, "
        "kind, severity, channel, status) values (?, ?, ?, 'r', 's', 'data', 'new', 'warning', "
        "'ops', ?)",
        [key, key, at, status],
    )


def _dq(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime) -> None:
    con.execute(
        "insert into audit.dq_results (run_id, checked_at, check_name, status, subject) "
        "values (?, ?, 'volume', 'pass', 'volume:x')",
        [run_id, at],
    )


@pytest.fixture
def audit(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A tiny working warehouse: every audit table, with rows old and recent."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_store.create(con)
    audit_schema.create(con)
    for file_id, at in ((1, OLD), (2, RECENT)):
        con.execute(
            "insert into audit.ingest_files (file_id, source, path, content_hash, status, "
            "loaded_at) values (?, 'hall_tickets', ?, 'h', 'loaded', ?)",
            [file_id, f"f{file_id}.csv", at],
        )
        con.execute(
            "insert into audit.quarantine values (?, 'hall_tickets', ?, 1, ['bad'], ['m'], null)",
            [file_id, f"f{file_id}.csv"],
        )
    con.execute(
        "insert into audit.alert_state (subject, category, state, episode, opened_at, "
        "last_seen_at) values ('s', 'data', 'resolved', 1, ?, ?)",
        [OLD, OLD],
    )
    # Old runs: one plain, the latest that built, the one that validated the most files.
    _run_row(con, "old-plain", OLD, built=False, validated=1)
    _run_row(con, "old-validated-most", OLD + timedelta(hours=1), built=False, validated=9)
    _run_row(con, "old-last-build", OLD + timedelta(hours=2), built=True, validated=None)
    _run_row(con, "recent", RECENT, built=False, validated=2)
    for run_id, at in (("old-plain", OLD), ("recent", RECENT)):
        _dq(con, run_id, at)
        _dq(con, run_id, at)
    for status in ("sent", "unrouted", "pending", "failed"):
        _alert(con, f"old-{status}", OLD, status)
    _alert(con, "recent-sent", RECENT, "sent")
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def test_old_rows_are_pruned_recent_and_needed_ones_kept(audit, tmp_path: Path) -> None:
    protected = {table: _rows(audit, table) for table in PROTECTED}
    pruned = prune(audit, RetentionSettings(), NOW, tmp_path / "no-log")

    assert pruned.counts == {
        "audit.dq_results": 2, "audit.runs": 1, "audit.alerts": 2, "access log lines": 0,
    }  # fmt: skip
    assert audit.execute("select distinct run_id from audit.dq_results").fetchall() == [("recent",)]
    runs = {r for (r,) in audit.execute("select run_id from audit.runs").fetchall()}
    assert runs == {"old-validated-most", "old-last-build", "recent"}
    # What the next run reads from audit.runs is what it read before the pruning.
    assert audit_runs.validated_through(audit) == 9
    assert audit_runs.last_build(audit) == (True, 1, "fp")
    alerts = {r for (r,) in audit.execute("select alert_key from audit.alerts").fetchall()}
    assert alerts == {"old-pending", "old-failed", "recent-sent"}
    for table, rows in protected.items():
        assert _rows(audit, table) == rows, table
    # Pruning again finds nothing; 0 days keeps everything.
    assert prune(audit, RetentionSettings(), NOW, tmp_path / "no-log").total == 0
    keep_all = RetentionSettings(0, 0, 0, 0)
    assert prune(audit, keep_all, NOW + timedelta(days=9999), tmp_path / "no-log").total == 0


def test_the_access_log_loses_only_its_old_lines(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    path = log_path(home)
    path.parent.mkdir(parents=True)
    old = f'{OLD.isoformat(timespec="seconds")} user="wang" method=local outcome=signed-out'
    recent = (
        f'{RECENT.isoformat(timespec="seconds")} user="li.na" method=local '
        "outcome=signed-in role=national client=-"
    )
    path.write_text(f"{old}\n{old}\nnot a dated line\n{recent}\n", encoding="utf-8")

    assert prune_access_log(path, DEFAULT_DAYS, NOW) == 2
    assert path.read_text(encoding="utf-8") == f"not a dated line\n{recent}\n"
    line = log_event(home, "zhao", "local", "signed-out")  # the dashboard appends as before
    assert path.read_text(encoding="utf-8").splitlines()[-1] == line
    assert prune_access_log(path, 0, NOW + timedelta(days=9999)) == 0


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("dq_results_days = -1", "retention.dq_results_days = -1: expected a whole number"),
        ('runs_days = "13 months"', "retention.runs_days = '13 months': expected a whole number"),
        ("alerts_days = 1.5", "retention.alerts_days = 1.5: expected a whole number"),
        ("keep_days = 30", "unknown key(s) keep_days in [retention]"),
    ],
)
def test_a_bad_retention_setting_is_refused_in_one_line(
    tmp_path: Path, setting: str, expected: str
) -> None:
    home = Home.resolve(tmp_path)
    (home.root / "kpiwatch.toml").write_text(f"[retention]\n{setting}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(home)
    assert expected in str(refused.value) and "\n" not in str(refused.value)


def test_kpiwatch_run_refuses_a_bad_setting_before_touching_anything(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home").ensure()
    (home.root / "kpiwatch.toml").write_text("[retention]\nruns_days = -5\n", encoding="utf-8")
    (tmp_path / "landing").mkdir()
    kpiwatch = str(Path(sys.executable).with_name("kpiwatch"))
    done = subprocess.run(
        [kpiwatch, "--home", str(home.root), "run", str(tmp_path / "landing")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "retention.runs_days = -5" in lines[0], lines
    assert not home.work.exists()


def test_the_run_summary_says_what_was_pruned() -> None:
    report = RunReport("r1", NOW)
    report.pruned = Pruned({"audit.dq_results": 1234, "audit.runs": 0, "audit.alerts": 5})
    console = Console(file=io.StringIO(), width=200)
    print_summary(report, console)
    text = console.file.getvalue()
    assert "pruned 1,234 audit.dq_results, 5 audit.alerts" in text
    assert "audit.runs" not in text.split("pruned", 1)[1].splitlines()[0]


def test_a_run_prunes_at_its_end(home_copy: Home, tmp_path: Path) -> None:
    """A scheduled run with nothing new: no dbt, and last year's checks are gone after it."""
    with duckdb.connect(str(home_copy.work)) as con:
        audit_schema.create(con)
        (through,) = con.execute("select max(file_id) from audit.ingest_files").fetchone()
        # The run that built the published warehouse, 500 days ago: nothing to build now.
        con.execute(
            "insert into audit.runs (run_id, started_at, built, build_ok, project_fingerprint, "
            "built_through_file_id, validated_through_file_id) values "
            "('built-long-ago', ?, true, true, ?, ?, ?)",
            [datetime.now(UTC) - timedelta(days=500), project_fingerprint(), through, through],
        )
        _dq(con, "built-long-ago", datetime.now(UTC) - timedelta(days=500))
        files = _rows(con, "audit.ingest_files")
    (home_copy.root / "kpiwatch.toml").write_text(
        textwrap.dedent("""
            [retention]
            dq_results_days = 100
        """),
        encoding="utf-8",
    )
    (tmp_path / "landing").mkdir()
    report = run(home_copy, tmp_path / "landing", send=False)

    assert not report.built, report.build_reason
    assert report.pruned.counts["audit.dq_results"] == 1
    assert report.pruned.counts["audit.runs"] == 0  # the last build's run is always kept
    with duckdb.connect(str(home_copy.work), read_only=True) as con:
        assert con.execute(
            "select count(*) from audit.dq_results where run_id = 'built-long-ago'"
        ).fetchone() == (0,)
        assert con.execute("select count(*) from audit.dq_results").fetchone()[0] > 0
        assert _rows(con, "audit.ingest_files") == files
