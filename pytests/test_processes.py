"""Process lifecycle: every child kpiwatch starts ends with it, and nothing untested is published.

Real processes throughout: kpiwatch commands started as an operator (or systemd, or cron)
would, signalled with ``kill``; children found in ``/proc/<pid>/task/*/children``; Streamlit
and the docs site served on 127.0.0.1 and asked over HTTP.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import duckdb

from core import audit, build_state
from core.build_state import project_fingerprint
from core.home import Home
from core.warehouse import attach_publication, exclusive
from kpiwatch.build import publish
from kpiwatch.pipeline import build_reason
from kpiwatch.schedule import run_command

KPIWATCH = [sys.executable, "-m", "kpiwatch"]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    found = _children(pid)
    for child in list(found):
        found += _descendants(child)
    return found


def _alive(pid: int) -> bool:
    """Running (or stopped), not gone and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _open_files(pid: int) -> list[str]:
    files: list[str] = []
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return files
    for descriptor in descriptors:
        try:
            files.append(os.readlink(descriptor))
        except OSError:
            continue  # closed meanwhile
    return files


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait_for(what: str, condition: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _start(*args: str, home: Home | None = None, env: dict[str, str] | None = None):
    command = [*KPIWATCH, *(["--home", str(home.root)] if home else []), *args]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _kpiwatch(home: Home, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KPIWATCH, "--home", str(home.root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# A parent that holds the writer lock and runs one child through kpiwatch.children, as
# `kpiwatch build` runs dbt. The child writes its PID, then sleeps; on SIGTERM it writes
# "terminated" and exits 0, unless told to ignore SIGTERM and SIGINT.
PARENT = textwrap.dedent(
    """
    import sys
    from kpiwatch import children
    from core.home import Home
    from core.warehouse import exclusive, lock_descriptors

    home, out, ignore = Home.resolve(sys.argv[1]), sys.argv[2], sys.argv[3] == "ignore"
    child = f'''
    import os, signal, sys, time
    def terminated(*_):
        open({out!r} + ".term", "w").write("terminated")
        sys.exit(0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN if {ignore} else terminated)
    if {ignore}:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    open({out!r}, "w").write(str(os.getpid()))
    time.sleep(120)
    '''
    with exclusive(home):
        children.run([sys.executable, "-c", child], locks=lock_descriptors(home), grace=1.0)
    """
)


def _parent_with_child(tmp_path: Path, ignore_sigterm: bool = False):
    home = Home.resolve(tmp_path / "home")
    out = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(home.root), str(out),
         "ignore" if ignore_sigterm else "obey"],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_for("the child to start", lambda: out.exists() and out.read_text(), 60)
    return home, parent, int(out.read_text()), out


def _lock_is_free(home: Home) -> bool:
    with home.lock.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
        return True


def test_sigkill_of_the_parent_kills_the_child_which_never_runs_without_the_lock(
    tmp_path: Path,
) -> None:
    home, parent, child, _ = _parent_with_child(tmp_path)
    assert child in _children(parent.pid)
    # The child holds the writer lock's open file itself, not a copy of the path.
    assert str(home.lock) in _open_files(child)
    assert not _lock_is_free(home)
    parent.kill()
    parent.wait()
    # Whenever the lock can be taken, the child has closed its files on its way out (the
    # kernel does that first when a process dies): it can no longer write anything.
    deadline = time.monotonic() + 5
    while _alive(child):
        if _lock_is_free(home):
            assert not _open_files(child), "the lock was free while the child could write"
        assert time.monotonic() < deadline, "the child outlived its parent by 5 s"
    assert _lock_is_free(home)


def test_sigterm_is_passed_on_and_the_parent_exits_143(tmp_path: Path) -> None:
    home, parent, child, out = _parent_with_child(tmp_path)
    parent.send_signal(signal.SIGTERM)
    _, stderr = parent.communicate(timeout=30)
    assert parent.returncode == 128 + signal.SIGTERM
    assert (out.parent / (out.name + ".term")).read_text() == "terminated"  # passed on
    assert not _alive(child)
    assert "SIGTERM received: stopped python" in stderr and "Traceback" not in stderr
    assert _lock_is_free(home)


def test_a_child_that_ignores_the_signal_is_killed_after_the_grace(tmp_path: Path) -> None:
    home, parent, child, _ = _parent_with_child(tmp_path, ignore_sigterm=True)
    began = time.monotonic()
    parent.send_signal(signal.SIGINT)  # Ctrl-C: passed on, ignored, killed 1 s later
    parent.communicate(timeout=30)
    assert parent.returncode == 128 + signal.SIGINT
    assert time.monotonic() - began < 20
    assert not _alive(child)
    assert _lock_is_free(home)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int, path: str = "/") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _dashboard(tmp_path: Path):
    """`kpiwatch dashboard` on a free port of 127.0.0.1, answering; and its Streamlit."""
    port = _free_port()
    home = Home.resolve(tmp_path / "home")
    process = _start(
        "dashboard", "--port", str(port), home=home,
        env={"STREAMLIT_SERVER_ADDRESS": "127.0.0.1"},
    )  # fmt: skip
    _wait_for("the dashboard to answer", lambda: _answers(port, "/_stcore/health"), 120)
    streamlit = [p for p in _descendants(process.pid) if "streamlit" in _cmdline(p)]
    assert streamlit, "no Streamlit process under kpiwatch dashboard"
    return process, port, streamlit


def test_sigterm_of_the_dashboard_stops_streamlit_and_exits_0(tmp_path: Path) -> None:
    process, port, streamlit = _dashboard(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert not _listening(port)
    assert not any(_alive(p) for p in streamlit)
    assert "Traceback" not in stderr


def test_sigkill_of_the_dashboard_leaves_no_streamlit(tmp_path: Path) -> None:
    process, port, streamlit = _dashboard(tmp_path)
    process.kill()
    process.communicate()
    _wait_for("Streamlit to die", lambda: not any(_alive(p) for p in streamlit), 5)
    assert not _listening(port)


def _with_last_run_ok(home: Home) -> None:
    """Record in audit.runs a run whose build passed over every loaded file with this dbt
    project, as `kpiwatch run` does: the next run then has nothing new to build, unless it
    knows the last build did not finish."""
    with duckdb.connect(str(home.work)) as con:
        audit.create(con)
        loaded = con.execute(
            "select coalesce(max(file_id) filter (where status = 'loaded'), 0) "
            "from audit.ingest_files"
        ).fetchone()[0]
        con.execute(
            "insert into audit.runs (run_id, started_at, built, build_ok, project_fingerprint, "
            "built_through_file_id, published) values ('earlier', now(), true, true, ?, ?, true)",
            [project_fingerprint(), loaded],
        )


def _published_tables(home: Home) -> set[str]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute("select schema_name || '.' || table_name from duckdb_tables()")
        return {name for (name,) in rows.fetchall()}


def test_an_untested_publication_is_never_published_nor_read(home_copy: Home) -> None:
    """What a build killed during its tests leaves: a staged file, and the record of a
    build that started but never passed."""
    home = home_copy
    shutil.copyfile(home.warehouse, home.publication)
    with duckdb.connect(str(home.publication)) as con:
        con.execute("create table main.untested (x int)")
    build_state.record(home, build_state.BUILDING)
    with duckdb.connect(str(home.work)) as con:
        assert attach_publication(con, home)  # the published warehouse, not the staged file
        tables = con.execute(
            "select table_name from duckdb_tables() where database_name = 'publication'"
        ).fetchall()
    assert ("untested",) not in tables and ("kpi_compliance",) in tables
    with exclusive(home):
        publish(home)
    assert "main.untested" not in _published_tables(home)
    assert "marts.kpi_compliance" in _published_tables(home)
    assert not home.publication.exists()
    # The run after such a build builds again, whatever else it finds.
    assert build_reason(False, True, (True, 9, "abc"), 9, "abc", build_state.unfinished(home)) == (
        "the last build did not finish (its publication was never tested)"
    )


def test_kill_9_of_a_build_takes_dbt_down_and_the_next_run_rebuilds(
    home_copy: Home, tmp_path: Path
) -> None:
    home = home_copy
    _with_last_run_ok(home)
    empty = tmp_path / "landing"
    empty.mkdir()
    process = _start("build", home=home)

    def dbt_writing() -> list[int]:
        dbt = [p for p in _descendants(process.pid) if "bin/dbt" in _cmdline(p)]
        return dbt if dbt and home.publication.exists() else []

    dbt = _wait_for("dbt to open the publication", dbt_writing, 300)
    process.kill()
    process.communicate()
    _wait_for("dbt to die with kpiwatch", lambda: not any(_alive(p) for p in dbt), 5)
    assert build_state.read(home)["state"] == build_state.BUILDING

    # No orphan holds DuckDB's lock or the writer lock: the next writer just works.
    ingest = _kpiwatch(home, "ingest", str(empty))
    assert ingest.returncode == 0, ingest.stderr

    # Mark the untested file: if any run published it, the mark would show.
    with duckdb.connect(str(home.publication)) as con:
        con.execute("create table main.untested (x int)")
    # The run as `kpiwatch schedule` starts it.
    run = subprocess.run(
        run_command(home, empty, []), capture_output=True, text=True, timeout=900, check=False
    )
    assert run.returncode == 0, run.stderr
    with duckdb.connect(str(home.work), read_only=True) as con:
        last = con.execute(
            "select built, build_ok, published from audit.runs where run_id <> 'earlier'"
        ).fetchall()
    assert last == [(True, True, True)], run.stdout + run.stderr  # built again: nothing was new
    assert "main.untested" not in _published_tables(home)
    assert "marts.kpi_compliance" in _published_tables(home)
    assert build_state.read(home)["state"] == build_state.PUBLISHED


def test_docs_sigterm_stops_dbt_while_generating_and_ends_the_server(home_copy: Home) -> None:
    home = home_copy
    port = _free_port()
    generating = _start("docs", "--port", str(port), home=home)

    def dbt() -> list[int]:
        return [p for p in _descendants(generating.pid) if "bin/dbt" in _cmdline(p)]

    children = _wait_for("dbt docs generate to start", dbt, 120)
    generating.send_signal(signal.SIGTERM)
    _, stderr = generating.communicate(timeout=60)
    assert generating.returncode == 128 + signal.SIGTERM, stderr
    assert "SIGTERM received: stopped dbt" in stderr and "Traceback" not in stderr
    assert not any(_alive(p) for p in children)
    assert not _listening(port)

    serving = _start("docs", "--port", str(port), home=home)
    _wait_for("the docs site to answer", lambda: _answers(port, "/index.html"), 600)
    serving.send_signal(signal.SIGTERM)
    _, stderr = serving.communicate(timeout=30)
    assert serving.returncode == 0, stderr
    assert not _listening(port)


HOLD = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
    "print('open', flush=True); time.sleep(300)"
)


def test_a_writer_meeting_duckdbs_own_lock_exits_75_in_one_line(home_copy: Home) -> None:
    """An analyst's `duckdb` (or any stray process) has the working warehouse open: every
    writing command says who holds it and exits 75 (busy, try later), no traceback."""
    home = home_copy
    empty = home.root / "empty-landing"
    empty.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home.work)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        for args in (("ingest", str(empty)), ("build",), ("run", str(empty))):
            result = _kpiwatch(home, *args, timeout=300)
            lines = result.stderr.strip().splitlines()
            assert result.returncode == 75, (args, result.stderr)
            said = " ".join(result.stderr.split())
            assert f"{home.work} is open in" in said and f"(PID {holder.pid})" in said, args
            assert len(lines) == 1, (args, lines)
    finally:
        holder.kill()
        holder.wait()
    assert _kpiwatch(home, "ingest", str(empty)).returncode == 0


def _scheduler_with_a_run(tmp_path: Path):
    """`kpiwatch schedule` (every second, one run) and the `kpiwatch run` it started."""
    home = Home.resolve(tmp_path / "home")
    (tmp_path / "landing").mkdir()
    process = _start(
        "schedule", "--cron", "* * * * * *", "--max-runs", "1", str(tmp_path / "landing"),
        home=home,
    )  # fmt: skip

    def run() -> list[int]:
        return [p for p in _children(process.pid) if " run " in _cmdline(p)]

    return process, _wait_for("the scheduled run to start", run, 60)


def test_sigterm_of_the_scheduler_stops_the_run_going_on_and_exits_0(tmp_path: Path) -> None:
    process, runs = _scheduler_with_a_run(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "schedule stopped" in stderr
    assert not any(_alive(p) for p in runs)


def test_sigkill_of_the_scheduler_kills_the_run_going_on(tmp_path: Path) -> None:
    process, runs = _scheduler_with_a_run(tmp_path)
    process.kill()
    process.communicate()
    _wait_for("the run to die with its scheduler", lambda: not any(_alive(p) for p in runs), 5)
