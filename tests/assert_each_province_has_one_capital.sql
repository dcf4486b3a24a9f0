-- Every province has exactly one capital, and it is one of its own cities: the dashboard
-- labels and the generator's capital-city weighting both pick "the" capital of a province.
{{ config(severity='error') }}

with provinces as (
    select * from {{ ref('provinces') }}
),

cities as (
    select * from {{ ref('cities') }}
),

capitals as (
    select
        provinces.province_code,
        count(cities.city_code) as capital_count
    from provinces
    left join cities
        on
            provinces.province_code = cities.province_code
            and cities.is_capital
    group by provinces.province_code
)

select *
from capitals
where capital_count <> 1
