"""kpiwatch: is the operator keeping the service standard it promised, province by province?"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__version__ = "0.1.0"


def connect(home: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to the published warehouse, in Asia/Shanghai time.

    The same connection ``kpiwatch sql`` and the dashboard use (``core.readers``): it
    can write nothing, and reads files only in the folders an operator allows.

    >>> import kpiwatch
    >>> con = kpiwatch.connect()            # ./data, $KPIWATCH_HOME, or connect("DIR")
    >>> con.sql("select * from marts.kpi_compliance").pl()  # or .df(), or .arrow() (a reader)
    """
    from core.readers import connect as read_only

    return read_only(home)
