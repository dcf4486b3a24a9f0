-- Every version, old and new, of every business key that arrived in a file loaded after
-- the last build (macros/arrived_since_last_build.sql), with the times that place it in
-- periods: when its item started (a ticket taken, a call queued, a counted hour, a fault
-- reported, an order accepted) and when it ended (restored, completed; the same instant for
-- an event; NULL while open). A version that lost, or one the new files replaced, still
-- counts: the periods it was published in must be recomputed too. Read from raw, not from
-- staging, which keeps only the latest version of a key.
{%- set sources = [
    ('hall_tickets', ['ticket_id'], 'taken_at', 'taken_at'),
    ('hotline_calls', ['call_id'], 'queued_at', 'queued_at'),
    ('network_calls', ['stat_hour', 'city_code', 'network'], 'stat_hour', 'stat_hour'),
    ('mobile_repairs', ['ticket_id'], 'reported_at', 'restored_at'),
    ('broadband_faults', ['ticket_id'], 'reported_at', 'restored_at'),
    ('install_orders', ['order_id'], 'accepted_at', 'completed_at'),
] %}
with

{% for name, keys, started, ended in sources %}
    {{ name }} as (
        select * from {{ source('landing', name) }}
        where {{ rows_whose_keys_arrived(
            source('landing', name), source('landing', name), keys, built_through_file_id()
        ) }}
    ),
{% endfor %}

versions as (
    {%- for name, keys, started, ended in sources %}
        select
            '{{ name }}' as source_name,
            {{ started }} as started_at,
            {{ ended }} as ended_at
        from {{ name }}
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}
)

select * from versions
