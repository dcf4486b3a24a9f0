-- Every event of a source that carries a city belongs to exactly one city of its province,
-- so a province's monthly sample_size and breach_count are the sums of its cities' (hotline
-- KPIs excepted: calls carry no city). A mismatch means events lost or duplicated between
-- the city and the province marts, which dashboards put side by side.
{{ config(severity='error') }}
{%- set keys = ['period_month', 'province_code', 'kpi_id', 'segment'] %}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
    where
        province_code <> '{{ var("national_code") }}'
        and left(kpi_id, 8) <> 'hotline_'
),

kpi_compliance_city as (
    select * from {{ ref('kpi_compliance_city') }}
),

cities as (
    select
        period_month,
        province_code,
        kpi_id,
        segment,
        sum(sample_size) as sample_size,
        sum(breach_count) as breach_count
    from kpi_compliance_city
    group by period_month, province_code, kpi_id, segment
)

select
    {{ either_side('kpi_compliance', 'cities', keys) }},
    kpi_compliance.sample_size as province_sample_size,
    cities.sample_size as cities_sample_size,
    kpi_compliance.breach_count as province_breach_count,
    cities.breach_count as cities_breach_count
from kpi_compliance
full outer join cities
    on {{ matching('kpi_compliance', 'cities', keys) }}
where
    kpi_compliance.sample_size is distinct from cities.sample_size
    or kpi_compliance.breach_count is distinct from cities.breach_count
