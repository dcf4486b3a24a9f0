"""``kpiwatch schedule``: ``kpiwatch run`` on a cron expression, in Asia/Shanghai time.

Cron fields are read in Asia/Shanghai whatever the machine's zone (``0 8 * * *`` is 08:00
Beijing time on a UTC server); cronsim computes the next time (five fields, or six with
seconds first). Each run is a child process (``kpiwatch run``): its memory (pandas batches,
Great Expectations) goes back to the system when it ends, and a crash ends that run, not the
scheduler. The run ends with the scheduler (``kpiwatch.children``): SIGTERM or Ctrl-C stops
the run going on (and its dbt) and the scheduler exits 0; SIGKILL kills the run too.

Runs never overlap. This loop starts the next run only after the previous one ended, and
reports ticks missed meanwhile instead of catching up; and every run takes the home's
writer lock, so a run started by anything else (a second scheduler, cron, a person) while
one is going skips with exit 75 and says so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from rich.console import Console

from core.home import Home
from kpiwatch import children
from kpiwatch.exit_codes import EXIT_BUSY, EXIT_USAGE, MEANING

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONGEST_SLEEP = 60.0
"""Sleep in slices so a clock change (NTP step, suspend) is noticed within a minute."""


class ScheduleError(ValueError):
    """The cron expression cannot be used; the message says why."""


def next_run(cron: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` matching ``cron`` in Asia/Shanghai."""
    try:
        return next(CronSim(cron, after.astimezone(SHANGHAI)))
    except (CronSimError, StopIteration) as exc:
        raise ScheduleError(
            f"--cron {cron!r}: {exc or 'never matches'}; expected five fields "
            "(minute hour day month weekday, e.g. '0 * * * *' hourly) in Asia/Shanghai time"
        ) from exc


def run_command(home: Home, landing: Path | None, fail_on: Sequence[str]) -> list[str]:
    """``kpiwatch --home HOME run [LANDING] [--fail-on …]`` with this interpreter (``-m``:
    see ``kpiwatch.__main__`` for why not ``-c``)."""
    command = [sys.executable, "-m", "kpiwatch", "--home", str(home.root), "run"]
    if landing is not None:
        command.append(str(landing))
    for reason in fail_on:
        command += ["--fail-on", reason]
    return command


@dataclass
class Scheduler:
    home: Home
    cron: str
    command: list[str]
    console: Console
    clock: Callable[[], datetime] = lambda: datetime.now(SHANGHAI)
    sleep: Callable[[float], None] = time.sleep
    runner: Callable[[list[str]], int] = lambda command: children.run(command).returncode

    def say(self, text: str) -> None:
        self.console.print(text, soft_wrap=True, highlight=False, markup=False)

    def wait_until(self, when: datetime) -> None:
        while (left := (when - self.clock()).total_seconds()) > 0:
            self.sleep(min(left, LONGEST_SLEEP))

    def loop(self, max_runs: int = 0) -> int:
        """Run forever (or ``max_runs`` times); return the last run's exit code."""
        due = next_run(self.cron, self.clock())
        self.say(f"schedule '{self.cron}' (Asia/Shanghai): next run at {due:%Y-%m-%d %H:%M:%S}")
        runs = 0
        code = 0
        while not max_runs or runs < max_runs:
            self.wait_until(due)
            began = self.clock()
            self.say(f"{began:%Y-%m-%d %H:%M:%S} run starts")
            code = self.runner(self.command)
            runs += 1
            ended = self.clock()
            meaning = MEANING.get(code, "unexpected exit code")
            if code == EXIT_BUSY:
                meaning = "skipped: another kpiwatch process holds the writer lock"
            self.say(
                f"{ended:%Y-%m-%d %H:%M:%S} run ended: exit {code} ({meaning}) "
                f"after {(ended - began).total_seconds():.0f} s"
            )
            following = next_run(self.cron, due)
            missed = 0
            while following <= ended:
                missed += 1
                following = next_run(self.cron, following)
            if missed:
                self.say(f"the run outlasted its interval: {missed} tick(s) skipped, not caught up")
            due = following
            if not max_runs or runs < max_runs:
                self.say(f"next run at {due:%Y-%m-%d %H:%M:%S}")
        return code


def main(
    home: Home,
    cron: str,
    landing: Path | None,
    fail_on: Sequence[str],
    console: Console,
    max_runs: int = 0,
) -> int:
    try:
        next_run(cron, datetime.now(SHANGHAI))
    except ScheduleError as exc:
        console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        return EXIT_USAGE
    scheduler = Scheduler(home, cron, run_command(home, landing, fail_on), console)
    try:
        with children.stopping_raises():  # SIGTERM, SIGINT: the run going on is stopped too
            return scheduler.loop(max_runs)
    except children.Stopped:
        console.print("schedule stopped")
        return 0
