{{ incremental_by_key('broadband_faults', 'ticket_id') }}

-- Each fault ticket's repair time in hours and the local month and day it was restored in
-- (closing_times(), macros/durations.sql); NULL while open.
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
        {{ closing_times(
            'reported_at', 'restored_at', 'is_restored', 'repair_hours', 3600, 'restored'
        ) }},
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__broadband_faults
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('broadband_faults', ['ticket_id']) }}
{% endif %}
