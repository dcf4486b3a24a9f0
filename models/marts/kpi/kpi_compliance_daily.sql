-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator of the standard per local calendar day × province (and the nation,
-- 100000) × segment, judged by the catalog version in force on that day. A *_max KPI's
-- population is the items completed that day plus those open at the day's end (or at the
-- source's as-of time while the day is still running).
{{
    config(
        materialized='incremental',
        incremental_strategy=replace_periods_strategy(),
        partition_by=partitioned_on_spark('period_date'),
        unique_key='period_date',
        pre_hook="{{ forget_affected_periods('period_date', 'day') }}",
        on_schema_change='fail',
        meta={'changed_rows': {'period': 'period_date', 'grain': 'day'}},
    )
}}

-- depends_on: {{ ref('int_periods_affected') }}
with

{{ kpi_measure_ctes('period_date', 'day') }},

{{ judged_ctes('all_measures', ['period_date', 'province_code']) }}

select * from final
