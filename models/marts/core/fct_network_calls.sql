{{ incremental_by_key('network_calls', ['stat_hour', 'city_code', 'network']) }}

-- Each city-hour counter with the local month and day its hour belongs to (stat_hour).
with

stg_landing__network_calls as (
    select * from {{ ref('stg_landing__network_calls') }}
),

final as (
    select
        stat_hour,
        province_code,
        city_code,
        network,
        attempts,
        connected,
        {{ local_month('stat_hour') }} as stat_month,
        {{ local_date('stat_hour') }} as stat_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__network_calls
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('network_calls', ['stat_hour', 'city_code', 'network']) }}
{% endif %}
