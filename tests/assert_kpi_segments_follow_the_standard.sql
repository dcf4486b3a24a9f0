-- docs/standard.md publishes the broadband repair KPIs per urban and rural only (their thresholds
-- differ) and every other KPI as `all`: a stray segment would publish a second, unjudged
-- series, and a missing urban or rural row would leave half the broadband tickets unjudged.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
),

kpis as (
    select
        kpi_id,
        kpi_id in ('broadband_repair_hours_avg', 'broadband_repair_hours_max') as is_broadband,
        count(distinct segment) as segment_count,
        min(segment) as first_segment,
        max(segment) as last_segment
    from catalog
    group by kpi_id
)

select *
from kpis
where
    (
        is_broadband
        and not (segment_count = 2 and first_segment = 'rural' and last_segment = 'urban')
    )
    or (not is_broadband and not (segment_count = 1 and first_segment = 'all'))
