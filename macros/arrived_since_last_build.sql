{#-
    arrived_since_last_build: true for a row of a fact whose business key had a version in a
    file loaded after the last build (var built_through_file_id, set by kpiwatch build when
    it starts from the published warehouse; docs/incremental.md). Those keys are the only
    ones whose latest version can have changed: an older version arriving late may still
    lose, so the fact recomputes every such key from all its versions and replaces its row
    (delete+insert on the key). A key with a null part is never deduplicated, so only the
    rows of the new files are added for it. Use in the WHERE clause of an incremental fact;
    `source_table` is the raw table of landing, `key_columns` the fact's unique key.
-#}
{% macro arrived_since_last_build(source_table, key_columns) -%}
    {%- set through = var('built_through_file_id', none) -%}
    {%- if through is none -%}
        {{ exceptions.raise_compiler_error(
            "an incremental build needs var built_through_file_id (kpiwatch build sets it);"
            ~ " build with --full-refresh to start from nothing"
        ) }}
    {%- endif -%}
    (
        ({{ key_columns | join(', ') }}) in (
            select {{ key_columns | join(', ') }}
            from {{ source('landing', source_table) }}
            where ingest_file_id > {{ through | int }}
        )
        or (
            ingest_file_id > {{ through | int }}
            and ({{ key_columns | join(' is null or ') }} is null)
        )
    )
{%- endmacro %}

{#-
    incremental_on_duckdb: the materialization of a fact that is incremental on DuckDB; on
    Spark it stays a table until its insert_overwrite version lands (docs/incremental.md).
-#}
{% macro incremental_on_duckdb() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
