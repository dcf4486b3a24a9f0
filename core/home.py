"""The home folder: the one place where kpiwatch writes anything.

Resolved from ``--home``, else ``KPIWATCH_HOME``, else ``./data``. Every other path
(warehouse, landing folder, dbt's target and logs) is derived from it, so a second
home is a second, fully separate installation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
"""The repository root, which is also the dbt project."""

DEFAULT_HOME = Path("data")


def make_writable(folder: Path) -> None:
    """Create ``folder`` and prove a file can be written in it (raises OSError if not)."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".write-probe"
    probe.write_bytes(b"")
    probe.unlink()


class HomeError(RuntimeError):
    """The home folder cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Home:
        chosen = home or os.environ.get("KPIWATCH_HOME") or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        """The published warehouse that readers open read-only."""
        return self.root / "warehouse.duckdb"

    @property
    def work(self) -> Path:
        """The working warehouse: ingest and dbt write here, never readers."""
        return self.root / "work" / "warehouse.duckdb"

    @property
    def publication(self) -> Path:
        """The next publication: the build writes the marts here; publishing renames it."""
        return self.root / "work" / "publication.duckdb"

    @property
    def scratch(self) -> Path:
        """Temporary files (transcoded landing files); emptied after each use."""
        return self.root / "work" / "tmp"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def lake(self) -> Path:
        """The default lake: raw and audit tables as Parquet (``KPIWATCH_LAKE`` moves it)."""
        return self.root / "lake"

    @property
    def lock(self) -> Path:
        return self.root / "work" / "writer.lock"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"

    def ensure(self) -> Home:
        """Create the home folder, or explain why it cannot be written."""
        try:
            make_writable(self.root)
        except OSError as exc:
            raise HomeError(
                f"cannot write to the kpiwatch home {self.root}: {exc.strerror or exc}. "
                "Choose another with --home DIR or KPIWATCH_HOME."
            ) from exc
        return self
