"""Load every new landing file into the raw layer; one bad line costs one line, one bad
file costs one file.

For each file, in path (arrival) order, its content hash decides: the same path and
content seen before is left alone (a rerun changes nothing); content already loaded
for the same source under another name is recorded once as ``skipped_duplicate`` (the
same bytes delivered to another source are that source's delivery). Links that lead
outside the landing folder are recorded as ``refused`` and never opened
(``landing_file.survey``).

Before DuckDB sees a file, one bounded pass (``landing_file.inspect``) hashes it, decides
its encoding (every byte: UTF-8, else GB18030, transcoded and verified, a mix of both is
failed) and finds what makes it unreadable as a whole: empty, a line or header too long
(a decompression bomb is one endless line, stopped after ``MAX_LINE_BYTES``), gzip that
is not gzip or ends early, not Parquet, duplicate or nameless header columns. Such a file
is recorded as ``failed`` with a plain reason and never read; the others still load.

New files are read by DuckDB (JSON Lines with every key spelling found anywhere in the
file, ``json_keys``: a key spelt differently on a later line is never lost); ``rules``
types and checks every row; valid rows land in ``raw.<source>``, faulty ones move to
``audit.quarantine`` with every reason and the record as delivered;
``audit.ingest_files`` records rows read = loaded + quarantined. When DuckDB cannot read
a text file whole (a field too many, a quote never closed, a line that is not a JSON
object, a NUL byte), it is read again line by line (``ingest.malformed``): its malformed
lines are quarantined as ``malformed_line`` with their line number and no content, and
its good rows load with their own row numbers. A failed file's error is always our own
words (DuckDB's quote the offending line).

All of a file happens in one transaction, so a file killed half-way leaves no trace and
the next run loads it exactly once.

Small files of the same source and shape are loaded together, in one scan and one
transaction (a national month is thousands of daily files, and per-file overhead would
dominate). If anything in such a batch fails, its files are loaded one by one, so one
bad file never takes good ones down with it.

With a lake (``ingest.lake``), each batch's raw rows are also written as Parquet once
the batch has committed, and the audit tables at the end of the run.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from core.config.ingest import IngestSettings
from core.contract import SOURCES, Reason, Source
from core.home import Home
from core.sql import literal
from core.warehouse import writer
from ingest import file_identity, json_keys, malformed, store
from ingest.lake import Lake, LakeReport
from ingest.landing_file import (
    MAX_HEADER_BYTES,
    MAX_LINE_BYTES,
    Inspection,
    LandingFile,
    Refusal,
    Unreadable,
    as_utf8,
    file_format,
    inspect,
    open_text,
    survey,
)
from ingest.privacy import pii_key
from ingest.rules import FileColumn, RowRules, file_columns, normal_name

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
    """loaded, skipped_duplicate, failed, refused (leads outside the landing: not read), or
    unchanged (seen before: nothing recorded)."""
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
    refused: list[Refusal] = field(default_factory=list)
    """Entries leading outside the landing folder, seen in this run (recorded once)."""
    seconds: float = 0.0
    lake: LakeReport | None = None
    """What the lake sink wrote, when asked for (``ingest(..., lake=...)``)."""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.outcomes)

    @property
    def recorded_any(self) -> bool:
        """Whether this ingest wrote anything to the ingest log (a file loaded, skipped as a
        duplicate, failed or refused): files it had seen before are not recorded again."""
        return any(o.status != "unchanged" for o in self.outcomes)

    @property
    def rows_read(self) -> int:
        return sum(o.rows_read for o in self.outcomes)

    @property
    def rows_quarantined(self) -> int:
        return sum(o.rows_quarantined for o in self.outcomes)

    @property
    def ok(self) -> bool:
        lake_failed = self.lake is not None and self.lake.error is not None
        unreadable = self.count("failed") + self.count("refused")
        return not unreadable and not self.unknown_folders and not lake_failed


@dataclass
class _New:
    file: LandingFile
    digest: str
    shape: str
    """Files of one source, format and header load together."""
    encoding: str | None = None
    """utf-8 or gb18030 for text (known before reading), None for Parquet."""
    seen: Inspection | None = None
    problem: str | None = None
    """Why the file cannot be loaded at all: it is recorded as failed, never read by DuckDB."""
    file_id: int = 0
    """Reserved in path order before anything loads: ties between versions of a record
    go to the greater id, i.e. the later delivery, however the files are batched."""

    @property
    def key(self) -> tuple[str, str, bool, str, str | None]:
        return (self.file.source, self.file.format, self.file.compressed, self.shape, self.encoding)


def _shape(file: LandingFile, encoding: str | None = "utf-8") -> str:
    """The file's columns as delivered, in order (Parquet: with types); files of one shape
    are read together with their columns declared, so DuckDB sniffs nothing. A file whose
    columns cannot be read is a shape of its own (it will fail on its own)."""
    shape, problem = _header(file, encoding)
    return "alone:" + file.relative if problem else shape


JSON_PROBE_LINES = 1000
"""How many lines of JSON Lines may precede the first object (malformed lines are
quarantined one by one, but the columns come from an object)."""


def _header(file: LandingFile, encoding: str | None) -> tuple[str, str | None]:
    """(shape, None), or ("", why the columns cannot be read). Reads are bounded: a
    header longer than ``MAX_HEADER_BYTES`` or a line longer than ``MAX_LINE_BYTES`` is
    an answer, not a reason to read on."""
    if file.format == "parquet":
        try:
            return "\t".join(f"{f.name}:{f.type}" for f in pq.read_schema(file.path)), None
        except (OSError, ValueError) as exc:
            return "", f"not a readable Parquet file ({type(exc).__name__})"
    text = "utf-8-sig" if encoding in (None, "utf-8") else "gb18030"
    try:
        with open_text(file) as handle:
            if file.format == "jsonl":
                return _json_keys(handle, text)
            first = handle.readline(MAX_HEADER_BYTES + 2)
    except (OSError, EOFError, ValueError) as exc:
        return "", f"cannot be read ({type(exc).__name__})"
    try:
        names = next(csv.reader([first.decode(text).rstrip("\r\n")]))
    except UnicodeDecodeError:
        return "", "the header line is neither UTF-8 nor GB18030 text"
    except (csv.Error, StopIteration):
        return "", "the header line cannot be read as CSV column names"
    return _csv_names(names)


def _csv_names(names: list[str]) -> tuple[str, str | None]:
    """Column names DuckDB can bind: none empty. A name delivered twice is read under a
    name of its own (``rules.file_columns``) and every row is quarantined as
    ``duplicate_column``."""
    for position, name in enumerate(names, start=1):
        if not normal_name(name):
            return "", f"column {position} of the header has no name"
    return "\t".join(names), None


def _json_keys(handle, text: str) -> tuple[str, str | None]:
    """The keys of the first JSON object among the first lines."""
    for _ in range(JSON_PROBE_LINES):
        line = handle.readline(MAX_LINE_BYTES + 2)
        if not line:
            break
        try:
            value = json.loads(line.decode(text))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(value, dict):
            return "\t".join(value.keys()), None
    return (
        "",
        f"no JSON object in its first {JSON_PROBE_LINES} lines (JSON Lines: one object per line)",
    )


def _batches(new: list[_New]) -> Iterator[list[_New]]:
    """Files of one source and shape together, in path order, bounded in size."""
    groups: dict[tuple, list[_New]] = {}
    for item in new:
        alone = (
            item.problem is not None
            or item.shape.startswith("alone:")
            or (item.seen is not None and item.seen.has_nul)
            or item.file.size >= ALONE_BYTES
        )
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


@dataclass(frozen=True)
class _Scan:
    function: str
    """The table function over the files, with ``filename``."""
    columns: list[FileColumn]
    """The delivered columns the rules read."""
    json_spellings: bool = False
    """JSON Lines read as objects (``function`` yields ``json``), every spelling of a
    field extracted by key (``json_keys.spelled``)."""
    keys_twice: bool = False
    """Some object names a key twice: the relation says which (``json_keys.TWICE``)."""

    def relation(self, numbered: str) -> str:
        """The columns, from ``numbered`` (the scan with row numbers and file ids)."""
        if not self.json_spellings:
            return numbered
        return json_keys.spelled(
            numbered, self.columns, objects_only=True, repeated=self.keys_twice
        )


def _scan(items: list[_New], paths: list[Path], con: duckdb.DuckDBPyConnection) -> _Scan:
    """The table function over the files (with ``filename``) and their delivered columns."""
    where = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
    first = items[0]
    fmt = first.file.format
    if fmt == "parquet":
        scan = f"read_parquet({where}, filename = true, file_row_number = true)"
        described = con.execute(f"describe select * from {scan}").fetchall()
        scanned = [(n, t) for n, t, *_ in described if n not in ("filename", "file_row_number")]
        delivered = _parquet_names(paths[0], [n for n, _ in scanned])
        return _Scan(
            scan, [FileColumn(d, t, n) for d, (n, t) in zip(delivered, scanned, strict=True)]
        )
    names = first.shape.split("\t") if first.shape else []
    if fmt == "jsonl":
        return _json_scan(con, where, names, SOURCES[first.file.source])
    columns = file_columns(names)
    declared = "{" + ", ".join(f"{literal(c.sql or c.name)}: 'VARCHAR'" for c in columns) + "}"
    scan = (
        f"read_csv({where}, columns = {declared}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, filename = true, "
        f"max_line_size = {MAX_LINE_BYTES + 2})"
    )
    return _Scan(scan, columns)


def _json_scan(
    con: duckdb.DuckDBPyConnection, where: str, first: list[str], source: Source
) -> _Scan:
    """JSON Lines: every key of the files that spells a contract field, wherever it
    occurs (``json_keys``). One spelling per field is read by ``read_json``, declared;
    a field spelled several ways, a key named twice in one object (``read_json`` would
    refuse the file) or no field at all: read from each line's object."""
    objects = f"read_ndjson_objects({where}, filename = true)"
    keys = json_keys.distinct_keys(con, objects)
    columns = json_keys.contract_columns(keys, source, first)
    if columns and not json_keys.spelled_alike(columns) and not keys.repeated:
        scan = (
            f"read_json({where}, format = 'newline_delimited', "
            f"columns = {json_keys.declared(columns)}, filename = true)"
        )
        return _Scan(scan, columns)
    return _Scan(objects, columns, json_spellings=True, keys_twice=keys.repeated)


def _parquet_names(path: Path, scanned: list[str]) -> list[str]:
    """The column names as the file spells them: DuckDB renames a repeated one
    (``CALLER_NUMBER`` beside ``caller_number`` becomes ``CALLER_NUMBER_1``), and the rules
    must see both to refuse the ambiguity."""
    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError):
        return scanned
    return names if len(names) == len(scanned) else scanned


def _among(column: str, ids: list[int]) -> str:
    """A filter on file ids that DuckDB can also prune by range (ids grow with time)."""
    listed = ", ".join(str(i) for i in ids)
    return f"({column} between {min(ids)} and {max(ids)} and {column} in ({listed}))"


NOT_READ = ""
"""The content hash of a refused entry: it was never read."""

PLAIN_ERRORS = {
    "parquet": "not a readable Parquet file",
    "jsonl": "cannot be read as JSON Lines",
    "csv": "cannot be read as CSV",
}
"""DuckDB's messages quote the line they stopped at ("Original Line: ..."), which may carry
a caller's number: a failed file's error is one of these, plus the line number."""


def _plain(exc: BaseException, fmt: str = "") -> str:
    """A failed file's error: our own words, never the file's content."""
    if isinstance(exc, Unreadable):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "too big for the memory limit (KPIWATCH_MEMORY_LIMIT)"
    line = re.search(r"\bline:? (\d+)", str(exc), re.IGNORECASE)
    where = f" (line {line.group(1)})" if line else ""
    return PLAIN_ERRORS.get(fmt, f"cannot be read ({type(exc).__name__})") + where


def _inspect(file: LandingFile) -> Inspection:
    try:
        return inspect(file)
    except OSError as exc:  # e.g. no permission: recorded unread, tried again once it reads
        return Inspection(NOT_READ, problem=_plain(exc))


def _new(file: LandingFile, seen: Inspection) -> _New:
    problem = seen.problem
    shape = ""
    if problem is None and not seen.blank:
        shape, problem = _header(file, seen.encoding)
    return _New(file, seen.digest, shape, seen.encoding, seen, problem)


@contextmanager
def _readable(item: _New, scratch: Path) -> Iterator[Path]:
    """A path DuckDB reads as UTF-8: the file, or its verified GB18030 transcoding."""
    if item.encoding == "gb18030":
        line = item.seen.not_utf8_line if item.seen is not None else None
        with as_utf8(item.file, scratch, line) as path:
            yield path
    else:
        yield item.file.path


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
            "select path, content_hash, status, file_id, source from audit.ingest_files"
        ).fetchall()
        self.seen = {(path, digest) for path, digest, *_ in rows}
        self.identities = file_identity.KnownFiles(con)
        self.loaded = {
            (source, digest): fid for _, digest, status, fid, source in rows if status == "loaded"
        }
        """Loaded content by (source, hash): the same bytes under another source are that
        source's delivery, not a duplicate."""

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
        size = None
        if outcome.status != "refused":
            with suppress(OSError):  # gone since it was listed
                size = f.size
        self._insert_files(
            [(item.file_id, f.source, f.relative, item.digest, outcome.status, f.format or None,
              None, size, None, None, None,
              outcome.error, extra.get("duplicate_of"), seconds)]
        )  # fmt: skip
        self.seen.add((f.relative, item.digest))

    def _refuse(self, refusal: Refusal, on_file: Callable[[FileOutcome], None]) -> None:
        """Record an entry leading outside the landing folder, once (it is never read, so
        its content hash is empty: the same path is "unchanged" on later runs)."""
        kind = file_format(refusal.relative.rsplit("/", 1)[-1])
        file = LandingFile(
            refusal.source,
            Path(refusal.relative),
            refusal.relative,
            kind[0] if kind else "",
            kind[1] if kind else False,
        )
        if (refusal.relative, NOT_READ) in self.seen:
            on_file(FileOutcome(file, "unchanged"))
            return
        item = _New(file, NOT_READ, "")
        (item.file_id,) = self._next_ids(1)
        outcome = FileOutcome(file, "refused", error=refusal.reason)
        self.con.begin()
        self._record(item, outcome, 0.0)
        self.con.commit()
        on_file(outcome)

    def _rollback(self) -> None:
        with suppress(duckdb.Error):  # no transaction was open
            self.con.rollback()

    # ------------------------------------------------------------------- loading

    def run(
        self,
        files: list[LandingFile],
        on_file: Callable[[FileOutcome], None],
        refused: list[Refusal] | None = None,
    ) -> None:
        for refusal in refused or []:
            self._refuse(refusal, on_file)
        new: list[_New] = []
        twins: list[_New] = []
        pending: set[tuple[str, str]] = set()
        for file in files:
            before_read = file_identity.identity(file.path)
            known = self.identities.digest(file.relative, before_read)
            if known is not None and (file.relative, known) in self.seen:
                on_file(FileOutcome(file, "unchanged"))  # not read: the same file as before
                continue
            seen = _inspect(file)
            digest = seen.digest
            if digest != NOT_READ:
                self.identities.remember(file.relative, digest, before_read)
            if (file.relative, digest) in self.seen:
                on_file(FileOutcome(file, "unchanged"))
            elif digest != NOT_READ and (
                (file.source, digest) in self.loaded or (file.source, digest) in pending
            ):
                twins.append(_New(file, digest, ""))
            else:
                pending.add((file.source, digest))
                new.append(_new(file, seen))
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
            if (twin.file.source, twin.digest) in self.loaded:
                on_file(self._duplicate(twin))
            else:  # its twin failed to load: try this copy on its own
                (twin.file_id,) = self._next_ids(1)
                again = _new(twin.file, _inspect(twin.file))
                twin.shape, twin.encoding = again.shape, again.encoding
                twin.seen, twin.problem = again.seen, again.problem
                outcome = self._load_one(twin)
                self._loaded_to_lake([twin], [outcome])
                on_file(outcome)
        if self.lake is not None:
            self._to_lake(lambda lake, report: lake.finish(self.con, report))
        self.identities.save(self.con, self.seen)

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
        duplicate_of = self.loaded[(item.file.source, item.digest)]
        self._record(item, outcome, 0.0, duplicate_of=duplicate_of)
        self.con.commit()
        return outcome

    def _load_batch(self, batch: list[_New]) -> list[FileOutcome]:
        """Load files together; if that fails, split the batch until the culprit is alone."""
        if len(batch) == 1:
            return [self._load_one(batch[0])]
        try:
            if batch[0].encoding == "gb18030":
                with ExitStack() as stack:
                    paths = [stack.enter_context(_readable(i, self.home.scratch)) for i in batch]
                    return self._load(batch, paths, "gb18030")
            return self._load(batch, [i.file.path for i in batch], "utf-8")
        except (duckdb.Error, Unreadable, UnicodeDecodeError, OSError, EOFError):
            self._rollback()
        half = len(batch) // 2
        return self._load_batch(batch[:half]) + self._load_batch(batch[half:])

    def _load_one(self, item: _New) -> FileOutcome:
        """One file: as a whole when DuckDB reads every line; else line by line, its
        malformed lines quarantined (``_tolerant``); else failed with a plain reason."""
        began = time.perf_counter()
        if item.problem is not None:
            return self._fail(item, item.problem, began)
        tolerant = item.seen is not None and item.seen.has_nul
        try:
            with _readable(item, self.home.scratch) as path:
                encoding = item.encoding or "utf-8"
                if not tolerant:
                    try:
                        return self._load([item], [path], encoding)[0]
                    except duckdb.Error:
                        self._rollback()
                        if item.file.format == "parquet":
                            raise
                return self._load([item], [path], encoding, tolerant=True)[0]
        except (duckdb.Error, Unreadable, UnicodeDecodeError, OSError, EOFError) as exc:
            self._rollback()
            return self._fail(item, _plain(exc, item.file.format), began)

    def _fail(self, item: _New, message: str, began: float) -> FileOutcome:
        outcome = FileOutcome(item.file, "failed", error=message[:2000])
        self.con.begin()
        self._record(item, outcome, time.perf_counter() - began)
        self.con.commit()
        return outcome

    def _load(
        self, items: list[_New], paths: list[Path], encoding: str, tolerant: bool = False
    ) -> list[FileOutcome]:
        """Load files in one transaction; raise (having changed nothing) if any fails.
        ``tolerant``: one text file, its malformed lines quarantined (``ingest.malformed``)."""
        began = time.perf_counter()
        files = [i.file for i in items]
        source = SOURCES[files[0].source]
        bad_lines: list[str] = []
        if tolerant:
            relation, columns, bad_lines, keys_twice = self._tolerant(items[0], paths[0])
        else:
            scan = _scan(items, paths, self.con)
            columns, keys_twice = scan.columns, scan.keys_twice
        delivered = datetime.now(UTC)  # the plausibility window ends a little after this
        rules = RowRules(
            source,
            columns,
            self.key,
            self.settings.window(delivered),
            spellings_per_row=files[0].format == "jsonl",
            keys_twice=json_keys.TWICE if keys_twice else None,
        )
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
        if not tolerant:
            relation = scan.relation(
                f"(select f.*, m.file_id as _file_id, {row} as _row "
                f"from (select * from {scan.function}{ordinality}) as f "
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
            for select in bad_lines:
                self.con.execute(
                    f"{quarantine} select m.file_id, {literal(source.name)}, p.path, "
                    f"m.row_number, [{literal(Reason.MALFORMED_LINE.value)}], [m.message], null "
                    f"from ({select}) as m(file_id, row_number, message) join {paths_of} "
                    "using (file_id)"
                )
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
            self.loaded[(item.file.source, item.digest)] = file_id
        return outcomes

    def _tolerant(self, item: _New, path: Path) -> tuple[str, list[FileColumn], list[str], bool]:
        """The good records of a file DuckDB could not read whole, its malformed ones, and
        whether the relation says which keys an object names twice (``json_keys.TWICE``)."""
        names = item.shape.split("\t") if item.shape else []
        if item.file.format == "csv":
            has_nul = item.seen is not None and item.seen.has_nul
            found = malformed.csv_records(
                self.con, path, file_columns(names), item.file_id, has_nul
            )
            return found.relation, found.columns, found.malformed, False
        source = SOURCES[item.file.source]
        found = malformed.json_records(
            self.con,
            path,
            item.file_id,
            lambda keys: json_keys.contract_columns(keys, source, names),
        )
        return found.relation, found.columns, found.malformed, found.keys_twice

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
    found = survey(landing)
    report = IngestReport(
        landing,
        unknown_folders=found.unknown,
        ignored_files=found.ignored,
        refused=found.refused,
    )
    began = time.perf_counter()

    def collect(outcome: FileOutcome) -> None:
        report.outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    with writer(home) as con:
        loader = Loader(con, home, progress, lake, settings)
        loader.run(found.files, collect, found.refused)
    report.lake = loader.lake_report
    report.seconds = time.perf_counter() - began
    return report
