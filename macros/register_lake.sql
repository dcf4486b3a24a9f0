{#-
    register_lake (on-run-start): on Spark, the raw layer is the Parquet lake that
    `kpiwatch ingest --lake` writes (var lake_path):
        <lake>/raw/<source>/event_date=YYYY-MM-DD/*.parquet
        <lake>/audit/ingest_files/*.parquet
    Each folder becomes a view in schema raw or audit, under the names the sources declare,
    so staging reads the same relations on both engines. A view lists the folder when it is
    queried: partitions written since the last build need no repair step. On DuckDB, ingest
    writes raw and audit itself and this does nothing.
-#}
{% macro register_lake() -%}
    {{ return(adapter.dispatch('register_lake', 'kpiwatch')()) }}
{%- endmacro %}

{% macro default__register_lake() -%}
    select 1
{%- endmacro %}

{% macro spark__register_lake() -%}
    {%- if execute -%}
        {%- set lake = var('lake_path').rstrip('/') -%}
        {%- for source_name in ['landing', 'audit'] -%}
            {%- for node in graph.sources.values()
                if node.package_name == project_name and node.source_name == source_name -%}
                {%- set folder = 'raw' if source_name == 'landing' else 'audit' -%}
                {%- do run_query('create schema if not exists ' ~ node.schema) -%}
                {%- do run_query(
                    'create or replace view ' ~ node.schema ~ '.' ~ node.name
                    ~ ' as select * from parquet.`' ~ lake ~ '/' ~ folder ~ '/' ~ node.name ~ '`'
                ) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
