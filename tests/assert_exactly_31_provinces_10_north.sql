-- The warehouse covers the 31 mainland province-level divisions and the operator splits them
-- into its northern ten and the rest: a missing or extra province, or a region typo, silently
-- changes every national figure and every north/south comparison.
{{ config(severity='error') }}

with provinces as (
    select * from {{ ref('provinces') }}
),

counts as (
    select
        count(*) as province_count,
        count(*) filter (where region = 'north') as north_count
    from provinces
)

select *
from counts
where province_count <> 31 or north_count <> 10
