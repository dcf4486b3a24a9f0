{#-
    pii_column_names: names of the columns tagged `pii` on any model or source of the
    project (e.g. caller_hash), for tests that keep personal data out of the marts.
    Empty while dbt is only parsing.
-#}
{% macro pii_column_names() -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | list + graph.sources.values() | list -%}
            {%- for column in node.columns.values() -%}
                {%- if 'pii' in column.tags and column.name not in names -%}
                    {%- do names.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}
