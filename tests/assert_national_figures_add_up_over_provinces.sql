-- National figures (province 100000) are computed over all events, never as an average of
-- provinces (docs/standard.md §2): for every KPI whose population is a set of cases, items or
-- counters, the nation's sample_size and breach_count are the sums over its provinces, by
-- month and by day. A mismatch means a province was dropped or counted twice, or the nation
-- was averaged. Dark hours are exempt: an hour is dark nationally only if no province
-- answered a call in it.
{{ config(severity='error') }}
{%- set keys = ['period_grain', 'period_start', 'kpi_id', 'segment'] %}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
),

kpi_compliance_daily as (
    select * from {{ ref('kpi_compliance_daily') }}
),

figures as (
    select
        'month' as period_grain,
        period_month as period_start,
        province_code,
        kpi_id,
        segment,
        sample_size,
        breach_count
    from kpi_compliance
    where kpi_id <> 'hotline_24x7_dark_hours'

    union all

    select
        'day' as period_grain,
        period_date as period_start,
        province_code,
        kpi_id,
        segment,
        sample_size,
        breach_count
    from kpi_compliance_daily
    where kpi_id <> 'hotline_24x7_dark_hours'
),

provinces as (
    select
        period_grain,
        period_start,
        kpi_id,
        segment,
        sum(sample_size) as sample_size,
        sum(breach_count) as breach_count
    from figures
    where province_code <> '{{ var("national_code") }}'
    group by period_grain, period_start, kpi_id, segment
),

nation as (
    select
        period_grain,
        period_start,
        kpi_id,
        segment,
        sample_size,
        breach_count
    from figures
    where province_code = '{{ var("national_code") }}'
)

select
    {{ either_side('nation', 'provinces', keys) }},
    nation.sample_size as national_sample_size,
    provinces.sample_size as provinces_sample_size,
    nation.breach_count as national_breach_count,
    provinces.breach_count as provinces_breach_count
from nation
full outer join provinces
    on {{ matching('nation', 'provinces', keys) }}
where
    nation.sample_size is distinct from provinces.sample_size
    or nation.breach_count is distinct from provinces.breach_count
