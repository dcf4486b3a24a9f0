with

int_network_calls_attributed as (
    select * from {{ ref('int_network_calls_attributed') }}
),

final as (
    select
        stat_hour,
        province_code,
        city_code,
        network,
        attempts,
        connected,
        stat_month,
        stat_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_network_calls_attributed
)

select * from final
