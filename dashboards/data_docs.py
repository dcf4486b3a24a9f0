"""Serve the Great Expectations Data Docs beside the dashboard.

Data Docs are a folder of static HTML under ``<home>/quality/data_docs/`` that link to each
other by relative paths, and a browser refuses ``file://`` links from an ``http://`` page.
So the dashboard serves that folder itself, read-only, on a second port of the same host,
started once per process and folder.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import streamlit as st

from core.static_site import server as static_site_server


@st.cache_resource(show_spinner=False)
def _server(folder: str) -> int:
    address = st.get_option("server.address") or ""
    server = static_site_server(Path(folder), port=0, host=address)
    threading.Thread(target=server.serve_forever, name="data-docs", daemon=True).start()
    return server.server_address[1]


def url(folder: Path) -> str:
    """The address of the Data Docs' index page as the reader's browser reaches it."""
    port = _server(str(folder))
    host = "localhost"
    with contextlib.suppress(Exception):  # no browser session (tests, bare mode)
        host = (st.context.headers.get("Host") or host).rsplit(":", 1)[0] or host
    return f"http://{host}:{port}/index.html"
