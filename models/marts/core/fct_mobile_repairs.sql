with

int_mobile_repairs_measured as (
    select * from {{ ref('int_mobile_repairs_measured') }}
),

final as (
    select
        ticket_id,
        province_code,
        city_code,
        area_type,
        cause,
        is_terminal_caused,
        reported_at,
        restored_at,
        suspended_minutes,
        is_restored,
        repair_hours,
        restored_month,
        restored_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_mobile_repairs_measured
)

select * from final
