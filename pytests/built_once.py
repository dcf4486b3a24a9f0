"""Build a shared warehouse once per test session, even under pytest-xdist.

``make test`` runs two pytest-xdist workers, each a pytest session of its own: a
session-scoped fixture would be built once per worker, and a warehouse takes a minute or
more to generate, ingest and build on a busy machine. Both workers share the run's base
temporary folder, so the first worker to ask builds there while holding a file lock, and
the other waits for it and reads the same files. Whoever uses the result only reads it
(a test that writes takes a copy, as ``home_copy`` does).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The run's base temporary folder, shared by every xdist worker (each worker's own is
    a ``popen-gwN`` folder inside it); without xdist, the session's own."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name`` in the shared root, made by ``make(folder)`` by the first worker
    that asks; the others wait on the lock and get the finished folder. A ``make`` that
    failed leaves no mark, so the next asker tries again (and fails with its own error)."""
    root = shared_root(factory)
    folder = root / name
    done = root / f"{name}.built"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            done.touch()
    return folder
