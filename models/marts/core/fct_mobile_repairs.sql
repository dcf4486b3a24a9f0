{{ incremental_by_key('mobile_repairs', 'ticket_id') }}

-- Each fault ticket's repair time in hours and the local month and day it was restored in
-- (closing_times(), macros/durations.sql); NULL while open.
with

stg_landing__mobile_repairs as (
    select * from {{ ref('stg_landing__mobile_repairs') }}
),

final as (
    select
        ticket_id,
        province_code,
        city_code,
        area_type,
        cause,
        -- 非移动终端原因: faults of the customer's handset are not the network's to repair
        cause = 'terminal' as is_terminal_caused,
        {{ closing_times(
            'reported_at', 'restored_at', 'is_restored', 'repair_hours', 3600, 'restored'
        ) }},
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__mobile_repairs
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('mobile_repairs', ['ticket_id']) }}
{% endif %}
