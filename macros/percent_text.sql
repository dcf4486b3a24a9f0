{#- A share (0.42) as the text of a whole percentage (42), for labels written in SQL. -#}
{% macro percent_text(share) -%}
    cast(cast(round({{ share }} * 100, 0) as bigint) as string)
{%- endmacro %}
