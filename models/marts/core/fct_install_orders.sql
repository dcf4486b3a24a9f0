{{ incremental_by_key('install_orders', 'order_id') }}

-- Each order's installation time in days of 24 h (completed − accepted − suspended minutes
-- of its latest version) and the local month and day it was completed in; NULL while open.
with

stg_landing__install_orders as (
    select * from {{ ref('stg_landing__install_orders') }}
),

final as (
    select
        order_id,
        province_code,
        city_code,
        area_type,
        service,
        order_type,
        -- 电话装移机: the standard's time limits are for telephone installations and moves
        service = 'fixed_phone' as is_fixed_phone,
        {{ closing_times(
            'accepted_at', 'completed_at', 'is_completed', 'install_days', 86400, 'completed'
        ) }},
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__install_orders
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('install_orders', ['order_id']) }}
{% endif %}
