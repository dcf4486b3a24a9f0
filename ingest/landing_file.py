"""Delivered files: which source, which format, which content, which encoding.

SOURCES.md: any file under ``<landing>/<source>/`` belongs to that source; its format
follows from the extension; text is UTF-8 (with or without BOM) or GB18030, and nothing
says which. DuckDB reads UTF-8 itself; a GB18030 file is transcoded here, streaming, to
a UTF-8 scratch file (DuckDB's encodings extension cannot be downloaded here).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kpiwatch.contract import FORMAT_EXTENSIONS, SOURCES

CHUNK = 4 * 1024 * 1024


class LandingError(RuntimeError):
    """The landing folder cannot be used as given; the message says why."""


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


def file_format(name: str) -> tuple[str, bool] | None:
    lowered = name.lower()
    for fmt, extensions in FORMAT_EXTENSIONS.items():
        for ext in extensions:
            if lowered.endswith(ext):
                return fmt, ext.endswith(".gz")
    return None


def discover(landing: Path) -> tuple[list[LandingFile], list[str], list[str]]:
    """(files in load order, unknown source folders, ignored files).

    Load order is the path order, so files filed under arrival dates load in the order
    they arrived; that order breaks ties between versions with the same ``updated_at``.
    """
    if not landing.is_dir():
        raise LandingError(
            f"landing folder {landing} does not exist; pass it as an argument "
            "(kpiwatch ingest DIR) or generate one (kpiwatch generate)"
        )
    files: list[LandingFile] = []
    unknown: list[str] = []
    ignored: list[str] = []
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        if folder.name not in SOURCES:
            unknown.append(folder.name)
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(landing).as_posix()
            kind = file_format(path.name)
            if kind is None:
                ignored.append(relative)
                continue
            files.append(LandingFile(folder.name, path, relative, kind[0], kind[1]))
    return files, unknown, ignored


def fingerprint(file: LandingFile) -> tuple[str, str | None]:
    """(SHA-256 of the bytes as delivered, encoding) in one pass over the file.

    The hash identifies content under any name. The encoding of an uncompressed text
    file is ``utf-8`` if every byte decodes as UTF-8, else ``gb18030``; compressed and
    binary files say ``None`` (DuckDB will tell, by refusing a non-UTF-8 file).
    """
    digest = hashlib.sha256()
    check = file.format != "parquet" and not file.compressed
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with file.path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if check and utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if check and utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = ("utf-8" if utf8 else "gb18030") if check else None
    return digest.hexdigest(), encoding


def _open_text_bytes(file: LandingFile):
    return gzip.open(file.path, "rb") if file.compressed else file.path.open("rb")


@contextmanager
def as_utf8(file: LandingFile, scratch: Path) -> Iterator[Path]:
    """Yield a path DuckDB can read as UTF-8: the file itself, or a transcoded copy.

    Called only after DuckDB rejected the file as not UTF-8. The copy is written in
    chunks with an incremental GB18030 decoder, so memory stays flat whatever the size.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    suffix = ".csv" if file.format == "csv" else ".jsonl"
    target = scratch / (hashlib.sha1(file.relative.encode()).hexdigest() + suffix)
    decoder = codecs.getincrementaldecoder("gb18030")(errors="strict")
    try:
        with _open_text_bytes(file) as source, target.open("w", encoding="utf-8") as out:
            while chunk := source.read(CHUNK):
                out.write(decoder.decode(chunk))
            out.write(decoder.decode(b"", final=True))
        yield target
    finally:
        target.unlink(missing_ok=True)
