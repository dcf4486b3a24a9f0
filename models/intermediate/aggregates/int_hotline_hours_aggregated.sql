-- Hotline traffic per province and local clock hour: calls queued for a human agent and how
-- many of them were answered at all. An hour with calls and no answer is a dark hour of the
-- 7×24 commitment (hotline_24x7_dark_hours). Materialized: two marts read it. Incremental by
-- day: an incremental build recomputes the affected days only (int_periods_affected).
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

fct_hotline_calls as (
    select * from {{ ref('fct_hotline_calls') }}
),

hours as (
    select
        queued_month as period_month,
        queued_date as period_date,
        queued_hour_at as hour_at,
        province_code,
        count(*) as call_count,
        count(*) filter (where is_answered) as answered_count
    from fct_hotline_calls
    {% if is_incremental() -%}
        where {{ in_affected_periods('queued_date', 'day') }}
    {%- endif %}
    group by queued_month, queued_date, queued_hour_at, province_code
)

select * from hours
