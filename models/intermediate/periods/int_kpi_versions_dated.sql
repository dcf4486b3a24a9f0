-- The catalog versions that judge something: one row per kpi_id × segment × version with
-- its inclusive validity range closed (an open end reads as far in the future). A period is
-- judged by the version in force on its first day.
with

kpi_catalog as (
    select * from {{ ref('kpi_catalog') }}
),

dated as (
    select
        kpi_id,
        segment,
        effective_from,
        coalesce(effective_to, date '9999-12-31') as effective_until,
        catalog_version,
        source,
        unit,
        comparator,
        threshold,
        case_limit,
        case_limit_unit
    from kpi_catalog
    where not is_information_only
)

select * from dated
