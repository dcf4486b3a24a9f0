"""A static site (dbt's docs, Great Expectations' Data Docs) served on localhost.

Both the command line (``kpiwatch docs``) and the dashboard's data-health page serve a
folder of generated HTML; neither needs the network, so one small threaded server does.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def server(site: Path, port: int = 8580, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the site (call ``serve_forever()``; port 0 picks a free one)."""
    handler = functools.partial(_Quiet, directory=str(site))
    return ThreadingHTTPServer((host, port), handler)
