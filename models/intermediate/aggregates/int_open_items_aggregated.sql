-- Items open at each period end (int_open_items_aged) per period × city × KPI × segment:
-- how many, how many already beyond the case limit of the version judging the period, and
-- the oldest. Materialized: the compliance marts add it to each *_max KPI's completed items.
-- Incremental by period: an incremental build recomputes the affected months and days only.
{{
    config(
        materialized='incremental',
        incremental_strategy=replace_periods_strategy(),
        partition_by=partitioned_on_spark(['period_grain', 'period_start']),
        unique_key=['period_grain', 'period_start'],
        pre_hook="{{ forget_affected_periods('period_start', none) }}",
        on_schema_change='fail',
        meta={'changed_rows': {'period': 'period_start', 'grain': none}},
    )
}}

-- depends_on: {{ ref('int_periods_affected') }}

with

int_open_items_aged as (
    select * from {{ ref('int_open_items_aged') }}
    {% if is_incremental() -%}
        where {{ in_affected_periods('period_start', none) }}
    {%- endif %}
),

aggregated as (
    select
        period_grain,
        period_start,
        province_code,
        city_code,
        kpi_id,
        segment,
        case_limit,
        count(*) as item_count,
        count(*) filter (where is_beyond_limit) as beyond_count,
        max(age) as age_max
    from int_open_items_aged
    group by period_grain, period_start, province_code, city_code, kpi_id, segment, case_limit
)

select * from aggregated
