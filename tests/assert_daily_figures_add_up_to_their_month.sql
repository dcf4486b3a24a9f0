-- A ticket, call, counter or completed item is attributed to one local day and that day's
-- month, so for every KPI but the maxima (whose open items are counted again at each day's
-- end) and dark hours, a month's sample_size is the sum of its days'. So is breach_count,
-- whenever every day was judged by the same catalog version as the month. A mismatch means
-- days and months disagree on the time zone or on which events count.
{{ config(severity='error') }}
{%- set keys = ['period_month', 'province_code', 'kpi_id', 'segment'] %}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
    where right(kpi_id, 4) <> '_max' and kpi_id <> 'hotline_24x7_dark_hours'
),

kpi_compliance_daily as (
    select * from {{ ref('kpi_compliance_daily') }}
    where right(kpi_id, 4) <> '_max' and kpi_id <> 'hotline_24x7_dark_hours'
),

days as (
    select
        cast(date_trunc('month', period_date) as date) as period_month,
        province_code,
        kpi_id,
        segment,
        sum(sample_size) as sample_size,
        sum(breach_count) as breach_count,
        count(distinct catalog_version) as catalog_version_count,
        min(catalog_version) as catalog_version
    from kpi_compliance_daily
    group by date_trunc('month', period_date), province_code, kpi_id, segment
)

select
    {{ either_side('kpi_compliance', 'days', keys) }},
    kpi_compliance.sample_size as month_sample_size,
    days.sample_size as days_sample_size,
    kpi_compliance.breach_count as month_breach_count,
    days.breach_count as days_breach_count
from kpi_compliance
full outer join days
    on {{ matching('kpi_compliance', 'days', keys) }}
where
    kpi_compliance.sample_size is distinct from days.sample_size
    or (
        days.catalog_version_count = 1
        and days.catalog_version = kpi_compliance.catalog_version
        and kpi_compliance.breach_count is distinct from days.breach_count
    )
