{#-
    arrived_since_last_build: true for a row of a fact whose business key had a version in a
    file loaded after the last build (built_through_file_id(), below; docs/incremental.md). Those keys are the only
    ones whose latest version can have changed: an older version arriving late may still
    lose, so the fact recomputes every such key from all its versions and replaces its row
    (delete+insert on the key). A key with a null part is never deduplicated, so only the
    rows of the new files are added for it. Use in the WHERE clause of an incremental fact;
    `source_table` is the raw table of landing, `key_columns` the fact's unique key.
-#}
{% macro arrived_since_last_build(source_table, key_columns) -%}
    {{ keys_arrived_since(source('landing', source_table), key_columns, built_through_file_id()) }}
{%- endmacro %}

{#-
    incremental_by_key: the configuration of a fact of the landing source `source_table`,
    written once for the six: incremental on DuckDB by its business key `unique_key` (the
    fact selects the keys that arrived, arrived_since_last_build above, and delete+insert
    replaces their rows), a table on Spark (incremental_on_duckdb below), failing on a
    schema change (a changed model rebuilds everything anyway), and meta.changed_rows naming
    the raw table whose arrivals rewrite its rows (the fact's tests read only those rows,
    macros/tests/get_where_subquery.sql). Called at the top of the fact's model.
-#}
{% macro incremental_by_key(source_table, unique_key) -%}
    {{ config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key=unique_key,
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': source_table}},
    ) }}
    -- depends_on: {{ source('landing', source_table) }}
{%- endmacro %}

{#-
    incremental_on_duckdb: the materialization of a fact that is incremental on DuckDB (by
    business key). On Spark a fact stays a table, rebuilt whole: Parquet tables take no
    delete+insert on a key (docs/spark.md); the aggregates and marts downstream of it are
    incremental by period on both engines (macros/affected_periods.sql).
-#}
{% macro incremental_on_duckdb() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#-
    built_through_file_id: the greatest audit.ingest_files.file_id that the warehouse being
    updated was built from. kpiwatch build records it in that warehouse when a build passes
    (intermediate.build_basis, kpiwatch/build_basis.py), so an incremental build reads it
    there when it runs. It is not a --vars value: a var that changes at every build would
    make dbt parse the whole project again each time (partial parsing compares the vars).
    The var built_through_file_id, when given, overrides it (a build run by hand, a unit
    test); a warehouse without a basis counts every file as new. On Spark, whose tables
    hold no basis, `kpiwatch build --engine spark` passes it as this var (kpiwatch/spark.py).
-#}
{% macro built_through_file_id() -%}
    {%- set through = var('built_through_file_id', none) -%}
    {%- if through is none and execute and target.type != 'spark' -%}
        {%- set basis = adapter.get_relation(
            database='publication', schema='intermediate', identifier='build_basis'
        ) -%}
        {%- if basis is none -%}
            {#- a warehouse that records no basis: every file counts as new, which
                recomputes every key (correct, only slower) -#}
            {%- set through = 0 -%}
        {%- else -%}
            {%- set through = run_query(
                "select built_through_file_id from " ~ basis
            ).columns[0].values()[0] -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(through | int if through is not none else 0) }}
{%- endmacro %}

{#-
    where_arrived_for_fact: in a staging model, the WHERE clause that keeps only the raw
    versions of the keys that arrived since the last build, when the fact `fact` that reads
    it is about to be updated incrementally (it exists in the publication and no
    --full-refresh was asked); else nothing. Filtering before staging ranks the versions
    (a semi-join before the window) makes an incremental fact cost what the new files
    cost, not a ranking of every raw row; the fact keeps its own filter, so it stays right
    whatever staging gives it. Staging views are rebuilt at every build, so the filter
    holds only for the build that created them (docs/incremental.md). Not in unit tests,
    whose rows are fixed.
-#}
{% macro where_arrived_for_fact(fact, source_table, key_columns) -%}
    {%- if execute and target.type != 'spark' and not flags.FULL_REFRESH
        and model.resource_type != 'unit_test' -%}
        {%- set published = adapter.get_relation(
            database='publication', schema='marts', identifier=fact
        ) -%}
        {%- if published is not none -%}
            {%- set raw = source('landing', source_table) %}
            where {{ rows_whose_keys_arrived(raw, raw, key_columns, built_through_file_id()) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
