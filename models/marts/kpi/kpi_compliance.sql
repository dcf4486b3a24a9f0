-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator of the standard per local calendar month × province (and the nation,
-- 100000, computed over all events) × segment, judged by the catalog version in force on
-- the month's first day.
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

{{ kpi_measure_ctes('period_month', 'month') }},

{{ judged_ctes('all_measures', ['period_month', 'province_code']) }}

select * from final
