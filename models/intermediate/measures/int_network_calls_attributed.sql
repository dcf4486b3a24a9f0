-- Each city-hour counter with the local month and day its hour belongs to (stat_hour).
with

stg_landing__network_calls as (
    select * from {{ ref('stg_landing__network_calls') }}
),

attributed as (
    select
        stat_hour,
        province_code,
        city_code,
        network,
        attempts,
        connected,
        updated_at,
        ingest_file_id,
        source_row_number,
        {{ local_month('stat_hour') }} as stat_month,
        {{ local_date('stat_hour') }} as stat_date
    from stg_landing__network_calls
)

select * from attributed
