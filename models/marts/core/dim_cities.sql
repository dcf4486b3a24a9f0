with

cities as (
    select * from {{ ref('cities') }}
),

final as (
    select
        city_code,
        province_code,
        name_zh,
        name_en,
        longitude,
        latitude,
        is_capital
    from cities
)

select * from final
