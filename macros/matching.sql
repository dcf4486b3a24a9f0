{#- A join condition: `left` and `right` agree on every one of `columns`. -#}
{% macro matching(left, right, columns) -%}
    {%- for column in columns %}
        {{ 'and ' if not loop.first }}{{ left }}.{{ column }} = {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}

{#- A full outer join's key columns, from whichever side has the row. -#}
{% macro either_side(left, right, columns) -%}
    {%- for column in columns -%}
        coalesce({{ left }}.{{ column }}, {{ right }}.{{ column }}) as {{ column }}
        {{- ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
