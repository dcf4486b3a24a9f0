-- The 31 provinces plus the nation (100000), so every province_code a KPI mart publishes
-- has a row here.
with

provinces as (
    select * from {{ ref('provinces') }}
),

nation as (
    select
        '{{ var("national_code") }}' as province_code,
        '全国' as name_zh,
        'China (national)' as name_en,
        '全国' as short_name_zh,
        cast(null as string) as region,
        sum(population_2020) as population_2020,
        sum(population_2020 * urban_share_2020) / sum(population_2020) as urban_share_2020,
        true as is_national
    from provinces
),

provinces_and_nation as (
    select
        *,
        false as is_national
    from provinces
    union all
    select * from nation
),

final as (
    select
        province_code,
        name_zh,
        name_en,
        short_name_zh,
        region,
        cast(population_2020 as bigint) as population_2020,
        urban_share_2020,
        is_national
    from provinces_and_nation
)

select * from final
