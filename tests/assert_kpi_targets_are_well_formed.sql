-- A KPI row with a target needs a source, a unit, a comparator and a threshold, and the
-- comparator must point the right way for its unit (shares are floors, durations and counts
-- are ceilings); an information-only row must have no target at all, or a dashboard would
-- judge a commitment the standard never quantified.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
),

problems as (
    select
        kpi_id,
        segment,
        effective_from,
        case
            when is_information_only and (comparator is not null or threshold is not null)
                then 'information-only row has a target'
            when is_information_only and case_limit is not null
                then 'information-only row has a case limit'
            when not is_information_only and (comparator is null or threshold is null)
                then 'target row lacks comparator or threshold'
            when not is_information_only and (source is null or unit is null)
                then 'target row lacks source or unit'
            when unit = 'share' and comparator <> '>='
                then 'a share must be a floor (>=)'
            when unit in ('hours', 'days', 'hours_count') and comparator <> '<='
                then 'a duration or count must be a ceiling (<=)'
        end as problem
    from catalog
)

select *
from problems
where problem is not null
