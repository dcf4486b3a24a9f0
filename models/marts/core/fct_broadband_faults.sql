with

int_broadband_faults_measured as (
    select * from {{ ref('int_broadband_faults_measured') }}
),

final as (
    select
        ticket_id,
        province_code,
        city_code,
        area_type,
        access_type,
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
    from int_broadband_faults_measured
)

select * from final
