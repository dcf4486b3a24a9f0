{{ incremental_by_key('hall_tickets', 'ticket_id') }}

-- Each ticket's wait and handling time and the local month and day it belongs to (taken_at),
-- with the flags that put it in the hall KPIs' populations.
with

stg_landing__hall_tickets as (
    select * from {{ ref('stg_landing__hall_tickets') }}
),

vip_tiers as (
    select * from {{ ref('vip_tiers') }}
),

measured as (
    select
        tickets.ticket_id,
        tickets.hall_id,
        tickets.hall_type,
        tickets.province_code,
        tickets.city_code,
        tickets.area_type,
        tickets.customer_tier,
        tickets.business_type,
        tickets.is_3g,
        tickets.is_appointment,
        tickets.taken_at,
        tickets.called_at,
        tickets.finished_at,
        tickets.updated_at,
        tickets.ingest_file_id,
        tickets.source_row_number,
        -- self-service stores have no queue of staff (docs/standard.md §1)
        tickets.hall_type in ('own_hall', 'brand_store_3g') as is_staffed_hall,
        tickets.called_at is not null as is_served,
        coalesce(vip_tiers.is_vip, false) as is_vip,
        coalesce(vip_tiers.has_appointment_no_wait, false) as has_appointment_no_wait,
        {{ elapsed_seconds('tickets.taken_at', 'tickets.called_at') }} as wait_seconds,
        {{ elapsed_seconds('tickets.called_at', 'tickets.finished_at') }} as handling_seconds,
        {{ local_month('tickets.taken_at') }} as taken_month,
        {{ local_date('tickets.taken_at') }} as taken_date
    from stg_landing__hall_tickets as tickets
    left join vip_tiers
        on tickets.customer_tier = vip_tiers.customer_tier
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
    from measured
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('hall_tickets', ['ticket_id']) }}
{% endif %}
