"""Child processes that end with the kpiwatch process that started them.

kpiwatch starts children for the slow or foreign parts: dbt (``build``, ``docs``, the
Spark build), Streamlit (``dashboard``) and, under ``kpiwatch schedule``, each
``kpiwatch run``. A child left behind is worse than a failed command: a dbt writing the
working warehouse after the kpiwatch that held the writer lock died holds DuckDB's file
lock, so every later ingest, build and run fails until someone finds and kills it; a
Streamlit left serving keeps its port and an old view of the data. ``run`` makes sure of
three things:

- **The child dies with its parent, even by SIGKILL.** On Linux the child asks the kernel,
  between fork and exec, to send it SIGKILL when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``; exec keeps it). Nothing in the parent needs to run for
  that, so it holds when the parent is killed by ``kill -9``, the OOM killer or a crash.
  (The kernel's "parent" is the thread that started the child: start children from a
  thread that outlives them, as ``run`` does by waiting for its child.)
- **A child never writes without the writer lock.** The writer lock is an ``flock`` on
  ``<home>/work/writer.lock``; such a lock belongs to the open file, not to a process, and
  is released only when the last descriptor of that file is closed. A child that writes
  (dbt) inherits the parent's descriptor (``locks``), so the lock is held exactly as long
  as the parent *or* the child lives. The parent-death signal alone would not give this:
  the kernel closes a dying process's files (releasing its lock) before it signals its
  children, so for a moment another kpiwatch could take the lock while dbt still runs.
  The inherited descriptor alone would not do either: the orphan would finish a build
  nobody publishes, blocking every run meanwhile. Together, the orphan is killed at once
  and the lock is free only once it is gone.
- **SIGTERM, SIGINT and SIGHUP stop the child too.** The child runs in its own process
  group, so a Ctrl-C at a terminal reaches kpiwatch only; kpiwatch passes the signal on to
  the child's group (SIGHUP as SIGTERM), waits up to ``GRACE_SECONDS`` for it to end, then
  kills the group, and raises ``Stopped`` (a ``SystemExit`` with code 128 + the signal's
  number, as a shell reports a process killed by that signal). Being a ``SystemExit``,
  it unwinds every ``finally`` (the writer lock is released) and ends the command without
  a traceback; a server command catches it to exit 0 instead (stopping is how a server
  ends).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

GRACE_SECONDS = 10.0
"""How long a stopped child may take to end after the signal is passed on (dbt cancels
its queries, Streamlit closes its sessions) before its process group is killed."""

STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""The signals that ask kpiwatch to stop, and that it passes on to its child."""

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class Stopped(SystemExit):
    """kpiwatch was asked to stop (by ``signum``) while a child ran; the child has ended."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _die_with(parent: int) -> Callable[[], None]:
    """The child's last step before exec: SIGKILL when ``parent`` dies (Linux only).

    Checking the parent after asking closes the race where the parent died between fork
    and prctl (the child would then never be told). Only pre-bound calls run here: after a
    fork, the child must not import or take locks another thread may have held.
    """
    prctl = _libc.prctl if _libc is not None else None

    def before_exec() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return before_exec


@dataclass(frozen=True)
class Finished:
    """How a child ended; ``output`` only when it was captured."""

    returncode: int
    output: str = ""


def _pass_on(child: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the child's process group (SIGHUP as SIGTERM: a child of ours has
    no terminal of its own to lose)."""
    forwarded = signal.SIGTERM if signum == signal.SIGHUP else signum
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, forwarded)


def _ended(child: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Wait until the child has ended, without reaping it: while it is a zombie its PID,
    which is also its process group's ID, cannot be reused, so killing the group after it
    ended can only reach what the child left in it."""
    if timeout is None:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        return True
    deadline = time.monotonic() + timeout
    while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _reap(child: subprocess.Popen[bytes]) -> int:
    """Kill whatever is left in the child's process group, then reap the child."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    return child.wait()


def stop(child: subprocess.Popen[bytes], signum: int, grace: float = GRACE_SECONDS) -> None:
    """Pass ``signum`` on to the child, wait ``grace`` seconds, then kill its group.

    A second stopping signal meanwhile (a second Ctrl-C) kills at once.
    """
    _pass_on(child, signum)
    with contextlib.suppress(Stopped):
        _ended(child, grace)
    _reap(child)


def _program(command: Sequence[str]) -> str:
    """What the child is, for a message: ``python -m streamlit`` is streamlit."""
    if len(command) > 2 and command[1] == "-m":
        return command[2]
    return Path(command[0]).name


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
    locks: Sequence[int] = (),
    grace: float = GRACE_SECONDS,
) -> Finished:
    """Run ``command`` to its end as a child that cannot outlive this process.

    ``capture`` collects its stdout and stderr (through a file: a pipe that nobody reads
    while the child is being stopped would block it). ``locks`` are descriptors the child
    inherits, the writer lock's above all. Raises ``Stopped`` after stopping the child
    when a stopping signal arrives.
    """
    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if child is None:
            pending.append(signum)  # still starting: acted on once the child exists
            return
        raise Stopped(signum)

    # Handlers can only be set from the main thread; elsewhere the child still dies with
    # this process, and a signal ends this process as it would have anyway.
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, on_signal) for s in STOPPING} if main else {}
    try:
        with tempfile.TemporaryFile() if capture else contextlib.nullcontext() as sink:
            try:
                child = subprocess.Popen(
                    list(command),
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                    pass_fds=tuple(locks),
                    process_group=0,
                    preexec_fn=_die_with(os.getpid()),
                )
                if pending:
                    raise Stopped(pending[0])
                _ended(child, None)
            except Stopped as stopped:
                if child is not None:
                    stop(child, stopped.signum, grace)
                    sys.stderr.write(
                        f"kpiwatch: {stopped.name} received: stopped {_program(command)} "
                        f"(PID {child.pid})\n"
                    )
                raise
            except BaseException:
                if child is not None:
                    _reap(child)
                raise
            returncode = _reap(child)
            output = ""
            if sink is not None:
                sink.seek(0)
                output = sink.read().decode("utf-8", errors="replace")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return Finished(returncode, output)


def serve(command: Sequence[str], *, env: Mapping[str, str] | None = None) -> int:
    """Run a server (Streamlit) as a child until it ends or kpiwatch is asked to stop.

    Returns the server's own exit code, or 0 when a signal stopped it: SIGTERM or Ctrl-C
    is how a server is meant to end (systemd counts exit 0 as a clean stop).
    """
    try:
        return run(command, env=env).returncode
    except Stopped:
        return 0


@contextlib.contextmanager
def stopping_raises() -> Iterator[None]:
    """Within this block, SIGTERM, SIGINT and SIGHUP raise ``Stopped`` (main thread only):
    a server run in this process (``kpiwatch docs``) closes its socket and ends."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, on_signal) for s in STOPPING} if main else {}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
