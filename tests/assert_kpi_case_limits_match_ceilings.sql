-- breach_count is published beside each KPI from case_limit: for a *_max KPI the ceiling is
-- the threshold itself, for a *_avg KPI it is the ceiling of its *_max sibling in force on
-- the same day, and a share's per-case limit is in seconds. A case limit that drifted from
-- its ceiling would count breaches against a different number than the one shown.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
),

averages as (
    select * from catalog
    where right(kpi_id, 4) = '_avg'
),

maxima as (
    select * from catalog
    where right(kpi_id, 4) = '_max'
),

average_problems as (
    select
        averages.kpi_id,
        averages.segment,
        averages.effective_from,
        'case_limit differs from the *_max ceiling' as problem
    from averages
    left join maxima
        on
            maxima.kpi_id = substr(averages.kpi_id, 1, length(averages.kpi_id) - 4) || '_max'
            and averages.segment = maxima.segment
            and averages.effective_from >= maxima.effective_from
            and (maxima.effective_to is null or averages.effective_from <= maxima.effective_to)
    where
        maxima.kpi_id is null
        or averages.case_limit is distinct from maxima.threshold
        or averages.case_limit_unit is distinct from maxima.case_limit_unit
),

other_problems as (
    select
        kpi_id,
        segment,
        effective_from,
        case
            when right(kpi_id, 4) = '_max' and (case_limit is null or case_limit <> threshold)
                then 'a *_max case_limit must equal its threshold'
            when unit in ('hours', 'days') and (case_limit_unit is null or case_limit_unit <> unit)
                then 'a duration case_limit must be in the unit of the value'
            when unit = 'share' and case_limit is not null and case_limit_unit <> 'seconds'
                then 'a share case_limit must be in seconds'
            when (case_limit is null) <> (case_limit_unit is null)
                then 'case_limit and case_limit_unit must be both present or both empty'
        end as problem
    from catalog
)

select * from average_problems
union all
select * from other_problems
where problem is not null
