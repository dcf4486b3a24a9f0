"""Delivered files: which source, which format, which content, which encoding, and whether
they can be read at all.

docs/landing-contract.md: any file under ``<landing>/<source>/`` belongs to that source; its format
follows from the extension; text is UTF-8 (with or without BOM) or GB18030, and nothing
says which. DuckDB reads UTF-8 itself; a GB18030 file is transcoded here, streaming, to
a UTF-8 scratch file (DuckDB's encodings extension cannot be downloaded here).

The landing folder is a boundary: a file or folder that resolves outside it (a symlink,
a ``..`` in a link's target) is refused and never opened. Every other file is inspected
in one bounded pass before DuckDB sees it (``inspect``): its hash, its encoding (checked
for every byte), and what makes it unreadable as a whole — an empty file, a line longer
than ``MAX_LINE_BYTES`` (a decompression bomb is one endless line), a gzip stream that is
not gzip or ends early, a Parquet file without its markers. Nothing here reads more than
``CHUNK`` bytes at a time, so memory stays flat whatever the file holds.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.contract import FORMAT_EXTENSIONS, SOURCES

CHUNK = 4 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
"""A line (a record) longer than this makes its file unreadable: real records are a few
hundred bytes, and an endless line is how a decompression bomb would fill the memory.
DuckDB is told the same bound (``max_line_size``)."""
MAX_HEADER_BYTES = 64 * 1024
"""A CSV header longer than this is not a list of column names."""
PARQUET_MAGIC = b"PAR1"
_CLASSES = bytearray(b"." * 256)
_CLASSES[0xE0:0xF0] = b"L" * 16
_CLASSES[0x80:0xC0] = b"C" * 64
BYTE_CLASSES = bytes(_CLASSES)
"""Bytes by their UTF-8 role: ``LCC`` in the translated text is a three-byte UTF-8 sequence
(where CJK lives). In a file that is not UTF-8, a line holding one that decodes as UTF-8 is
UTF-8 text the GB18030 decoder would garble. (``translate`` + ``find`` run at memory speed;
a regular expression over the bytes took longer than the transcoding.)"""
WIDE_UTF8 = b"LCC"


class LandingError(RuntimeError):
    """The landing folder cannot be used as given; the message says why."""


class Unreadable(ValueError):
    """A file that cannot be loaded as a whole; the message is plain and never quotes
    the file's content (a line may carry personal data)."""


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path
    relative: str
    format: str
    compressed: bool

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Refusal:
    """A landing entry that is not read: it leads outside the landing folder."""

    source: str
    relative: str
    reason: str


@dataclass
class Landing:
    files: list[LandingFile] = field(default_factory=list)
    """Files to load, in load order (path order)."""
    unknown: list[str] = field(default_factory=list)
    """Folders of the landing that are not a source."""
    ignored: list[str] = field(default_factory=list)
    """Entries under a source folder that are not landing files (other extensions, links
    to folders inside the landing, sockets and pipes)."""
    refused: list[Refusal] = field(default_factory=list)


def file_format(name: str) -> tuple[str, bool] | None:
    lowered = name.lower()
    for fmt, extensions in FORMAT_EXTENSIONS.items():
        for ext in extensions:
            if lowered.endswith(ext):
                return fmt, ext.endswith(".gz")
    return None


def discover(landing: Path) -> tuple[list[LandingFile], list[str], list[str]]:
    """(files in load order, unknown source folders, ignored files); see ``survey``."""
    found = survey(landing)
    return found.files, found.unknown, found.ignored


def survey(landing: Path) -> Landing:
    """Everything under the landing folder: files to load, unknown folders, ignored and
    refused entries.

    Load order is the path order, so files filed under arrival dates load in the order
    they arrived; that order breaks ties between versions with the same ``updated_at``.
    """
    if not landing.is_dir():
        raise LandingError(
            f"landing folder {landing} does not exist; pass it as an argument "
            "(kpiwatch ingest DIR) or generate one (kpiwatch generate)"
        )
    root = landing.resolve()
    found = Landing()
    for entry in sorted(landing.iterdir()):
        if not entry.is_dir() and not entry.is_symlink():
            continue
        if entry.name not in SOURCES:
            if entry.is_dir():
                found.unknown.append(entry.name)
            continue
        _walk(entry, entry.name, landing, root, found)
    return found


def _outside(entry: Path, root: Path) -> Path | None:
    """Where a link leads when that is outside the landing folder, else None (a link that
    leads nowhere, a loop among them, is no way out: it is then ignored as unreadable)."""
    try:
        target = entry.resolve()
    except (OSError, RuntimeError):  # a loop: RuntimeError before Python 3.13, OSError after
        return None
    return None if target == root or target.is_relative_to(root) else target


def _walk(folder: Path, source: str, landing: Path, root: Path, found: Landing) -> None:
    """Depth first, entries sorted: the same order as sorting every path."""
    relative = folder.relative_to(landing).as_posix()
    if folder.is_symlink():
        target = _outside(folder, root)
        if target is not None:
            found.refused.append(Refusal(source, relative, _refusal(target, folder=True)))
            return
        if folder.parent != landing:  # its files are found where they really are
            found.ignored.append(relative)
            return
    try:
        # scandir's entries know their type without a stat per file (a year's landing
        # holds ~70 k files, listed by every run, hourly ones included)
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        found.refused.append(Refusal(source, relative, f"folder cannot be listed ({exc.strerror})"))
        return
    for entry in entries:
        path = folder / entry.name
        if _holds(entry.is_dir):
            _walk(path, source, landing, root, found)
            continue
        file_relative = f"{relative}/{entry.name}"
        if entry.is_symlink():
            target = _outside(path, root)
            if target is not None:
                found.refused.append(Refusal(source, file_relative, _refusal(target, folder=False)))
                continue
        kind = file_format(entry.name)
        if kind is None or not _holds(entry.is_file):
            found.ignored.append(file_relative)
            continue
        found.files.append(LandingFile(source, path, file_relative, kind[0], kind[1]))


def _holds(test: Callable[[], bool]) -> bool:
    """A DirEntry's is_dir / is_file, False when the entry cannot be examined (a link loop,
    a link to nowhere), as pathlib's answers are."""
    try:
        return test()
    except OSError:
        return False


def _refusal(target: Path, folder: bool) -> str:
    what = "folder" if folder else "file"
    return (
        f"this {what} is a link to {target}, outside the landing folder; nothing under it was read"
    )


@dataclass(frozen=True)
class Inspection:
    """What one bounded pass over a file found out before anything loads it."""

    digest: str
    """SHA-256 of the bytes as delivered: identifies the content under any name."""
    encoding: str | None = None
    """utf-8 or gb18030 for text (every byte decoded as UTF-8, else GB18030, which the
    transcoding verifies); None for Parquet."""
    problem: str | None = None
    """Why the file cannot be loaded at all (plain, no content), or None."""
    not_utf8_line: int | None = None
    """The first line that is not UTF-8, in a file that is not."""
    has_nul: bool = False
    """A NUL byte somewhere in the text: its lines are quarantined, not loaded."""
    blank: bool = False
    """Text with nothing but whitespace (JSON Lines with no record: loaded, 0 rows)."""


def fingerprint(file: LandingFile) -> tuple[str, str | None]:
    """(SHA-256 of the bytes as delivered, encoding); see ``inspect``."""
    seen = inspect(file)
    return seen.digest, seen.encoding


def inspect(file: LandingFile) -> Inspection:
    """Hash the file and find what makes it unreadable, in one pass of bounded reads.

    Text is checked as DuckDB will read it, i.e. decompressed: a ``.gz`` is inflated
    ``CHUNK`` bytes at a time and the inflating stops at the first problem (the hash
    still covers every delivered byte, so a rerun recognises the file)."""
    digest = hashlib.sha256()
    if file.format == "parquet":
        return _inspect_parquet(file, digest)
    scan = _TextScan(header=file.format == "csv")
    inflate = _Inflater() if file.compressed else None
    problem = None
    size = 0
    with file.path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if problem is not None:
                continue
            try:
                for piece in inflate.feed(chunk) if inflate else (chunk,):
                    scan.feed(piece)
            except Unreadable as exc:
                problem = str(exc)
    if problem is None:
        try:
            if size == 0 and file.format == "csv":
                raise Unreadable("empty file (0 bytes): no header line")
            if inflate is not None:
                inflate.finish()
            scan.finish()
        except Unreadable as exc:
            problem = str(exc)
    return Inspection(
        digest.hexdigest(),
        "utf-8" if scan.utf8 else "gb18030",
        problem,
        scan.not_utf8_line,
        scan.has_nul,
        scan.blank,
    )


def _inspect_parquet(file: LandingFile, digest) -> Inspection:
    size = 0
    head = tail = b""
    with file.path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            head = head or chunk[:4]
            tail = (tail + chunk)[-4:]
            size += len(chunk)
    problem = None
    if size == 0:
        problem = "empty file (0 bytes)"
    elif size < 12 or head != PARQUET_MAGIC or tail != PARQUET_MAGIC:
        problem = "not a Parquet file (it lacks the PAR1 markers Parquet begins and ends with)"
    return Inspection(digest.hexdigest(), None, problem)


class _Inflater:
    """gzip, inflated in pieces of at most CHUNK bytes (a bomb never lands in memory);
    concatenated members are read one after another, as gzip itself does."""

    def __init__(self) -> None:
        self.stream = zlib.decompressobj(wbits=31)
        self.inside = False
        """Within a member: data fed, its end not reached yet."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            self.inside = True
            try:
                out = self.stream.decompress(data, CHUNK)
            except zlib.error as exc:
                raise Unreadable(
                    "not gzip data, or corrupt gzip data, although the name ends in .gz"
                ) from exc
            if out:
                yield out
            if self.stream.eof:
                data = self.stream.unused_data
                self.stream = zlib.decompressobj(wbits=31)
                self.inside = False
            else:
                data = self.stream.unconsumed_tail

    def finish(self) -> None:
        if self.inside:
            raise Unreadable("truncated gzip: the file ends before the end of its gzip data")


class _TextScan:
    """Line lengths, NUL bytes and UTF-8 validity of a text stream fed in pieces.

    Line lengths cost a few ``find`` calls per piece, not a Python loop over lines: a
    line longer than 2W holds a whole window of W bytes aligned on the piece, and only
    a window without a newline is measured exactly."""

    WINDOW = MAX_LINE_BYTES // 2

    def __init__(self, header: bool) -> None:
        self.header = header
        self.run = 0
        """Bytes since the last newline."""
        self.lines = 0
        """Newlines so far."""
        self.total = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.utf8 = True
        self.not_utf8_line: int | None = None
        self.has_nul = False
        self.blank = True
        """Nothing but whitespace so far."""

    def _limit(self, line: int) -> int:
        return MAX_HEADER_BYTES if self.header and line == 1 else MAX_LINE_BYTES

    def _check(self, length: int, line: int) -> None:
        if length > self._limit(line):
            if self.header and line == 1:
                raise Unreadable(f"the header line is longer than {MAX_HEADER_BYTES} bytes")
            raise Unreadable(f"line {line} is longer than {MAX_LINE_BYTES} bytes")

    def feed(self, piece: bytes) -> None:
        self._lengths(piece)
        if not self.has_nul and b"\0" in piece:
            self.has_nul = True
        if self.blank and piece.strip():
            self.blank = False
        if self.utf8:
            pending = len(self.decoder.getstate()[0])
            try:
                self.decoder.decode(piece)
            except UnicodeDecodeError as exc:
                self.utf8 = False
                at = max(exc.start - pending, 0)
                self.not_utf8_line = self.lines + piece.count(b"\n", 0, at) + 1
        self.lines += piece.count(b"\n")
        self.total += len(piece)

    def _lengths(self, piece: bytes) -> None:
        first = piece.find(b"\n")
        if first == -1:
            self.run += len(piece)
            self._check(self.run, self.lines + 1)
            return
        self._check(self.run + first, self.lines + 1)
        last = piece.rfind(b"\n")
        start = first + 1
        while start + self.WINDOW <= last:
            if piece.find(b"\n", start, start + self.WINDOW) != -1:
                start += self.WINDOW
                continue
            before = piece.rfind(b"\n", 0, start)
            after = piece.find(b"\n", start + self.WINDOW)
            self._check(after - before - 1, self.lines + piece.count(b"\n", 0, before + 1) + 1)
            start = after + 1
        self.run = len(piece) - last - 1

    def finish(self) -> None:
        self._check(self.run, self.lines + 1)
        if self.utf8:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8 = False
                self.not_utf8_line = self.lines + 1
        if self.header and self.blank:
            raise Unreadable("empty: no header line")


def open_text(file: LandingFile):
    """The file's text bytes: inflated when compressed."""
    return gzip.open(file.path, "rb") if file.compressed else file.path.open("rb")


@contextmanager
def as_utf8(file: LandingFile, scratch: Path, not_utf8_line: int | None = None) -> Iterator[Path]:
    """Yield a path DuckDB can read as UTF-8: a copy transcoded from GB18030.

    Called for files that are not UTF-8. The copy is written a block of whole lines at a
    time with a strict GB18030 decoder, so memory stays flat whatever the size, and every
    byte is verified: a line that is not GB18030 fails the file, and so does a line that
    is UTF-8 text (a file mixing both would otherwise load garbled: 办理 as 鍔炵悊). Line
    numbers are counted only when there is something to say (re-reading up to the fault).
    """
    scratch.mkdir(parents=True, exist_ok=True)
    suffix = ".csv" if file.format == "csv" else ".jsonl"
    target = scratch / (hashlib.sha1(file.relative.encode()).hexdigest() + suffix)
    decoder = codecs.getincrementaldecoder("gb18030")(errors="strict")
    offset = 0
    """Bytes of whole lines transcoded so far."""
    carry = b""

    def transcode(block: bytes, out) -> None:
        nonlocal offset
        utf8_at = _utf8_line(block)
        if utf8_at is not None:
            line = _line_at(file, offset + utf8_at)
            other = f"line {not_utf8_line} is not" if not_utf8_line else "other lines are not"
            raise Unreadable(
                f"mixed encodings: line {line} is UTF-8 text and {other}; a file must be "
                "UTF-8 or GB18030 throughout (re-export it in one encoding)"
            )
        try:
            out.write(decoder.decode(block))
        except UnicodeDecodeError as exc:
            line = _line_at(file, offset + exc.start)
            raise Unreadable(
                f"line {line} is neither UTF-8 nor GB18030 (text files must be one or the other)"
            ) from exc
        offset += len(block)

    try:
        with open_text(file) as source, target.open("w", encoding="utf-8") as out:
            while chunk := source.read(CHUNK):
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) > MAX_LINE_BYTES:
                    line = _line_at(file, offset)
                    raise Unreadable(f"line {line} is longer than {MAX_LINE_BYTES} bytes")
                carry = data[cut:]
                if cut:
                    transcode(data[:cut] if carry else data, out)
            transcode(carry, out)
            try:
                out.write(decoder.decode(b"", final=True))
            except UnicodeDecodeError as exc:
                line = _line_at(file, offset)
                raise Unreadable(f"line {line} ends in the middle of a character") from exc
        yield target
    finally:
        target.unlink(missing_ok=True)


def _utf8_line(block: bytes) -> int | None:
    """Where in ``block`` (whole lines) a line starts that is UTF-8 text with wide
    characters, or None."""
    if block.isascii():
        return None
    classes = block.translate(BYTE_CLASSES)
    at = 0
    while (found := classes.find(WIDE_UTF8, at)) != -1:
        begin = block.rfind(b"\n", 0, found) + 1
        end = block.find(b"\n", found + 3)
        end = len(block) if end == -1 else end
        try:
            block[begin:end].decode("utf-8")
        except UnicodeDecodeError:
            at = end + 1
            continue
        return begin
    return None


def _line_at(file: LandingFile, offset: int) -> int:
    """The 1-based line holding byte ``offset`` of the file's text (read again, in chunks)."""
    lines = 0
    with open_text(file) as source:
        while offset > 0 and (chunk := source.read(min(CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines + 1
