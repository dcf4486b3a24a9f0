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
-- Each fault ticket's repair time in hours (restored − reported − suspended minutes of its
-- latest version) and the local month and day it was restored in; NULL while open.
with

stg_landing__broadband_faults as (
    select * from {{ ref('stg_landing__broadband_faults') }}
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
        restored_at is not null as is_restored,
        {{ duration_in_units('reported_at', 'restored_at', 'suspended_minutes', 3600) }}
            as repair_hours,
        {{ local_month('restored_at') }} as restored_month,
        {{ local_date('restored_at') }} as restored_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__broadband_faults
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('broadband_faults', ['ticket_id']) }}
{% endif %}
