{#-
    An import CTE's body for a model built by periods (incremental_by_period): the rows of
    `model` an incremental build needs, those whose `period` column (of `grain`, day or month)
    is an affected period (in_affected_periods); every row in a full build. `where` is a
    condition the rows must meet in either build.
-#}
{% macro rows_in_affected_periods(model, period, grain, where=none) -%}
    {%- set conditions = [where] if where else [] -%}
    {%- if is_incremental() -%}
        {%- do conditions.append(in_affected_periods(period, grain)) -%}
    {%- endif -%}
    select * from {{ ref(model) }}
    {%- if conditions %}
    where {{ conditions | join(' and ') }}
    {%- endif %}
{%- endmacro %}
