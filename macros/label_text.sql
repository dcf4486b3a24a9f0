{#- Labels written in SQL, for marts that publish a sentence beside their figures. -#}

{#- A share (0.42) as the text of a whole percentage (42). -#}
{% macro percent_text(share) -%}
    cast(cast(round({{ share }} * 100, 0) as bigint) as string)
{%- endmacro %}

{#- The label of each value of `column` in `labels` (value: label), `otherwise` (SQL) for any
    other value. -#}
{% macro label_of(column, labels, otherwise) -%}
    {%- set whens -%}
        {%- for value, label in labels.items() %} when '{{ value }}' then '{{ label }}'{% endfor -%}
    {%- endset -%}
    case {{ column }}{{ whens }} else {{ otherwise }} end
{%- endmacro %}
