"""Load every new landing file into the raw layer, each file completely or not at all.

For each file, in path (arrival) order, its content hash decides: the same path and
content seen before is left alone (a rerun changes nothing); content already loaded
under another name is recorded once as ``skipped_duplicate``. New files are read by
DuckDB (GB18030 text transcoded first); ``rules`` types and checks every row; valid rows
land in ``raw.<source>``, faulty ones move to ``audit.quarantine`` with every reason and
the record as delivered; ``audit.ingest_files`` records rows read = loaded + quarantined.
All of it happens in one transaction, so a file killed half-way leaves no trace and the
next run loads it exactly once. A file DuckDB cannot read is recorded as ``failed`` with
the reason; the others still load.

Small files of the same source and shape are loaded together, in one scan and one
transaction (a national month is thousands of daily files, and per-file overhead would
dominate). If anything in such a batch fails, its files are loaded one by one, so one
bad file never takes good ones down with it.

With a lake (``ingest.lake``), each batch's raw rows are also written as Parquet once
the batch has committed, and the audit tables at the end of the run.
"""

from __future__ import annotations

import csv
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ingest import store
from ingest.lake import Lake, LakeReport
from ingest.landing_file import LandingFile, as_utf8, discover, fingerprint
from ingest.privacy import pii_key
from ingest.rules import FileColumn, RowRules, literal, normal_name, quote
from ingest.window import IngestSettings
from kpiwatch.contract import SOURCES
from kpiwatch.home import Home
from kpiwatch.warehouse import writer

Progress = Callable[[LandingFile, float], None]
"""Called with a file and the fraction of it read so far (0.0 to 1.0)."""

BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 400
ALONE_BYTES = 16 * 1024 * 1024
"""Files at least this big load alone: their row numbers need no window over the batch."""


@dataclass
class FileOutcome:
    file: LandingFile
    status: str
    """loaded, skipped_duplicate, failed, or unchanged (seen before: nothing recorded)."""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    landing: Path
    outcomes: list[FileOutcome] = field(default_factory=list)
    unknown_folders: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lake: LakeReport | None = None
    """What the lake sink wrote, when asked for (``ingest(..., lake=...)``)."""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.outcomes)

    @property
    def rows_read(self) -> int:
        return sum(o.rows_read for o in self.outcomes)

    @property
    def ok(self) -> bool:
        lake_failed = self.lake is not None and self.lake.error is not None
        return not self.count("failed") and not self.unknown_folders and not lake_failed


@dataclass
class _New:
    file: LandingFile
    digest: str
    shape: str
    """Files of one source, format and header load together."""
    encoding: str | None = None
    """utf-8 or gb18030 when known before reading (uncompressed text), else None."""
    file_id: int = 0
    """Reserved in path order before anything loads: ties between versions of a record
    go to the greater id, i.e. the later delivery, however the files are batched."""

    @property
    def key(self) -> tuple[str, str, bool, str, str | None]:
        return (self.file.source, self.file.format, self.file.compressed, self.shape, self.encoding)


def _shape(file: LandingFile) -> str:
    """The file's columns as delivered, in order (Parquet: with types); files of one shape
    are read together with their columns declared, so DuckDB sniffs nothing. A file whose
    first line cannot be read is a shape of its own (it will fail on its own)."""
    try:
        if file.format == "parquet":
            return "\t".join(f"{f.name}:{f.type}" for f in pq.read_schema(file.path))
        opener = gzip.open if file.compressed else open
        with opener(file.path, "rb") as handle:
            first = handle.readline()
        if file.format == "jsonl":
            return "\t".join(json.loads(first.decode("utf-8")).keys())
        return "\t".join(next(csv.reader([first.decode("utf-8-sig")])))
    except (OSError, EOFError, ValueError, UnicodeDecodeError, StopIteration):
        return "alone:" + file.relative


def _batches(new: list[_New]) -> Iterator[list[_New]]:
    """Files of one source and shape together, in path order, bounded in size."""
    groups: dict[tuple, list[_New]] = {}
    for item in new:
        alone = item.file.size >= ALONE_BYTES or item.shape.startswith("alone:")
        groups.setdefault(("alone", item.file_id) if alone else item.key, []).append(item)
    for items in groups.values():
        batch: list[_New] = []
        size = 0
        for item in items:
            if batch and (size + item.file.size > BATCH_BYTES or len(batch) >= BATCH_FILES):
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += item.file.size
        yield batch


def _json_columns(names: list[str], source: str) -> list[str]:
    """Keys to read from JSON Lines: the first object's, plus every contract column not in
    it (an exporter that omits null keys may leave one out of the first line), spelled in
    the exporter's case."""
    upper = bool(names) and all(n == n.upper() for n in names)
    lowered = {normal_name(n) for n in names}
    extra = [c.name for c in SOURCES[source].columns if c.name not in lowered]
    return names + [n.upper() if upper else n for n in extra]


def _scan(items: list[_New], paths: list[Path], con: duckdb.DuckDBPyConnection):
    """The table function over the files (with ``filename``) and their delivered columns."""
    where = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
    first = items[0]
    fmt = first.file.format
    if fmt == "parquet":
        scan = f"read_parquet({where}, filename = true, file_row_number = true)"
        described = con.execute(f"describe select * from {scan}").fetchall()
        scanned = [(n, t) for n, t, *_ in described if n not in ("filename", "file_row_number")]
        delivered = _parquet_names(paths[0], [n for n, _ in scanned])
        return scan, [FileColumn(d, t, n) for d, (n, t) in zip(delivered, scanned, strict=True)]
    names = first.shape.split("\t")
    if fmt == "jsonl":
        names = _json_columns(names, first.file.source)
        declared = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
        scan = (
            f"read_json({where}, format = 'newline_delimited', columns = {declared}, "
            "filename = true)"
        )
        absent = _absent_json_keys(con, scan, names, first)
        return scan, [FileColumn(n, "VARCHAR") for n in names if n not in absent]
    unique = _unique(names)
    declared = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in unique) + "}"
    scan = (
        f"read_csv({where}, columns = {declared}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, filename = true)"
    )
    return scan, [FileColumn(n, "VARCHAR", u) for n, u in zip(names, unique, strict=True)]


def _parquet_names(path: Path, scanned: list[str]) -> list[str]:
    """The column names as the file spells them: DuckDB renames a repeated one
    (``CALLER_NUMBER`` beside ``caller_number`` becomes ``CALLER_NUMBER_1``), and the rules
    must see both to refuse the ambiguity."""
    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError):
        return scanned
    return names if len(names) == len(scanned) else scanned


def _unique(names: list[str]) -> list[str]:
    """Names for the scan that DuckDB (case-insensitive) tells apart; a repeated header
    name gets a suffix, and the rules see both columns under their delivered names."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}__{n}"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique


def _absent_json_keys(
    con: duckdb.DuckDBPyConnection, scan: str, names: list[str], first: _New
) -> set[str]:
    """Required keys missing from the first object and never present later: absent columns."""
    first_keys = {normal_name(k) for k in first.shape.split("\t")}
    required = [
        n for n in names if normal_name(n) in SOURCES[first.file.source].required
        and normal_name(n) not in first_keys
    ]  # fmt: skip
    if not required:
        return set()
    counts = con.execute(
        "select " + ", ".join(f"count({quote(n)})" for n in required) + f" from {scan}"
    ).fetchone()
    return {n for n, k in zip(required, counts, strict=True) if k == 0}


def _among(column: str, ids: list[int]) -> str:
    """A filter on file ids that DuckDB can also prune by range (ids grow with time)."""
    listed = ", ".join(str(i) for i in ids)
    return f"({column} between {min(ids)} and {max(ids)} and {column} in ({listed}))"


def _is_encoding_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "utf-8" in text or "unicode" in text


class _Poller:
    """Reports a running query's progress from a side thread (DuckDB allows it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, file: LandingFile, report: Progress):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(con, file, report), daemon=True)

    def _run(self, con: duckdb.DuckDBPyConnection, file: LandingFile, report: Progress) -> None:
        while not self.stop.wait(0.2):
            try:
                done = con.query_progress()
            except duckdb.Error:
                return
            if done >= 0:
                report(file, min(done, 100.0) / 100)

    def __enter__(self) -> _Poller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


FILE_COLUMNS = {
    "file_id": "bigint", "source": "varchar", "path": "varchar", "content_hash": "varchar",
    "status": "varchar", "format": "varchar", "encoding": "varchar", "bytes": "bigint",
    "rows_read": "bigint", "rows_loaded": "bigint", "rows_quarantined": "bigint",
    "error": "varchar", "duplicate_of": "bigint", "seconds": "double",
}  # fmt: skip
"""The columns of an audit.ingest_files row as the loader writes it, with their types
(loaded_at is now())."""


class Loader:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        home: Home,
        progress: Progress | None,
        lake: Lake | None = None,
        settings: IngestSettings | None = None,
    ):
        self.con = con
        self.settings = settings or IngestSettings()
        self.home = home
        self.progress = progress
        self.key = pii_key(home)
        self.lake = lake.open() if lake is not None else None
        self.lake_report = LakeReport(lake.root) if lake is not None else None
        store.create(con)
        self.optimistic = True
        rows = con.execute(
            "select path, content_hash, status, file_id from audit.ingest_files"
        ).fetchall()
        self.seen = {(path, digest) for path, digest, _, _ in rows}
        self.loaded = {digest: fid for _, digest, status, fid in rows if status == "loaded"}

    # --------------------------------------------------------------- bookkeeping

    def _next_ids(self, n: int) -> list[int]:
        return [
            r[0]
            for r in self.con.execute(
                "select nextval('audit.ingest_file_ids') from range(?)", [n]
            ).fetchall()
        ]

    def _record(self, item: _New, outcome: FileOutcome, seconds: float, **extra) -> None:
        f = item.file
        self._insert_files(
            [(item.file_id, f.source, f.relative, item.digest, outcome.status, f.format, None,
              f.size, None, None, None, outcome.error, extra.get("duplicate_of"), seconds)]
        )  # fmt: skip
        self.seen.add((f.relative, item.digest))

    def _rollback(self) -> None:
        with suppress(duckdb.Error):  # no transaction was open
            self.con.rollback()

    # ------------------------------------------------------------------- loading

    def run(self, files: list[LandingFile], on_file: Callable[[FileOutcome], None]) -> None:
        new: list[_New] = []
        twins: list[_New] = []
        pending: set[str] = set()
        for file in files:
            digest, encoding = fingerprint(file)
            if (file.relative, digest) in self.seen:
                on_file(FileOutcome(file, "unchanged"))
            elif digest in self.loaded or digest in pending:
                twins.append(_New(file, digest, ""))
            else:
                pending.add(digest)
                new.append(_New(file, digest, _shape(file), encoding))
        for item, file_id in zip(new, self._next_ids(len(new)), strict=True):
            item.file_id = file_id
        if self.lake is not None:
            self._to_lake(lambda lake, report: lake.catch_up(self.con, report))
        for batch in _batches(new):
            outcomes = self._load_batch(batch)
            self._loaded_to_lake(batch, outcomes)
            for outcome in outcomes:
                on_file(outcome)
        for twin in twins:
            if twin.digest in self.loaded:
                on_file(self._duplicate(twin))
            else:  # its twin failed to load: try this copy on its own
                (twin.file_id,) = self._next_ids(1)
                twin.shape = _shape(twin.file)
                twin.encoding = fingerprint(twin.file)[1]
                outcome = self._load_one(twin)
                self._loaded_to_lake([twin], [outcome])
                on_file(outcome)
        if self.lake is not None:
            self._to_lake(lambda lake, report: lake.finish(self.con, report))

    # ---------------------------------------------------------------------- lake

    def _loaded_to_lake(self, items: list[_New], outcomes: list[FileOutcome]) -> None:
        """After a batch committed: its raw rows to the lake (when there is one)."""
        if self.lake is None:
            return
        ids = [
            item.file_id
            for item, outcome in zip(items, outcomes, strict=True)
            if outcome.status == "loaded" and outcome.rows_loaded
        ]
        if ids:
            source = items[0].file.source
            self._to_lake(lambda lake, report: lake.write_files(self.con, source, ids, report))

    def _to_lake(self, write: Callable[[Lake, LakeReport], None]) -> None:
        """Write to the lake unless a write failed before: the warehouse is the record,
        and what the lake misses (its audit snapshot says which files it holds) is
        written by the next run that has the lake."""
        report = self.lake_report
        if self.lake is None or report is None or report.error is not None:
            return
        began = time.perf_counter()
        try:
            write(self.lake, report)
        except (duckdb.Error, OSError) as exc:
            text = str(exc).strip()
            report.error = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
        finally:
            report.seconds += time.perf_counter() - began

    def _duplicate(self, item: _New) -> FileOutcome:
        outcome = FileOutcome(item.file, "skipped_duplicate")
        (item.file_id,) = self._next_ids(1)
        self.con.begin()
        self._record(item, outcome, 0.0, duplicate_of=self.loaded[item.digest])
        self.con.commit()
        return outcome

    def _load_batch(self, batch: list[_New]) -> list[FileOutcome]:
        """Load files together; if that fails, split the batch until the culprit is alone."""
        if len(batch) == 1:
            return [self._load_one(batch[0])]
        try:
            if batch[0].encoding == "gb18030":
                with ExitStack() as stack:
                    paths = [stack.enter_context(as_utf8(i.file, self.home.scratch)) for i in batch]
                    return self._load(batch, paths, "gb18030")
            return self._load(batch, [i.file.path for i in batch], "utf-8")
        except (duckdb.Error, UnicodeDecodeError, OSError, EOFError):
            self._rollback()
        half = len(batch) // 2
        return self._load_batch(batch[:half]) + self._load_batch(batch[half:])

    def _load_one(self, item: _New) -> FileOutcome:
        began = time.perf_counter()
        file = item.file
        if item.encoding != "gb18030":
            try:
                return self._load([item], [file.path], "utf-8")[0]
            except duckdb.Error as exc:
                self._rollback()
                if file.format == "parquet" or not _is_encoding_error(exc):
                    return self._fail(item, exc, began)
        try:
            with as_utf8(file, self.home.scratch) as utf8:
                return self._load([item], [utf8], "gb18030")[0]
        except (duckdb.Error, UnicodeDecodeError, OSError, EOFError) as exc:
            self._rollback()
            return self._fail(item, exc, began)

    def _fail(self, item: _New, exc: BaseException, began: float) -> FileOutcome:
        text = str(exc).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        outcome = FileOutcome(item.file, "failed", error=f"{type(exc).__name__}: {message}"[:2000])
        self.con.begin()
        self._record(item, outcome, time.perf_counter() - began)
        self.con.commit()
        return outcome

    def _load(self, items: list[_New], paths: list[Path], encoding: str) -> list[FileOutcome]:
        """Load files in one transaction; raise (having changed nothing) if any fails."""
        began = time.perf_counter()
        files = [i.file for i in items]
        source = SOURCES[files[0].source]
        scan, columns = _scan(items, paths, self.con)
        delivered = datetime.now(UTC)  # the plausibility window ends a little after this
        rules = RowRules(source, columns, self.key, self.settings.window(delivered))
        table = store.raw_table(source.name)
        self._write_optimistically(
            sum(f.size for f in files) > BATCH_BYTES or any(f.size >= ALONE_BYTES for f in files)
        )
        self.con.begin()
        ids = [i.file_id for i in items]
        mapping = ", ".join(f"({literal(str(p))}, {i})" for p, i in zip(paths, ids, strict=True))
        parquet = files[0].format == "parquet"
        if parquet:
            row = "file_row_number + 1"  # Parquet numbers its rows per file itself
        elif len(items) == 1:
            row = "ordinality"  # one file: its own order, no window over a big file
        else:
            row = "row_number() over (partition by f.filename order by ordinality)"
        ordinality = "" if parquet else " with ordinality"
        relation = (
            f"(select f.*, m.file_id as _file_id, {row} as _row "
            f"from (select * from {scan}{ordinality}) as f "
            f"join (values {mapping}) as m(path, file_id) on f.filename = m.path)"
        )
        quarantine = (
            "insert into audit.quarantine (file_id, source, path, row_number, reasons, messages, "
            "record) "
        )
        names = ", ".join(f"({i}, {literal(f.relative)})" for i, f in zip(ids, files, strict=True))
        paths_of = f"(values {names}) as p(file_id, path)"
        codes = "list_transform({0}, lambda r: r.code), list_transform({0}, lambda r: r.message)"
        with self._progress(files[0]):
            if rules.rejects_every_row:
                self.con.execute(
                    f"{quarantine} select q.file_id, {literal(source.name)}, p.path, q.row_number,"
                    f" {codes.format('q.reasons')}, q.record "
                    f"from ({rules.select_rejected(relation)}) as q join {paths_of} using (file_id)"
                )
            else:
                self.con.execute(f"insert into {table} {rules.select(relation)}")
                moved = self.con.execute(
                    f"{quarantine} select r.ingest_file_id, {literal(source.name)}, p.path, "
                    f"r.source_row_number, {codes.format('r._reasons')}, r._record from {table} r "
                    f"join {paths_of} on p.file_id = r.ingest_file_id "
                    f"where {_among('r.ingest_file_id', ids)} and r._reasons is not null",
                ).fetchone()[0]
                if moved:
                    self.con.execute(
                        f"delete from {table} where {_among('ingest_file_id', ids)} "
                        "and _reasons is not null"
                    )
        counts = self._counts(table, ids, rules.rejects_every_row)
        seconds = (time.perf_counter() - began) / len(items)
        outcomes, records = [], []
        for item, file_id in zip(items, ids, strict=True):
            loaded, moved = counts.get(file_id, (0, 0))
            f = item.file
            records.append(
                (file_id, f.source, f.relative, item.digest, "loaded", f.format,
                 None if f.format == "parquet" else encoding, f.size, loaded + moved, loaded,
                 moved, None, None, seconds)
            )  # fmt: skip
            outcomes.append(FileOutcome(f, "loaded", loaded + moved, loaded, moved))
        self._insert_files(records)
        self.con.commit()
        for item, file_id in zip(items, ids, strict=True):
            self.seen.add((item.file.relative, item.digest))
            self.loaded[item.digest] = file_id
        return outcomes

    def _write_optimistically(self, big: bool) -> None:
        """DuckDB writes a big insert to disk as it goes, before the commit; but one row
        deleted in the same transaction (a faulty row moved to the quarantine) makes the
        commit throw that away and append every row again: everything is compressed and
        written twice. A batch of small files is kept in memory until its commit instead
        (beyond the memory limit DuckDB spills it); a big file is still written as it goes,
        so memory stays flat whatever its size."""
        if big != self.optimistic:
            self.con.execute(f"set enable_optimistic_write = {str(big).lower()}")
            self.optimistic = big

    def _insert_files(self, records: list[tuple]) -> None:
        """One statement for a batch's audit rows, each column bound as one list: one INSERT
        per file, or a parameter per value, cost more than loading small files' rows (and
        an Arrow table would import pandas, over a second per run)."""
        columns = [list(column) for column in zip(*records, strict=True)]
        unnested = ", ".join(
            f"unnest(${i}::{kind}[])" for i, kind in enumerate(FILE_COLUMNS.values(), start=1)
        )
        self.con.execute(
            f"insert into audit.ingest_files ({', '.join(FILE_COLUMNS)}, loaded_at) "
            f"select {unnested}, now()",
            columns,
        )

    def _counts(self, table: str, ids: list[int], all_quarantined: bool) -> dict[int, tuple]:
        moved = dict(
            self.con.execute(
                f"select file_id, count(*) from audit.quarantine where {_among('file_id', ids)} "
                "group by all"
            ).fetchall()
        )
        loaded = {}
        if not all_quarantined:
            loaded = dict(
                self.con.execute(
                    f"select ingest_file_id, count(*) from {table} "
                    f"where {_among('ingest_file_id', ids)} group by all"
                ).fetchall()
            )
        return {i: (loaded.get(i, 0), moved.get(i, 0)) for i in ids}

    def _progress(self, file: LandingFile) -> AbstractContextManager[object]:
        if self.progress is None:
            return nullcontext()
        return _Poller(self.con, file, self.progress)


def ingest(
    home: Home,
    landing: Path | None = None,
    progress: Progress | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    lake: Lake | None = None,
    settings: IngestSettings | None = None,
) -> IngestReport:
    """Load every file of ``landing`` (default ``<home>/landing``) not loaded before;
    with a ``lake``, also write each batch's raw rows there once committed, and the
    audit tables at the end. ``settings`` (the plausibility window) default to
    ``[ingest]`` of ``<home>/kpiwatch.toml``; a bad setting raises ConfigError before
    anything is read."""
    settings = settings or IngestSettings.read(home.root)
    landing = (landing or home.landing).resolve()
    files, unknown, ignored = discover(landing)
    report = IngestReport(landing, unknown_folders=unknown, ignored_files=ignored)
    began = time.perf_counter()

    def collect(outcome: FileOutcome) -> None:
        report.outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    with writer(home) as con:
        loader = Loader(con, home, progress, lake, settings)
        loader.run(files, collect)
    report.lake = loader.lake_report
    report.seconds = time.perf_counter() - began
    return report
