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
    )
}}

-- depends_on: {{ ref('int_periods_affected') }}
with

int_kpi_measures_aggregated as (
    select * from {{ ref('int_kpi_measures_aggregated') }}
    where
        city_code is not null
        {% if is_incremental() -%}
            and {{ in_affected_periods('period_month', 'month') }}
        {%- endif %}
),

int_open_items_aggregated as (
    select * from {{ ref('int_open_items_aggregated') }}
    where
        period_grain = 'month'
        {% if is_incremental() -%}
            and {{ in_affected_periods('period_start', 'month') }}
        {%- endif %}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

measure_parts as (
    select
        period_month,
        province_code,
        city_code,
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
        period_start as period_month,
        province_code,
        city_code,
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
        period_month,
        province_code,
        city_code,
        kpi_id,
        segment,
        measure,
        case_limit,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count,
        {{ sum_in_value_order('value_sum') }} as value_sum,
        max(value_max) as value_max
    from measure_parts
    group by period_month, province_code, city_code, kpi_id, segment, measure, case_limit
),

{{ judged_ctes('measures', ['period_month', 'province_code', 'city_code']) }}

select * from final
