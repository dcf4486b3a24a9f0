"""A real ``kpiwatch dashboard`` on a free port of 127.0.0.1, for the browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from kpiwatch.home import Home

KPIWATCH = str(Path(sys.executable).with_name("kpiwatch"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Home, env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the dashboard's URL once it answers; stop it (and its Streamlit) after."""
    port = free_port()
    log_path = home.root / "dashboard-server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [KPIWATCH, "--home", str(home.root), "dashboard", "--address", "127.0.0.1",
         "--port", str(port)],
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: Streamlit is stopped with it
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
