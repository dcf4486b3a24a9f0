-- A period is judged by the catalog version in force on its first day (a month's first day,
-- or the day itself): a row judged by another version shows a threshold the operator had
-- not set then, e.g. July 2026 judged against the 0.90 that ended on 30 June.
{{ config(severity='error') }}

with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
),

kpi_compliance_city as (
    select * from {{ ref('kpi_compliance_city') }}
),

kpi_compliance_daily as (
    select * from {{ ref('kpi_compliance_daily') }}
),

dim_kpi_catalog as (
    select * from {{ ref('dim_kpi_catalog') }}
),

judged as (
    select
        'kpi_compliance' as mart,
        period_month as period_start,
        kpi_id,
        segment,
        threshold,
        comparator,
        catalog_version
    from kpi_compliance

    union all

    select
        'kpi_compliance_city' as mart,
        period_month as period_start,
        kpi_id,
        segment,
        threshold,
        comparator,
        catalog_version
    from kpi_compliance_city

    union all

    select
        'kpi_compliance_daily' as mart,
        period_date as period_start,
        kpi_id,
        segment,
        threshold,
        comparator,
        catalog_version
    from kpi_compliance_daily
)

select
    judged.mart,
    judged.period_start,
    judged.kpi_id,
    judged.segment,
    judged.catalog_version as judged_by,
    in_force.catalog_version as in_force
from judged
left join dim_kpi_catalog as in_force
    on
        judged.kpi_id = in_force.kpi_id
        and judged.segment = in_force.segment
        and judged.period_start >= in_force.effective_from
        and (in_force.effective_to is null or judged.period_start <= in_force.effective_to)
        and not in_force.is_information_only
where
    in_force.kpi_id is null
    or judged.catalog_version <> in_force.catalog_version
    or judged.threshold <> in_force.threshold
    or judged.comparator <> in_force.comparator
