-- The catalog versions this publication's periods were computed with: a copy of
-- int_kpi_versions_dated, kept in the publication so that the next incremental build can
-- compare the catalog it runs with against it (int_kpi_versions_changed). Built after
-- int_periods_affected, which reads the last build's copy before this build replaces it.
{{ config(materialized='table') }}

-- depends_on: {{ ref('int_periods_affected') }}
with

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

final as (
    select
        versions.kpi_id,
        versions.segment,
        versions.effective_from,
        versions.effective_until,
        versions.catalog_version,
        versions.source,
        versions.unit,
        versions.comparator,
        versions.threshold,
        versions.case_limit,
        versions.case_limit_unit
    from int_kpi_versions_dated as versions
)

select * from final
