-- Each source's as-of time: the greatest updated_at or event time loaded for it, all
-- provinces together (docs/standard.md §2). A period that ends after it is still running, and
-- items open in it are aged at this time instead of at the period end. Also the earliest
-- time an event of the source is attributed to a period, where its period spine starts.
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

as_of as (
    select
        'hall_tickets' as source_name,
        greatest(max(updated_at), max(taken_at), max(called_at), max(finished_at)) as as_of_at,
        min(taken_at) as first_attributed_at
    from fct_hall_tickets

    union all

    select
        'hotline_calls' as source_name,
        greatest(max(updated_at), max(queued_at), max(answered_at), max(ended_at)) as as_of_at,
        min(queued_at) as first_attributed_at
    from fct_hotline_calls

    union all

    select
        'network_calls' as source_name,
        greatest(max(updated_at), max(stat_hour)) as as_of_at,
        min(stat_hour) as first_attributed_at
    from fct_network_calls

    union all

    select
        'mobile_repairs' as source_name,
        greatest(max(updated_at), max(reported_at), max(restored_at)) as as_of_at,
        min(restored_at) as first_attributed_at
    from fct_mobile_repairs

    union all

    select
        'broadband_faults' as source_name,
        greatest(max(updated_at), max(reported_at), max(restored_at)) as as_of_at,
        min(restored_at) as first_attributed_at
    from fct_broadband_faults

    union all

    select
        'install_orders' as source_name,
        greatest(max(updated_at), max(accepted_at), max(completed_at)) as as_of_at,
        min(completed_at) as first_attributed_at
    from fct_install_orders
)

select * from as_of
where as_of_at is not null
