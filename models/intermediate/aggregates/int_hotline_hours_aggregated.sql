-- Hotline traffic per province and local clock hour: calls queued for a human agent and how
-- many of them were answered at all. An hour with calls and no answer is a dark hour of the
-- 7×24 commitment (hotline_24x7_dark_hours). Materialized: two marts read it. Incremental by
-- day: an incremental build recomputes the affected days only (int_periods_affected).
{{ incremental_by_period('period_date', 'day') }}

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
