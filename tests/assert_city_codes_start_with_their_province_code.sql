-- A city_code's first two digits are its province's (GB/T 2260), and ingest quarantines rows
-- where they differ: a city filed under the wrong province would reject all its own events.
{{ config(severity='error') }}

with cities as (
    select * from {{ ref('cities') }}
)

select
    city_code,
    province_code
from cities
where left(city_code, 2) || '0000' <> province_code
