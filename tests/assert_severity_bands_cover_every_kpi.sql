-- Every measured indicator of the catalog has a default severity band, and no band makes a
-- breach critical before it is major: a KPI without a band would publish breaches with no
-- severity (marts.kpi_breaches refuses them), a reversed band would skip "major".
{{ config(severity='error') }}

with catalog as (
    select distinct kpi_id from {{ ref('kpi_catalog') }}
    where not is_information_only
),

bands as (
    select * from {{ ref('default_severity_bands') }}
),

unbanded as (
    select
        catalog.kpi_id,
        'no row in default_severity_bands' as problem
    from catalog
    left join bands on catalog.kpi_id = bands.kpi_id
    where bands.kpi_id is null
),

reversed as (
    select
        kpi_id,
        'critical_shortfall is below major_shortfall' as problem
    from bands
    where critical_shortfall < major_shortfall
)

select * from unbanded
union all
select * from reversed
