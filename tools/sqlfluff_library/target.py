"""Stand-in for dbt's ``target`` when sqlfluff renders models: the default, DuckDB."""

type = "duckdb"
