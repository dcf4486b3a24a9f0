"""Stand-in for dbt's ``graph`` when sqlfluff renders macros and tests: no nodes, no sources."""

nodes: dict = {}
sources: dict = {}
