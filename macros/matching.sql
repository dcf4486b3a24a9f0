{#- A join condition: `left` and `right` agree on every one of `columns`. -#}
{% macro matching(left, right, columns) -%}
    {%- for column in columns %}
        {{ 'and ' if not loop.first }}{{ left }}.{{ column }} = {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
