{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key='ticket_id',
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'broadband_faults'}},
    )
}}

-- depends_on: {{ source('landing', 'broadband_faults') }}
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
{% if is_incremental() %}
    where {{ arrived_since_last_build('broadband_faults', ['ticket_id']) }}
{% endif %}
