{#-
    The configuration of a model built by periods (docs/incremental.md): an incremental build
    deletes the affected periods (int_periods_affected, forget_affected_periods) and inserts
    them again, keeping the others; a full build writes every period. `period` is the model's
    period column, `grain` its grain (day or month). Written once for every such model, so
    they are replaced, partitioned and reported (meta.changed_rows) alike.
-#}
{% macro incremental_by_period(period, grain) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=replace_periods_strategy(),
        partition_by=partitioned_on_spark(period),
        unique_key=period,
        pre_hook="{{ forget_affected_periods('" ~ period ~ "', '" ~ grain ~ "') }}",
        on_schema_change='fail',
        meta={'changed_rows': {'period': period, 'grain': grain}},
    ) }}
    -- depends_on: {{ ref('int_periods_affected') }}
{%- endmacro %}
