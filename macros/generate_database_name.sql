{#- Where each model is written. On DuckDB, the tables that readers use (marts and the
    intermediate aggregates) go to `publication`, a fresh file the build attaches and then
    publishes whole by renaming it (kpiwatch/build.py): raw, staging and the seeds stay in
    the working warehouse, which readers never open. Spark has no databases apart from
    schemas, so there every model stays in the target's. -#}
{% macro generate_database_name(custom_database_name, node) -%}
    {%- if custom_database_name is none or target.type != 'duckdb' -%}
        {{ target.database }}
    {%- else -%}
        {{ custom_database_name | trim }}
    {%- endif -%}
{%- endmacro %}
