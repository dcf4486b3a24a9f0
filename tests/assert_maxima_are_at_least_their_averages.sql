-- A *_max KPI's population holds every item of its *_avg sibling (the items completed in the
-- period) plus the open ones, so in any month, province and segment where both are published
-- the maximum is at least the average. Failing this means the two populations drifted apart
-- (a filter applied to one and not the other).
{{ config(severity='error') }}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
),

averages as (
    select * from kpi_compliance
    where right(kpi_id, 4) = '_avg'
),

maxima as (
    select * from kpi_compliance
    where right(kpi_id, 4) = '_max'
)

select
    averages.period_month,
    averages.province_code,
    averages.kpi_id,
    averages.segment,
    averages.value as average_value,
    maxima.value as maximum_value
from averages
left join maxima
    on
        averages.period_month = maxima.period_month
        and averages.province_code = maxima.province_code
        and maxima.kpi_id = substr(averages.kpi_id, 1, length(averages.kpi_id) - 4) || '_max'
        and averages.segment = maxima.segment
where maxima.kpi_id is null or maxima.value < averages.value
