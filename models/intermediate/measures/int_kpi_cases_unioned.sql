-- One row per event × KPI whose population it belongs to (docs/standard.md §1), with the period
-- it is attributed to and its measured value, in the unit of the KPI's per-case limit:
--   share  hall waits and handling (seconds), hotline answer times (seconds; NULL when the
--          call was abandoned, which counts against the service level)
--   mean / max  completed repairs (hours) and fixed-phone installations (days), once each
-- Hall tickets and hotline calls carry the customer's tier (NULL for repairs and orders).
with

fct_hall_tickets as {{ inlined() }} (
    select * from {{ ref('fct_hall_tickets') }}
),

fct_hotline_calls as {{ inlined() }} (
    select * from {{ ref('fct_hotline_calls') }}
),

fct_mobile_repairs as {{ inlined() }} (
    select * from {{ ref('fct_mobile_repairs') }}
),

fct_broadband_faults as {{ inlined() }} (
    select * from {{ ref('fct_broadband_faults') }}
),

fct_install_orders as {{ inlined() }} (
    select * from {{ ref('fct_install_orders') }}
),

served_hall_tickets as {{ inlined() }} (
    select * from fct_hall_tickets
    where is_staffed_hall and is_served
),

completed_items as {{ inlined() }} (
    select
        'mobile_repairs' as source_name,
        'mobile_repair_hours' as kpi_prefix,
        'all' as segment,
        ticket_id as case_id,
        province_code,
        city_code,
        restored_month as period_month,
        restored_date as period_date,
        repair_hours as measured_value
    from fct_mobile_repairs
    where is_restored and not is_terminal_caused

    union all

    select
        'broadband_faults' as source_name,
        'broadband_repair_hours' as kpi_prefix,
        area_type as segment,
        ticket_id as case_id,
        province_code,
        city_code,
        restored_month as period_month,
        restored_date as period_date,
        repair_hours as measured_value
    from fct_broadband_faults
    where is_restored

    union all

    select
        'install_orders' as source_name,
        'install_days' as kpi_prefix,
        'all' as segment,
        order_id as case_id,
        province_code,
        city_code,
        completed_month as period_month,
        completed_date as period_date,
        install_days as measured_value
    from fct_install_orders
    where is_completed and is_fixed_phone
),

cases as (
    select
        'hall_tickets' as source_name,
        'hall_wait_15m' as kpi_id,
        'all' as segment,
        'share' as measure,
        ticket_id as case_id,
        province_code,
        city_code,
        taken_month as period_month,
        taken_date as period_date,
        wait_seconds as measured_value,
        customer_tier
    from served_hall_tickets
    where is_3g

    union all

    select
        'hall_tickets' as source_name,
        'hall_handle_10m' as kpi_id,
        'all' as segment,
        'share' as measure,
        ticket_id as case_id,
        province_code,
        city_code,
        taken_month as period_month,
        taken_date as period_date,
        handling_seconds as measured_value,
        customer_tier
    from served_hall_tickets
    where finished_at is not null

    union all

    select
        'hall_tickets' as source_name,
        'hall_vip_wait_5m' as kpi_id,
        'all' as segment,
        'share' as measure,
        ticket_id as case_id,
        province_code,
        city_code,
        taken_month as period_month,
        taken_date as period_date,
        wait_seconds as measured_value,
        customer_tier
    from served_hall_tickets
    where is_3g and is_vip

    union all

    select
        'hall_tickets' as source_name,
        'hall_appointment_no_wait' as kpi_id,
        'all' as segment,
        'share' as measure,
        ticket_id as case_id,
        province_code,
        city_code,
        taken_month as period_month,
        taken_date as period_date,
        wait_seconds as measured_value,
        customer_tier
    from served_hall_tickets
    where is_appointment and has_appointment_no_wait

    union all

    select
        'hotline_calls' as source_name,
        if(queue = 'vip', 'hotline_vip_sl20', 'hotline_sl20') as kpi_id,
        'all' as segment,
        'share' as measure,
        call_id as case_id,
        province_code,
        cast(null as string) as city_code,
        queued_month as period_month,
        queued_date as period_date,
        answer_seconds as measured_value,
        customer_tier
    from fct_hotline_calls

    union all

    select
        source_name,
        kpi_prefix || '_avg' as kpi_id,
        segment,
        'mean' as measure,
        case_id,
        province_code,
        city_code,
        period_month,
        period_date,
        measured_value,
        cast(null as string) as customer_tier
    from completed_items

    union all

    select
        source_name,
        kpi_prefix || '_max' as kpi_id,
        segment,
        'max' as measure,
        case_id,
        province_code,
        city_code,
        period_month,
        period_date,
        measured_value,
        cast(null as string) as customer_tier
    from completed_items
)

select * from cases
