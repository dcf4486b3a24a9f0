{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key='ticket_id',
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'hall_tickets'}},
    )
}}

-- depends_on: {{ source('landing', 'hall_tickets') }}
with

int_hall_tickets_measured as (
    select * from {{ ref('int_hall_tickets_measured') }}
),

final as (
    select
        ticket_id,
        hall_id,
        hall_type,
        province_code,
        city_code,
        area_type,
        customer_tier,
        business_type,
        is_3g,
        is_appointment,
        is_staffed_hall,
        is_served,
        is_vip,
        has_appointment_no_wait,
        taken_at,
        called_at,
        finished_at,
        wait_seconds,
        handling_seconds,
        taken_month,
        taken_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_hall_tickets_measured
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('hall_tickets', ['ticket_id']) }}
{% endif %}
