-- kpi_breach_cases lists the cases behind every breach_count a dashboard shows: per month,
-- province and KPI (and over all provinces for the nation) the listed cases must be exactly
-- as many as the count. Connection rates have no cases and dark hours are hours, not cases.
{{ config(severity='error') }}
{%- set keys = ['period_month', 'province_code', 'kpi_id', 'segment'] %}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
    where breach_count is not null and kpi_id <> 'hotline_24x7_dark_hours'
),

kpi_breach_cases as (
    select * from {{ ref('kpi_breach_cases') }}
),

listed as (
    select
        period_month,
        province_code,
        kpi_id,
        segment,
        count(*) as case_count
    from kpi_breach_cases
    group by period_month, province_code, kpi_id, segment

    union all

    select
        period_month,
        '{{ var("national_code") }}' as province_code,
        kpi_id,
        segment,
        count(*) as case_count
    from kpi_breach_cases
    group by period_month, kpi_id, segment
)

select
    {{ either_side('kpi_compliance', 'listed', keys) }},
    kpi_compliance.breach_count,
    listed.case_count
from kpi_compliance
full outer join listed
    on {{ matching('kpi_compliance', 'listed', keys) }}
where coalesce(kpi_compliance.breach_count, 0) <> coalesce(listed.case_count, 0)
