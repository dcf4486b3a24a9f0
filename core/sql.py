"""Quoting for the few SQL statements that take no parameters (ATTACH, COPY TO, COMMENT ON,
DDL built from the contract): the one place kpiwatch spells an identifier or a string
literal, so every statement escapes the same way.

Everything else passes values as parameters (``con.execute(sql, [value])``).
"""

from __future__ import annotations


def quote(name: str) -> str:
    """``name`` as a SQL identifier: double-quoted, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal: single-quoted, inner quotes doubled."""
    return "'" + text.replace("'", "''") + "'"
