-- sqlfluff:rules:references.keywords:ignore_words:source
-- (source is the published column name the dashboard reads)
-- One row per source × province that delivered it: the latest event loaded (a hall ticket
-- taken, a hotline call queued, a counted hour, a fault reported or restored, an order
-- accepted or completed). The dashboard reads how far each source reaches here, in a few
-- hundred rows, instead of scanning the facts on every page.
with

fct_hall_tickets as (
    select * from {{ ref('fct_hall_tickets') }}
),

fct_hotline_calls as (
    select * from {{ ref('fct_hotline_calls') }}
),

fct_network_calls as (
    select * from {{ ref('fct_network_calls') }}
),

fct_mobile_repairs as (
    select * from {{ ref('fct_mobile_repairs') }}
),

fct_broadband_faults as (
    select * from {{ ref('fct_broadband_faults') }}
),

fct_install_orders as (
    select * from {{ ref('fct_install_orders') }}
),

latest as (
    select
        'hall_tickets' as source,
        province_code,
        max(taken_at) as latest_event_at
    from fct_hall_tickets
    group by province_code

    union all

    select
        'hotline_calls' as source,
        province_code,
        max(queued_at) as latest_event_at
    from fct_hotline_calls
    group by province_code

    union all

    select
        'network_calls' as source,
        province_code,
        max(stat_hour) as latest_event_at
    from fct_network_calls
    group by province_code

    union all

    select
        'mobile_repairs' as source,
        province_code,
        greatest(max(reported_at), max(restored_at)) as latest_event_at
    from fct_mobile_repairs
    group by province_code

    union all

    select
        'broadband_faults' as source,
        province_code,
        greatest(max(reported_at), max(restored_at)) as latest_event_at
    from fct_broadband_faults
    group by province_code

    union all

    select
        'install_orders' as source,
        province_code,
        greatest(max(accepted_at), max(completed_at)) as latest_event_at
    from fct_install_orders
    group by province_code
)

select * from latest
