-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator with a city in its source per local calendar month × prefecture-level
-- city × segment, judged by the catalog version in force on the month's first day. Hotline
-- calls carry no city: their KPIs are published per province only.
{{
    config(
        materialized='incremental',
        incremental_strategy=replace_periods_strategy(),
        partition_by=partitioned_on_spark('period_month'),
        unique_key='period_month',
        pre_hook="{{ forget_affected_periods('period_month', 'month') }}",
        on_schema_change='fail',
        meta={'changed_rows': {'period': 'period_month', 'grain': 'month'}},
    )
}}

-- depends_on: {{ ref('int_periods_affected') }}
with

{{ kpi_measure_ctes('period_month', 'month', by_city=true) }},

{{ judged_ctes('all_measures', ['period_month', 'province_code', 'city_code']) }}

select * from final
