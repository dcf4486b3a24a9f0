"""A hostile delivery, run the way an operator runs it: files planted in a landing folder,
then ``kpiwatch ingest`` as a separate process, then the audit trail read back.

Every case of the hostile-landing suites asserts the same things through ``check``:
- the command ends without a traceback and with its documented exit code;
- each planted file has exactly one ``audit.ingest_files`` row with the expected status,
  and its counts reconcile: rows_read = rows_loaded + rows_quarantined, the raw table holds
  rows_loaded rows of it and the quarantine rows_quarantined, and rows_read equals the
  count the case made itself (an independent recount, not the loader's);
- the quarantine names the expected reason codes;
- the process's peak memory, when the case asks, stays under a bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.contract import SOURCES

KPIWATCH = str(Path(sys.executable).with_name("kpiwatch"))

INGEST_OK = 0
"""Every file loaded (bad rows quarantined is still ok)."""
INGEST_SOME_FAILED = 1
"""At least one file failed or was refused, or a landing folder is not a source: the rest loaded."""


@dataclass(frozen=True)
class Expect:
    """What one planted file must become."""

    status: str
    """audit.ingest_files.status: loaded, failed, refused, skipped_duplicate."""
    read: int = 0
    """Data records in the file, counted by the case that wrote it."""
    loaded: int = 0
    quarantined: int = 0
    reasons: frozenset[str] = frozenset()
    """Reason codes that the file's quarantined rows carry, all of them."""
    error: str | None = None
    """Words that the audit row's error must contain (failed and refused files)."""


@dataclass
class Ingested:
    code: int
    stdout: str
    stderr: str
    peak_rss: int
    """Peak resident memory of the ingest process, in bytes."""
    files: dict[str, dict] = field(default_factory=dict)
    """audit.ingest_files rows by path relative to the landing folder."""


def plant(landing: Path, relative: str, content: bytes) -> Path:
    """Write ``content`` at ``<landing>/<relative>`` (folders made as needed)."""
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def ingest_cli(home: Path, landing: Path, env: dict[str, str] | None = None) -> Ingested:
    """``kpiwatch --home HOME ingest LANDING`` in its own process; ``peak_rss`` is that
    process's own peak (os.wait4), whatever other children the test ran before."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [KPIWATCH, "--home", str(home), "ingest", str(landing)],
            stdout=out,
            stderr=err,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = Ingested(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss * 1024,
        )
    done.files = audit_files(home)
    return done


def audit_files(home: Path) -> dict[str, dict]:
    work = home / "work" / "warehouse.duckdb"
    if not work.exists():
        return {}
    with duckdb.connect(str(work), read_only=True) as con:
        cursor = con.execute("select * from audit.ingest_files order by file_id")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["path"]: row for row in rows}


def query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "work" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def check(done: Ingested, home: Path, expected: dict[str, Expect], code: int) -> None:
    """Assert the run and every planted file against what the case expects."""
    for text in (done.stdout, done.stderr):
        assert "Traceback" not in text, text
    assert done.code == code, (done.code, done.stderr[-3000:])
    assert set(done.files) == set(expected), (sorted(done.files), sorted(expected))
    for path, want in expected.items():
        row = done.files[path]
        assert row["status"] == want.status, (path, row)
        if want.error is not None:
            assert want.error.lower() in (row["error"] or "").lower(), (path, row["error"])
        if want.status != "loaded":
            assert not row["rows_loaded"], (path, row)
            assert _raw_rows(home, row["source"], row["file_id"]) == 0
            continue
        assert row["rows_read"] == want.read, (path, row["rows_read"], want.read)
        assert row["rows_loaded"] == want.loaded, (path, row["rows_loaded"], want.loaded)
        assert row["rows_quarantined"] == want.quarantined, (path, row)
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"]
        assert _raw_rows(home, row["source"], row["file_id"]) == want.loaded
        reasons = query(
            home,
            "select count(*), list_distinct(flatten(list(reasons))) from audit.quarantine "
            "where file_id = ?",
            [row["file_id"]],
        )[0]
        assert reasons[0] == want.quarantined, (path, reasons)
        assert set(reasons[1] or []) == set(want.reasons), (path, reasons[1])


def _raw_rows(home: Path, source: str, file_id: int) -> int:
    assert source in SOURCES
    sql = f"select count(*) from raw.{source} where ingest_file_id = ?"
    return query(home, sql, [file_id])[0][0]
