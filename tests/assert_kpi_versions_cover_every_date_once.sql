-- Every KPI with a target (kpi_id + segment) must have exactly one catalog row in force on any
-- day from 2009-01-01 on: with none its value cannot be judged, with two the verdict depends
-- on join order. Coverage only changes where a version starts or the day after one ends, so
-- checking those days (and 2009-01-01) checks every day.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
    where not is_information_only
),

kpis as (
    select distinct
        kpi_id,
        segment
    from catalog
),

boundaries as (
    select date '2009-01-01' as checked_on
    union
    select effective_from from catalog
    union
    select effective_to + 1 from catalog
    where effective_to is not null
),

checks as (
    select
        kpis.kpi_id,
        kpis.segment,
        boundaries.checked_on
    from kpis
    cross join boundaries
    where boundaries.checked_on >= date '2009-01-01'
),

in_force as (
    select
        checks.kpi_id,
        checks.segment,
        checks.checked_on,
        count(catalog.kpi_id) as versions_in_force
    from checks
    left join catalog
        on
            checks.kpi_id = catalog.kpi_id
            and checks.segment = catalog.segment
            and checks.checked_on >= catalog.effective_from
            and (catalog.effective_to is null or checks.checked_on <= catalog.effective_to)
    group by checks.kpi_id, checks.segment, checks.checked_on
)

select *
from in_force
where versions_in_force <> 1
