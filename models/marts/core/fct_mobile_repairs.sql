{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key='ticket_id',
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'mobile_repairs'}},
    )
}}

-- depends_on: {{ source('landing', 'mobile_repairs') }}
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
{% if is_incremental() %}
    where {{ arrived_since_last_build('mobile_repairs', ['ticket_id']) }}
{% endif %}
