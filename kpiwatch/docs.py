"""dbt's documentation site, generated from the warehouses and served locally.

``dbt docs generate`` reads the catalog (tables, columns, descriptions) and the lineage
from raw files to each KPI; the site is static (``index.html`` bundles everything), so
serving ``<home>/dbt/target`` on localhost needs no network.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kpiwatch.build import BuildError, run_dbt
from kpiwatch.home import Home
from kpiwatch.warehouse import exclusive

SITE_FILES = ("index.html", "manifest.json", "catalog.json")


def generate(home: Home, quiet: bool = True) -> Path:
    """Write the docs site into ``<home>/dbt/target``; return that folder."""
    if not (home.work.exists() and home.warehouse.exists()):
        raise BuildError("nothing to document yet: run `kpiwatch ingest` and `kpiwatch build`")
    with exclusive(home):
        # the marts' catalog comes from the published warehouse, attached read-only
        ok, failures, _ = run_dbt(
            home,
            home.work,
            ["docs", "generate"],
            quiet,
            publication=home.warehouse,
            publication_read_only=True,
        )
    if not ok:
        raise BuildError("dbt docs generate failed:\n  " + "\n  ".join(failures))
    return home.dbt_target


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def server(site: Path, port: int = 8580, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the site (call ``serve_forever()``; port 0 picks a free one)."""
    handler = functools.partial(_Quiet, directory=str(site))
    return ThreadingHTTPServer((host, port), handler)
