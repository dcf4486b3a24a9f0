"""Which next publication passed its tests: only that one may ever be published.

The build writes the next publication (``<home>/work/publication.duckdb``) while dbt builds
and tests the models. A build killed on the way (SIGKILL, the OOM killer, a power cut)
leaves a file that looks like any other but was never tested, and the next ``kpiwatch run``
with nothing new to build would publish it. So the build records how far it got in
``<home>/work/build.json``, replaced atomically at each step:

- ``building``: before the build drops anything or starts dbt;
- ``passed``: dbt's build succeeded (no error-severity test failed); with dbt's invocation
  id, which names the run in ``<home>/dbt/logs`` and ``run_results.json``;
- ``failed``: dbt failed; the staged file was removed;
- ``published``: the passing file was renamed over the published warehouse.

A staged publication is attached for checks and published only under ``passed``.
``kpiwatch run`` builds again whenever the last build is ``building`` (it never finished:
the working warehouse's staging views are half rebuilt) or ``failed``. Every change
happens under the home's writer lock.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from kpiwatch.home import Home

BUILDING, PASSED, FAILED, PUBLISHED = "building", "passed", "failed", "published"


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
