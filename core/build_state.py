"""Which next publication passed its tests: only that one may ever be published.

The build writes the next publication (``<home>/work/publication.duckdb``) while dbt builds
and tests the models. A build killed on the way (SIGKILL, the OOM killer, a power cut)
leaves a file that looks like any other but was never tested, and the next ``kpiwatch run``
with nothing new to build would publish it. So the build records how far it got in
``<home>/work/build.json``, replaced atomically at each step:

- ``building``: before the build drops anything or starts dbt;
- ``passed``: dbt's build succeeded (no error-severity test failed); with dbt's invocation
  id, which names the run in ``<home>/dbt/logs`` and ``run_results.json``, the last loaded
  file it built from (``built_through``) and the dbt project's fingerprint;
- ``failed``: dbt failed; the staged file was removed;
- ``published``: the passing file was renamed over the published warehouse.

A staged publication is attached for checks and published only under ``passed``.
``kpiwatch run`` builds again whenever the last build is ``building`` (it never finished:
the working warehouse's staging views are half rebuilt) or ``failed``. What the last passed
build saw comes from this record too (``last_passed``), whichever command built: a run right
after ``kpiwatch build`` (``make demo``) does not build again. Every change happens under
the home's writer lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from core.home import PROJECT_DIR, Home

BUILDING, PASSED, FAILED, PUBLISHED = "building", "passed", "failed", "published"
PROJECT_PARTS = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")
KPI_CATALOG = Path("seeds") / "kpi_catalog.csv"
"""The versioned KPI catalog: an incremental build compares it row by row with the catalog
its starting publication was built with (docs/incremental.md), so a change to it need not
rebuild everything."""


def project_fingerprint(project: Path = PROJECT_DIR, *, with_catalog: bool = True) -> str:
    """A hash of everything dbt builds from: a change means the marts must be rebuilt.

    ``with_catalog=False`` leaves the KPI catalog out: what an incremental build needs to
    hold (a changed catalog row recomputes only its periods), while whether to build at
    all, and to load the seeds again, still looks at the catalog too."""
    digest = hashlib.sha256()
    for part in PROJECT_PARTS:
        path = project / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if not with_catalog and file.relative_to(project) == KPI_CATALOG:
                continue
            if file.exists():
                digest.update(file.relative_to(project).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def state_file(home: Home) -> Path:
    return home.work.parent / "build.json"


def read(home: Home) -> dict[str, str] | None:
    """The last build's record, or None for a home that never built with this version
    (or whose record is unreadable: treated as unknown, never as passed)."""
    try:
        record = json.loads(state_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "state" in record else None


def record(home: Home, state: str, **details: str) -> None:
    """Replace the record in one atomic, durable step (written aside, fsynced, renamed)."""
    path = state_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(path.name + ".new")
    text = json.dumps({"state": state, "at": datetime.now(UTC).isoformat(), **details})
    with aside.open("w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(aside, path)


def tested(home: Home) -> bool:
    """True when the staged publication exists and is the one the last build tested."""
    last = read(home)
    return home.publication.exists() and last is not None and last["state"] == PASSED


def unfinished(home: Home) -> str | None:
    """Why the next run must build again because of the last build, or None."""
    last = read(home)
    state = last["state"] if last else None
    if state == BUILDING:
        return "the last build did not finish (its publication was never tested)"
    if state == FAILED:
        return "the last build failed (the working warehouse is half built)"
    return None


def last_passed(home: Home) -> tuple[bool, int, str] | None:
    """(True, last loaded file built from, project fingerprint) when the last build passed
    (published or not), whichever command ran it; None when the record does not say (a
    build by an older version, or none): the caller then asks ``audit.runs``."""
    last = read(home)
    if last is None or last["state"] not in (PASSED, PUBLISHED):
        return None
    try:
        return True, int(last["built_through"]), str(last["fingerprint"])
    except (KeyError, ValueError):
        return None
