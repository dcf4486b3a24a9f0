"""Whether a landing file changed since ingest hashed it, told without reading it.

A landing keeps years of deliveries, and every ingest lists all of them: hashing each file
on every run would make an hourly ingest cost a read of the whole history. So ingest keeps,
per path, the file-system identity the file had when its content was last hashed (size,
modification time, change time and inode, in ``ingest_state.landing_stats``) and hashes
again only a file whose identity differs.

This is how git decides that a tracked file is unchanged. A rewrite in place that keeps
the size and restores the modification time still changes the *change* time (``ctime``),
which no user can set back, and a file replaced by another gets a new inode; either makes
the file read and hashed again. The identity is taken before the read, so a file that
changes while it is hashed is read again by the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

Identity = tuple[int, int, int, int]
"""Size in bytes, modification time and change time in nanoseconds, inode."""

TABLE = "ingest_state.landing_stats"


def identity(path: Path) -> Identity | None:
    """The file's identity now, or None when it cannot be read (it is then hashed)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


class KnownFiles:
    """The content hash of each landing path whose identity has not changed since."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        rows = con.execute(
            f"select path, content_hash, bytes, mtime_ns, ctime_ns, inode from {TABLE}"
        ).fetchall()
        self.known: dict[str, tuple[str, Identity]] = {
            path: (digest, (size, mtime, ctime, inode))
            for path, digest, size, mtime, ctime, inode in rows
        }
        self.changed: dict[str, tuple[str, Identity]] = {}

    def digest(self, relative: str, now: Identity | None) -> str | None:
        """The hash recorded for ``relative`` if the file is still the one that was hashed."""
        known = self.known.get(relative)
        if now is None or known is None or known[1] != now:
            return None
        return known[0]

    def remember(self, relative: str, digest: str, before_read: Identity | None) -> None:
        """``relative`` had identity ``before_read`` when it was hashed to ``digest``."""
        if before_read is not None and self.known.get(relative) != (digest, before_read):
            self.changed[relative] = (digest, before_read)

    def save(self, con: duckdb.DuckDBPyConnection, recorded: set[tuple[str, str]]) -> None:
        """Store what changed, for the paths whose content the audit trail now records
        (a run with nothing new writes nothing)."""
        rows = [
            (path, digest, *ident)
            for path, (digest, ident) in self.changed.items()
            if (path, digest) in recorded
        ]
        if not rows:
            return
        # One statement over an Arrow table: executemany runs one statement a row, which
        # took minutes for the ~70 k files of a year's first ingest.
        names = ["path", "content_hash", "bytes", "mtime_ns", "ctime_ns", "inode"]
        columns = zip(*rows, strict=True)
        con.register("changed_stats", pa.table(dict(zip(names, columns, strict=True))))
        con.begin()
        con.execute(f"insert or replace into {TABLE} select {', '.join(names)} from changed_stats")
        con.commit()
        con.unregister("changed_stats")
        self.known.update({row[0]: (row[1], row[2:]) for row in rows})
        self.changed.clear()
