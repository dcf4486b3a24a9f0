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
    )
}}

-- depends_on: {{ ref('int_periods_affected') }}
with

int_kpi_measures_aggregated as (
    select * from {{ ref('int_kpi_measures_aggregated') }}
    {% if is_incremental() -%}
        where {{ in_affected_periods('period_date', 'day') }}
    {%- endif %}
),

int_open_items_aggregated as (
    select * from {{ ref('int_open_items_aggregated') }}
    where
        period_grain = 'day'
        {% if is_incremental() -%}
            and {{ in_affected_periods('period_start', 'day') }}
        {%- endif %}
),

int_hotline_hours_aggregated as (
    select * from {{ ref('int_hotline_hours_aggregated') }}
    {% if is_incremental() -%}
        where {{ in_affected_periods('period_date', 'day') }}
    {%- endif %}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

measure_parts as (
    select
        period_date,
        province_code,
        kpi_id,
        segment,
        measure,
        case_limit,
        sample_size,
        beyond_count,
        value_sum,
        value_max
    from int_kpi_measures_aggregated

    union all

    select
        period_start as period_date,
        province_code,
        kpi_id,
        segment,
        'max' as measure,
        case_limit,
        item_count as sample_size,
        beyond_count,
        null as value_sum,
        age_max as value_max
    from int_open_items_aggregated
),

measures as (
    select
        period_date,
        if(
            grouping(province_code) = 1, '{{ var("national_code") }}', province_code
        ) as province_code,
        kpi_id,
        segment,
        measure,
        case_limit,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count,
        {{ sum_in_value_order('value_sum') }} as value_sum,
        max(value_max) as value_max
    from measure_parts
    group by grouping sets (
        (period_date, province_code, kpi_id, segment, measure, case_limit),
        (period_date, kpi_id, segment, measure, case_limit)
    )
),

hotline_hours as (
    select
        period_date,
        province_code,
        hour_at,
        call_count,
        answered_count
    from int_hotline_hours_aggregated

    union all

    select
        period_date,
        '{{ var("national_code") }}' as province_code,
        hour_at,
        sum(call_count) as call_count,
        sum(answered_count) as answered_count
    from int_hotline_hours_aggregated
    group by period_date, hour_at
),

dark_hours as (
    select
        period_date,
        province_code,
        'hotline_24x7_dark_hours' as kpi_id,
        'all' as segment,
        'count' as measure,
        null as case_limit,
        count(*) filter (where call_count > 0) as sample_size,
        count(*) filter (where call_count > 0 and answered_count = 0) as beyond_count,
        null as value_sum,
        null as value_max
    from hotline_hours
    group by period_date, province_code
),

all_measures as (
    select * from measures
    union all
    select * from dark_hours
),

{{ judged_ctes('all_measures', ['period_date', 'province_code']) }}

select * from final
