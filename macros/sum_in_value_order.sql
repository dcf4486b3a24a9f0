{#-
    sum_in_value_order: the sum of a double, added in ascending order of its values. A plain
    sum of doubles depends on the order in which the rows come (and, at scale, on how the
    threads split them); an incremental build stores the same rows as a full rebuild in
    another physical order, so its sums could differ in their last bits
    (docs/incremental.md). Added in value order, the result depends only on the values.
    On Spark, whose facts are rebuilt whole, it is a plain sum for now.
-#}
{% macro sum_in_value_order(expression) -%}
    {%- if target.type == 'spark' -%}
        sum({{ expression }})
    {%- else -%}
        sum({{ expression }} order by {{ expression }})
    {%- endif -%}
{%- endmacro %}
