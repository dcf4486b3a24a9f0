"""The suite's own plumbing: shared warehouses are built once, and tests are grouped as meant.

``make test`` is only as fast as these two promises: a shared warehouse built by one xdist
worker and read by the other (``built_once``), and each group of tests kept on one worker
(``GroupsCostliestFirst``). Both fail silently when broken (the suite just gets slower),
so they are checked here, with real processes and the real scheduler class.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import GROUP_SECONDS, SHARED_GROUPS, GroupsCostliestFirst, group_of

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from built_once import built_once

    class Factory:  # what pytest's TempPathFactory gives a worker: its own popen-gwN folder
        def getbasetemp(self):
            return Path(sys.argv[2])

    def make(folder):
        with open(Path(sys.argv[3]), "a") as log:
            log.write(sys.argv[2] + "\\n")
        time.sleep(1)  # long enough for the other worker to ask meanwhile
        (folder / "warehouse").write_text("built")

    print(built_once(Factory(), "shared", make))
    """
)


def test_two_workers_asking_at_once_build_once_and_read_the_same_folder(tmp_path: Path) -> None:
    log = tmp_path / "made"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(Path(__file__).parent),
                str(tmp_path / f"popen-gw{n}"),
                str(log),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={"PYTEST_XDIST_WORKER": f"gw{n}", "PATH": ""},
        )
        for n in range(2)
    ]
    folders = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert all(worker.returncode == 0 for worker in workers)
    assert folders == {str(tmp_path / "shared")}  # the run's folder, not a worker's
    assert len(log.read_text().splitlines()) == 1  # made once
    assert (tmp_path / "shared" / "warehouse").read_text() == "built"


class _Config:
    """The two settings of pytest's config that the scheduler reads, as ``-n 2`` sets them."""

    def __init__(self) -> None:
        self.option = SimpleNamespace(loadscopereorder=True, tx=["2*popen"], dist="loadgroup")

    def getvalue(self, name: str) -> object:
        return getattr(self.option, name)


def test_each_module_is_one_group_and_shared_groups_are_kept_together() -> None:
    config = _Config()
    scheduler = GroupsCostliestFirst(config)  # type: ignore[arg-type]
    assert config.option.loadscopereorder is False  # the collection's order is kept
    split = scheduler._split_scope
    assert split("pytests/test_ingest.py::test_a") == split("pytests/test_ingest.py::test_b[x]")
    assert split("pytests/test_ingest.py::test_a") != split("pytests/test_lake.py::test_a")
    assert split("pytests/test_dashboard.py::test_a") == split("pytests/test_report.py::test_b")
    assert split("pytests/test_incremental.py::test_each_delivery_builds") != split(
        next(start for start in SHARED_GROUPS if start.startswith("pytests/test_incremental"))
    )
    assert split("pytests/test_x.py::test_a@together") == "together"  # an xdist mark, if passed


@pytest.mark.parametrize("group", sorted(GROUP_SECONDS))
def test_every_costed_group_has_tests(group: str) -> None:
    """A module renamed or split would leave its cost behind, and the order would be wrong."""
    pytests = Path(__file__).parent
    starts = [start for start, shared in SHARED_GROUPS.items() if shared == group] or [group]
    for start in starts:
        module, _, test = start.partition("::")
        assert (pytests.parent / module).is_file(), start
        assert not test or f"def {test}(" in (pytests.parent / module).read_text(), start
        assert group_of(start) == group


class _Worker:
    """What the scheduler uses of a pytest-xdist worker: the test indexes it is sent."""

    def __init__(self) -> None:
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


def test_a_worker_gets_its_next_group_when_one_test_of_its_group_is_left() -> None:
    """Not when two are left (xdist's own rule): the next group would wait behind both."""
    collection = ["pytests/test_a.py::t1", "pytests/test_a.py::t2", "pytests/test_a.py::t3",
                  "pytests/test_b.py::t1"]  # fmt: skip
    config = _Config()
    config.option.tx = ["1*popen"]  # one worker, to follow alone
    scheduler = GroupsCostliestFirst(config)  # type: ignore[arg-type]
    worker = _Worker()
    scheduler.add_node(worker)  # type: ignore[arg-type]
    scheduler.add_node_collection(worker, collection)  # type: ignore[arg-type]
    scheduler.schedule()
    assert worker.sent == [0, 1, 2]  # test_a.py, and nothing more while two are left
    scheduler.mark_test_complete(worker, 0)  # type: ignore[arg-type]
    assert worker.sent == [0, 1, 2]
    scheduler.mark_test_complete(worker, 1)  # type: ignore[arg-type]
    assert worker.sent == [0, 1, 2, 3]  # one left: test_b.py comes now
    assert not worker.shutting_down
    scheduler.mark_test_complete(worker, 2)  # type: ignore[arg-type]
    assert worker.shutting_down  # nothing left to hand out
