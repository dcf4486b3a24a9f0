"""Great Expectations, imported without PySpark's warning about pandas.

GX imports PySpark when it is installed (``kpiwatch build --engine spark`` needs it), and
PySpark warns at import that it "does not yet fully support pandas >= 3.0.0": a
FutureWarning printed into every DuckDB-only ``kpiwatch run``, about an engine that run
never starts. Only that warning, and only while GX is imported, is silenced; the Spark
engine imports PySpark itself and still says it.
"""

from __future__ import annotations

import warnings
from types import ModuleType

PYSPARK_PANDAS = r"PySpark does not yet fully support pandas"


def great_expectations() -> ModuleType:
    """The ``great_expectations`` module (5 s to import the first time)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PYSPARK_PANDAS, category=FutureWarning)
        import great_expectations

    return great_expectations
