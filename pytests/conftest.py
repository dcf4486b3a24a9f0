"""Shared fixtures: one small generated, ingested and built warehouse for the whole run.

Building a warehouse is the slow part of most tests, so it happens once, whichever
pytest-xdist worker asks first (``built_once``); a test that changes the home gets its own
copy (``home_copy``), which is cheap at this size. A new test that needs a built warehouse
reads ``built_home`` or takes ``home_copy``; one that needs the dashboard's (31 provinces,
two months) calls ``dashboard_warehouse.published_home`` (built once as well); a module
that builds its own does so in a module-scoped fixture and copies it per test that writes.

``make test`` runs two xdist workers; each group of tests (a module, or an entry of
``SHARED_GROUPS``) runs on one worker, and the costliest groups (``GROUP_SECONDS``) start
first. A new module that takes minutes belongs in ``GROUP_SECONDS``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from built_once import built_once
from receivers import HttpReceiver
from xdist.scheduler import LoadGroupScheduling

from core.home import Home
from generator import generate, landing
from ingest.loader import ingest
from kpiwatch.build import build

# A pytest-xdist worker runs under execnet, whose ``__main__`` has neither a spec nor a file:
# PySpark then takes itself for a doctest run and ends the worker with exit 0 when Great
# Expectations imports it (pyspark/sql/connect/utils.py). Give that ``__main__`` a file that
# does nothing, which is also what a spawned child would run first.
if getattr(sys.modules["__main__"], "__spec__", None) is None and not hasattr(
    sys.modules["__main__"], "__file__"
):
    sys.modules["__main__"].__file__ = str(Path(__file__).with_name("worker_main.py"))

SMALL = dict(start=date(2026, 10, 1), days=3, provinces=["110000", "440000", "650000"],
             scale=0.002, seed=9)  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def generate_in_this_process() -> Iterator[None]:
    """``generate()`` without ``workers`` runs in this process rather than spawning a worker
    per core: each xdist worker already keeps a core busy, and every spawned worker imports
    polars and the generator again (a month for 31 provinces: 8.8 s of CPU in one process,
    12.7 s with two workers, and slower too on a busy machine). The files are the same bytes
    at any number of workers, which test_generator proves with 1 and 2; a test that passes
    ``workers`` (or ``--workers``) gets them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landing, "default_workers", lambda: 1)
        yield


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Generated (3 provinces, 3 days), ingested, built (dbt's unit tests included) and
    published, once for the whole run (every xdist worker reads the same files). Do not
    change it: take ``home_copy``. Its landing is ``built_home.root.parent / "landing"``."""
    return Home.resolve(built_once(tmp_path_factory, "built", _build_small) / "home")


def _build_small(root: Path) -> None:
    home = Home.resolve(root / "home")
    generate(root / "landing", **SMALL)
    ingest(home, root / "landing")
    build(home, quiet=True, unit_tests=True)


@pytest.fixture
def home_copy(built_home: Home, tmp_path: Path) -> Home:
    """A private copy of ``built_home`` that a test may change."""
    target = tmp_path / "home"
    shutil.copytree(built_home.root, target, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    return Home.resolve(target)


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    """A real HTTP receiver on 127.0.0.1 that records what it is sent."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def keep_the_main_module() -> Iterator[None]:
    """Streamlit's AppTest runs a page as ``__main__`` and leaves it in ``sys.modules``; a
    later ``generate()`` would then start its spawned workers by re-running that page.
    Each test gets back the ``__main__`` it started with."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


SHARED_GROUPS = {
    # the modules that read the shared dashboard warehouse, in two groups that may run side by
    # side: one worker builds the warehouse, the other waits for it (built_once). The browser
    # test writes its screenshots into the shared home, which test_breaches copies: together.
    "pytests/test_dashboard.py": "dashboard_warehouse",
    "pytests/test_report.py": "dashboard_warehouse",
    "pytests/test_dashboard_browser.py": "dashboard_warehouse_browser",
    "pytests/test_breaches.py": "dashboard_warehouse_browser",
    # the national month (national_month.py): built once, read by both, on one worker
    "pytests/test_warehouse.py": "national_month",
    "pytests/test_docs.py": "national_month",
    # each a few minutes of dbt builds on its own: they run side by side, not one after the other
    "pytests/test_incremental.py::test_random_delivery_sequences_build_incrementally_to_the_full_rebuild": (  # noqa: E501
        "test_incremental_sequences"
    ),
    # a short test after it, so that the worker gets its next group when the long one ends
    # (GroupsCostliestFirst), not before it starts
    "pytests/test_incremental.py::test_seeds_are_loaded_again_unless_the_last_build_passed_with_this_project": (  # noqa: E501
        "test_incremental_sequences"
    ),
}
"""Groups other than "one per module", by the start of the tests' node ids."""

GROUP_SECONDS = {
    "dashboard_warehouse": 240,
    "pytests/test_spark.py": 180,
    "pytests/test_processes.py": 150,
    "test_incremental_sequences": 130,
    "national_month": 130,
    "pytests/test_incremental.py": 110,
    # worth ~180, ranked lower so that it starts once the other dashboard group has built the
    # warehouse it waits for, rather than beside it
    "dashboard_warehouse_browser": 100,
    "pytests/test_publish.py": 100,
    "pytests/test_run.py": 90,
    "pytests/test_dashboard_access_browser.py": 90,
    "pytests/test_lake.py": 80,
    "pytests/test_hostile_files.py": 70,
    "pytests/test_ingest.py": 60,
    "pytests/test_sql.py": 60,
}
"""About what each group costs on a quiet machine (seconds of one worker), for those that
take a minute or more; any other is taken for ``UNMEASURED_SECONDS``. Only the order
matters: the costliest start first, so that no worker ends alone on a long group."""

UNMEASURED_SECONDS = 30


def group_of(nodeid: str) -> str:
    """The group of a test: its entry in ``SHARED_GROUPS``, else its module's path."""
    for start, group in SHARED_GROUPS.items():
        if nodeid == start or nodeid.startswith((start + "::", start + "[")):
            return group
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The costliest groups first (a stable sort: a group's tests keep their order), so that
    no worker ends alone on a long one (``GroupsCostliestFirst``)."""
    items.sort(key=lambda item: -GROUP_SECONDS.get(group_of(item.nodeid), UNMEASURED_SECONDS))


class GroupsCostliestFirst(LoadGroupScheduling):
    """``--dist loadgroup`` as ``make test`` runs it, two workers: a group's tests all run on
    one worker (its module fixtures are built once), groups handed out in collection order.

    Groups come from ``group_of`` rather than from ``xdist_group`` marks: xdist passes a
    mark to the scheduler by appending ``@group`` to the test's id, which pytest 9.2's
    structured ids no longer take (pytest-xdist issue 1386), so every test went its own way
    and each worker built the fixtures of nearly every module. A test id that does carry
    ``@group`` still goes by it. xdist's own order (the groups with the most tests first)
    would start a long group of two tests last, and it would end alone."""

    def __init__(self, config: pytest.Config, log: object | None = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False

    def _reschedule(self, node: object) -> None:
        """A worker gets its next group once a single test of its current one is left (a
        worker holds its last test until it knows what comes next), not two as xdist's own:
        a group handed out two tests early waited behind both (in a run on a loaded
        machine, the Spark group's two incremental builds held the hypothesis test for over
        an hour while the other worker ran the rest of the suite). The long groups end on a
        short test (``SHARED_GROUPS``, test_spark), so what comes next is not held behind a
        long one either."""
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) > 1:
            return
        self._assign_work_unit(node)

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.rfind("@") > nodeid.rfind("]"):
            return super()._split_scope(nodeid)
        return group_of(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``GroupsCostliestFirst`` for ``--dist loadgroup``; xdist's own for any other mode."""
    if config.getvalue("dist") == "loadgroup":
        return GroupsCostliestFirst(config, log)
    return None
