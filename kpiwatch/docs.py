"""dbt's documentation site, generated from the warehouses and served locally.

``dbt docs generate`` reads the catalog (tables, columns, descriptions) and the lineage
from raw files to each KPI; the site is static (``index.html`` bundles everything), so
serving ``<home>/dbt/target`` on localhost needs no network.
"""

from __future__ import annotations

from pathlib import Path

from core.home import Home
from core.warehouse import exclusive
from kpiwatch.build import BuildError, run_dbt

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
