"""The lake: the raw layer and its audit records as Parquet, the hand-off to Spark.

The DuckDB warehouse stays the system of record; the lake is a copy of it in files
that any engine reads (Spark as external tables, DuckDB with ``read_parquet``)::

    <lake>/raw/<source>/event_date=YYYY-MM-DD/<ingest_file_id>.parquet
    <lake>/audit/ingest_files/ingest_files.parquet
    <lake>/audit/quarantine/quarantine.parquet

- **Raw**: the rows of ``raw.<source>``, with the raw table's columns and types
  (timestamps as UTC-adjusted instants) but the loader's scratch columns ``_reasons``
  and ``_record``, which are null in every committed row. Partitioned hive-style on
  ``event_date``, the Asia/Shanghai date of the source's event (``EVENT_COLUMNS``); the
  partition is only in the path. One file per landing file and date, named after the
  landing file's ``ingest_file_id``: raw rows never change once loaded, so writing a
  file again replaces it with the same rows and never duplicates them.
- **Audit**: ``audit.ingest_files`` and ``audit.quarantine`` whole, one file each,
  replaced at the end of a run that changed them. They are small beside raw, and one
  file each keeps Spark away from thousands of tiny ones. The lake's ``ingest_files``
  also says which landing files the lake holds: a file loaded without the lake (or
  whose lake write was interrupted) is written by the next run that has the lake.

Every file is written beside its place under a hidden name (``.<name>.tmp``, which
Spark and ``*.parquet`` globs skip) and renamed over it, so a reader sees a whole file
or none. One writer per lake: the home's writer lock is held while writing it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.contract import SOURCES, raw_columns
from core.home import Home, make_writable
from core.sql import literal, quote
from core.warehouse import configure, exclusive, refused_as_busy

ENV = "KPIWATCH_LAKE"
PARTITION = "event_date"
ZONE = "Asia/Shanghai"
"""Dates are the operator's local dates (no offset means Asia/Shanghai)."""
EVENT_COLUMNS: dict[str, str] = {
    name: next(c.name for c in source.columns if c.type == "timestamp" and c.required)
    for name, source in SOURCES.items()
}
"""The moment each source's record opens (a ticket taken, a call queued, the hour counted,
a fault reported, an order accepted): required, so never null in raw."""
AUDIT_TABLES = {
    "ingest_files": "order by file_id",
    "quarantine": "order by file_id, row_number",
}


class LakeError(RuntimeError):
    """The lake cannot be written; the message says where and why."""


def raw_lake_columns(source: str) -> list[str]:
    """The raw table's columns as the lake has them (without the loader's scratch columns)."""
    names = [name for name, _ in raw_columns(SOURCES[source])]
    return [*names, "ingest_file_id", "source_row_number"]


@dataclass
class LakeReport:
    root: Path
    files_written: int = 0
    """Landing files whose raw rows were written (again)."""
    parquet_files: int = 0
    rows: int = 0
    audit_written: bool = False
    removed: int = 0
    """Files of landing files the warehouse does not hold, or left half-written (export)."""
    seconds: float = 0.0
    error: str | None = None
    """Why the lake stopped being written (the warehouse is complete; the next run with
    the lake writes what it misses)."""
    rows_by_source: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Lake:
    root: Path

    @classmethod
    def resolve(cls, home: Home, directory: str | os.PathLike[str] | None = None) -> Lake:
        """``directory``, else ``KPIWATCH_LAKE``, else ``<home>/lake``."""
        chosen = directory or os.environ.get(ENV) or home.lake
        return cls(Path(chosen).expanduser().resolve())

    @classmethod
    def from_env(cls, home: Home) -> Lake | None:
        """The lake ``KPIWATCH_LAKE`` names, or None when it is not set."""
        return cls.resolve(home) if os.environ.get(ENV) else None

    def raw_dir(self, source: str) -> Path:
        return self.root / "raw" / source

    def audit_file(self, table: str) -> Path:
        return self.root / "audit" / table / f"{table}.parquet"

    def open(self) -> Lake:
        """Make sure the lake can be written, before anything loads."""
        try:
            make_writable(self.root)
        except OSError as exc:
            raise LakeError(f"cannot write the lake {self.root}: {exc.strerror or exc}") from exc
        return self

    # -------------------------------------------------------------------- raw

    def write_files(
        self, con: duckdb.DuckDBPyConnection, source: str, file_ids: list[int], report: LakeReport
    ) -> None:
        """Write (or replace) the raw rows of these landing files, committed in ``con``.

        One COPY per landing file, partitioned by date straight into the lake under
        hidden names, each file then renamed to ``<id>.parquet``. One COPY for many
        landing files would have to partition on the file too: a folder per landing
        file and date, created and removed again, which costs more than a statement
        per landing file (removing a folder can take milliseconds).
        """
        folder = self.raw_dir(source)
        folder.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(quote(c) for c in raw_lake_columns(source))
        event = quote(EVENT_COLUMNS[source])
        for file_id in map(int, file_ids):
            rows, written = con.execute(
                f"copy (select {columns}, "
                f"cast(timezone({literal(ZONE)}, {event}) as date) as {PARTITION} "
                f"from raw.{source} where ingest_file_id = {file_id} "
                "order by source_row_number) "
                f"to {literal(str(folder))} (format parquet, partition_by ({PARTITION}), "
                f"filename_pattern '.{file_id}_{{i}}', file_extension 'tmp', "
                "overwrite_or_ignore true, return_files true)"
            ).fetchone()
            parts: dict[Path, list[Path]] = {}
            for name in written:
                path = Path(name)
                parts.setdefault(path.parent, []).append(path)
            for date_folder, pieces in parts.items():
                self._install(con, sorted(pieces), date_folder / f"{file_id}.parquet")
            report.parquet_files += len(parts)
            report.files_written += 1
            report.rows += rows
            report.rows_by_source[source] = report.rows_by_source.get(source, 0) + rows

    def _install(self, con: duckdb.DuckDBPyConnection, parts: list[Path], target: Path) -> None:
        """Rename a written file over its place (DuckDB may write a big partition in parts)."""
        if len(parts) > 1:
            whole = target.with_name(f".{target.stem}.tmp")
            listed = "[" + ", ".join(literal(str(p)) for p in parts) + "]"
            con.execute(
                f"copy (select * from read_parquet({listed}) order by source_row_number) "
                f"to {literal(str(whole))} (format parquet)"
            )
            for part in parts:
                part.unlink()
            parts = [whole]
        os.replace(parts[0], target)

    # ------------------------------------------------------------------ audit

    def held(self, con: duckdb.DuckDBPyConnection) -> set[int]:
        """The file ids of the lake's ingest_files: the landing files it holds."""
        snapshot = self.audit_file("ingest_files")
        if not snapshot.exists():
            return set()
        rows = con.execute(f"select file_id from read_parquet({literal(str(snapshot))})")
        return {file_id for (file_id,) in rows.fetchall()}

    def write_audit(self, con: duckdb.DuckDBPyConnection, report: LakeReport) -> None:
        for table, order in AUDIT_TABLES.items():
            target = self.audit_file(table)
            target.parent.mkdir(parents=True, exist_ok=True)
            hidden = target.with_name(f".{target.stem}.tmp")
            con.execute(
                f"copy (select * from audit.{table} {order}) to {literal(str(hidden))} "
                "(format parquet)"
            )
            os.replace(hidden, target)
        report.audit_written = True

    # ------------------------------------------------------------ whole runs

    def catch_up(self, con: duckdb.DuckDBPyConnection, report: LakeReport) -> None:
        """Write the landing files the warehouse loaded and the lake does not hold yet."""
        held = self.held(con)
        for source, ids in _loaded(con).items():
            missing = [i for i in ids if i not in held]
            if missing:
                self.write_files(con, source, missing, report)

    def finish(self, con: duckdb.DuckDBPyConnection, report: LakeReport) -> None:
        """Replace the audit tables if the warehouse's have rows the lake's do not (both
        only ever gain rows, one ingest_files row per landing file)."""
        held = self.held(con)
        (count, greatest) = con.execute(
            "select count(*), coalesce(max(file_id), 0) from audit.ingest_files"
        ).fetchone()
        if report.files_written or (len(held), max(held, default=0)) != (count, greatest):
            self.write_audit(con, report)

    def export(self, con: duckdb.DuckDBPyConnection) -> LakeReport:
        """The whole lake from a warehouse: every raw row and both audit tables, written
        again; raw files of landing files the warehouse does not hold are removed."""
        began = time.perf_counter()
        report = LakeReport(self.root)
        self.open()
        loaded = _loaded(con)
        for source, ids in loaded.items():
            self.write_files(con, source, ids, report)
        for source in SOURCES:
            keep = set(loaded.get(source, []))
            for path in self.raw_dir(source).glob(f"{PARTITION}=*/*"):
                stale = path.name.startswith(".") and path.suffix == ".tmp"  # interrupted
                if path.suffix == ".parquet" and path.stem.isdigit():
                    stale = int(path.stem) not in keep
                if stale:
                    path.unlink()
                    report.removed += 1
                    with contextlib.suppress(OSError):  # the date's folder, if now empty
                        path.parent.rmdir()
        self.write_audit(con, report)
        report.seconds = time.perf_counter() - began
        return report


def _loaded(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """File ids with rows in raw, per source."""
    rows = con.execute(
        "select source, list(file_id order by file_id) from audit.ingest_files "
        "where status = 'loaded' and rows_loaded > 0 group by source order by source"
    ).fetchall()
    return dict(rows)


def export(home: Home, lake: Lake) -> LakeReport:
    """``kpiwatch lake export``: the lake from the working warehouse (else the published
    one), under the writer lock so that no ingest writes either meanwhile. Another
    process holding DuckDB's own lock on that file (an analyst's ``duckdb``) is
    ``WriterBusy``: try again later."""
    with exclusive(home):
        warehouse = home.work if home.work.exists() else home.warehouse
        if not warehouse.exists():
            raise LakeError(
                f"no warehouse in {home.root} to export; load one first (kpiwatch ingest)"
            )
        with refused_as_busy(warehouse):
            con = configure(duckdb.connect(str(warehouse), read_only=True), writer=False)
        try:
            return lake.export(con)
        except (duckdb.Error, OSError) as exc:
            raise LakeError(f"cannot write the lake {lake.root}: {exc}") from exc
        finally:
            con.close()
