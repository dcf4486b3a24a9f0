"""Every read-only connection to the published warehouse comes from ``reader(home)``.

``kpiwatch sql``, ``kpiwatch.connect()`` and the dashboard all call it, so the three get the
same settings and can never differ. A reader can read the published warehouse and, if an
operator lists folders in ``<home>/kpiwatch.toml``, the files in those folders; it can write
nothing: no database, no file.

How, with DuckDB's own mechanisms rather than a list of forbidden statements:

- The published file is ATTACHed ``(read_only)`` to a fresh in-memory database, which is
  then detached, so the read-only warehouse is the only database (``CREATE``, ``INSERT``,
  ``DELETE``, ``CHECKPOINT`` change nothing). ATTACHing to a fresh instance, rather than
  ``duckdb.connect(path)``, also means a new publication is really opened: DuckDB reuses an
  open instance per path within a process.
- ``enable_external_access = false``: no file outside the allowed set can be read or written
  (ATTACH of any other database file, COPY, EXPORT DATABASE, ``read_csv``, ``glob``,
  INSTALL and LOAD of extensions from disk), and Python objects are not scanned by name.
  Extensions are neither auto-installed nor auto-loaded, community and unsigned ones are off,
  persistent secrets are off, and there is no ``temp_directory`` (DuckDB allows writing in
  its temporary folder even with external access off; a reader spills nothing).
- ``lock_configuration = true`` after all this, so ``SET``/``RESET`` cannot undo any of it;
  only ``TimeZone`` stays settable (``allowed_configs``): it changes how times are shown,
  nothing else.
- Allowed folders. DuckDB's ``allowed_directories`` lets a statement read *and write* inside
  them (tried on DuckDB 2.0: ``COPY ... TO``, ``EXPORT DATABASE`` and ``ATTACH`` of a new file
  all succeed there), and a statement-type check could only guard the shell, not the raw
  connection ``kpiwatch.connect()`` hands to Python. So the folders are not given to DuckDB's
  local file system at all. They are reached through a read-only file system registered
  with DuckDB (``register_filesystem``, protocol ``readonly://``) whose open refuses every
  write mode and which cannot create, move or remove anything; ``allowed_directories`` lists
  only ``readonly://<folder>/`` prefixes. Analysts write
  ``read_csv('readonly:///srv/exports/regions.csv')``. The file system also resolves each
  path (symlinks, ``..``) and refuses any that leaves the listed folders or lands in the
  kpiwatch home (everything there but the published warehouse: ``secrets``, ``work`` with
  the raw layer, ``lake``, ``landing``, ``kpiwatch.toml``) or in ``KPIWATCH_LAKE``.

What remains possible, by design: temporary tables and ``ATTACH ':memory:'`` (in memory,
gone when the connection closes, nothing reaches disk), and ``con.register(name, frame)``
of a Python object the caller hands over explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from core.config.readers import ReaderSettings
from core.home import Home
from core.sql import literal
from core.warehouse import SESSION

PROTOCOL = "readonly"
"""Files in an allowed folder are read as ``readonly:///folder/file``."""
CATALOG = "warehouse"
"""The name under which readers see the published warehouse."""
SETTABLE = ("TimeZone",)
"""The only settings a reader may change after the lock: presentation, not access."""
STARTUP = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "temp_directory": "",
}
"""Set when the in-memory instance is created, before anything runs on it."""


class ReadOnlyFolders(AbstractFileSystem):
    """The allowed folders, read-only, as DuckDB's ``readonly://`` file system.

    Every path is resolved (symlinks, ``..``) before it is opened or listed, and refused
    unless it lies in an allowed folder and outside the forbidden places. Every write
    (open for writing, mkdir, rm, mv, copy, touch) raises PermissionError.
    """

    protocol = PROTOCOL
    root_marker = "/"
    cachable = False

    def __init__(
        self, folders: tuple[Path, ...], forbidden: tuple[Path, ...], published: Path
    ) -> None:
        super().__init__()
        self.folders = tuple(Path(os.path.realpath(f)) for f in folders)
        self.forbidden = tuple(Path(os.path.realpath(f)) for f in forbidden)
        self.published = Path(os.path.realpath(published))
        self.local = LocalFileSystem()

    def confine(self, path: str) -> str:
        """The real path of ``path``, or PermissionError if readers may not read it."""
        stripped = self._strip_protocol(path)
        real = Path(os.path.realpath(stripped)) if os.path.isabs(stripped) else None
        allowed = (
            real is not None
            and any(real.is_relative_to(folder) for folder in self.folders)
            and (real == self.published or not any(real.is_relative_to(f) for f in self.forbidden))
        )
        if not allowed:
            raise PermissionError(
                f"{PROTOCOL}://{stripped} is outside what readers may read (the published "
                "warehouse and the folders an operator lists in kpiwatch.toml)"
            )
        return str(real)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            raise self.refuse(path)
        real = self.confine(path)
        opened = self.local._open(real, "rb", **kwargs)
        # A folder swapped for a symlink between the check and the open: the file really
        # opened is what /proc says it is (Linux), and it must be the one checked.
        try:
            actual = os.readlink(f"/proc/self/fd/{opened.f.fileno()}")
        except OSError:  # no /proc: the check above stands alone
            actual = real
        if actual != real:
            opened.close()
            raise PermissionError(f"{path} changed while it was opened; not read")
        return opened

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        self.confine(path)
        stripped = self._strip_protocol(path)
        return self.local.ls(stripped, detail=detail, **kwargs)

    def glob(self, path: str, **kwargs: Any) -> Any:
        """Refuse a pattern whose fixed part leaves the allowed folders (instead of an
        empty match, which would look like a missing file)."""
        stripped = self._strip_protocol(path)
        magic = min((i for i in (stripped.find(c) for c in "*?[") if i >= 0), default=None)
        self.confine(stripped if magic is None else os.path.dirname(stripped[:magic]))
        return super().glob(path, **kwargs)

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        real = self.confine(path)
        found = self.local.info(real, **kwargs)
        return {**found, "name": self._strip_protocol(path)}

    def modified(self, path: str) -> Any:
        return self.local.modified(self.confine(path))

    def created(self, path: str) -> Any:
        return self.local.created(self.confine(path))

    @staticmethod
    def refuse(path: str) -> PermissionError:
        return PermissionError(f"readers are read-only: {path} cannot be written")

    def _refuse(self, path: Any = "", *args: Any, **kwargs: Any) -> None:
        raise self.refuse(str(path))

    mkdir = makedirs = rmdir = rm = rm_file = _rm = mv = copy = cp_file = _refuse
    put = put_file = pipe = pipe_file = touch = link = symlink = _refuse


def forbidden_places(home: Home) -> tuple[Path, ...]:
    """Never readable through an allowed folder, whatever an operator lists."""
    places = [home.root]
    lake = os.environ.get("KPIWATCH_LAKE")
    if lake:
        places.append(Path(lake).expanduser())
    return tuple(places)


def _sql_list(texts: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(literal(t) for t in texts) + "]"


def reader(home: Home, settings: ReaderSettings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``home``'s published warehouse, in Asia/Shanghai time.

    The caller checks that the warehouse exists. ``settings`` default to ``[sql]`` of
    ``<home>/kpiwatch.toml`` (raises ConfigError when that table is wrong).
    """
    settings = settings if settings is not None else ReaderSettings.load(home)
    con = duckdb.connect(":memory:", config=dict(STARTUP))
    try:
        con.execute(f"attach {literal(str(home.warehouse))} as {CATALOG} (read_only)")
        con.execute(f"use {CATALOG}")
        con.execute("detach memory")
        con.execute(f"set global TimeZone = {literal(SESSION['TimeZone'])}")
        allowed: list[str] = []
        if settings.folders:
            con.register_filesystem(
                ReadOnlyFolders(settings.folders, forbidden_places(home), home.warehouse)
            )
            for folder in settings.folders:
                for form in dict.fromkeys((str(folder), os.path.realpath(folder))):
                    allowed.append(f"{PROTOCOL}://{form.rstrip('/')}/")
        con.execute(f"set allowed_directories = {_sql_list(allowed)}")
        con.execute(f"set allowed_configs = {_sql_list(SETTABLE)}")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


class SqlError(RuntimeError):
    """A query failed; the message is one line: DuckDB's, or a clearer one of ours."""


def connect(home: Home | str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, in Asia/Shanghai time.

    >>> con = connect()                                    # ./data or $KPIWATCH_HOME
    >>> con.sql("select * from marts.kpi_compliance").pl()  # polars; .df() for pandas,
    ...                                                     # .arrow() for Arrow
    """
    home = home if isinstance(home, Home) else Home.resolve(home)
    if not home.warehouse.exists():
        raise SqlError(
            f"no published warehouse at {home.warehouse}: run `kpiwatch ingest` and "
            "`kpiwatch build` first (or pass --home)"
        )
    try:
        return reader(home)
    except duckdb.Error as exc:
        raise SqlError(f"cannot open {home.warehouse}: {str(exc).strip().splitlines()[0]}") from exc
