"""The floor of kpiwatch: what every wing (ingest, quality, alerts, generator, dashboards,
reports) and the command line stand on.

The landing contract, the home folder, the one reader of ``kpiwatch.toml``, SQL quoting,
warehouse connections and the audit tables live here. Nothing in ``core`` imports a wing or
``kpiwatch``: a change above never breaks the floor (``pytests/test_layers.py`` checks it).
"""
