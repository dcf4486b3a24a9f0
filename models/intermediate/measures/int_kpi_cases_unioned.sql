-- One row per event × KPI whose population it belongs to (docs/standard.md §1), with the period
-- it is attributed to and its measured value, in the unit of the KPI's per-case limit:
--   share  hall waits and handling (seconds), hotline answer times (seconds; NULL when the
--          call was abandoned, which counts against the service level)
--   mean / max  completed repairs (hours) and fixed-phone installations (days), once each
-- Hall tickets and hotline calls carry the customer's tier (NULL for repairs and orders).
-- Each population is one entry of the lists below, selected by one loop.
{%- set facts = [
    'fct_hall_tickets',
    'fct_hotline_calls',
    'fct_mobile_repairs',
    'fct_broadband_faults',
    'fct_install_orders',
] %}
{#- Share KPIs, one case per event, by the rows they are read from: each KPI's id, the value
    judged and which rows it counts (none: all); `period` names the <period>_month and
    <period>_date a case is attributed to; a hotline call has no city. #}
{%- set share_sources = [
    {
        'source': 'hall_tickets', 'rows': 'served_hall_tickets', 'case_id': 'ticket_id',
        'has_city': true, 'period': 'taken', 'kpis': [
            ("'hall_wait_15m'", 'wait_seconds', 'is_3g'),
            ("'hall_handle_10m'", 'handling_seconds', 'finished_at is not null'),
            ("'hall_vip_wait_5m'", 'wait_seconds', 'is_3g and is_vip'),
            ("'hall_appointment_no_wait'", 'wait_seconds', 'is_appointment and has_appointment_no_wait'),
        ],
    },
    {
        'source': 'hotline_calls', 'rows': 'fct_hotline_calls', 'case_id': 'call_id',
        'has_city': false, 'period': 'queued', 'kpis': [
            ("if(queue = 'vip', 'hotline_vip_sl20', 'hotline_sl20')", 'answer_seconds', none),
        ],
    },
] %}
with
{% for fact in facts %}
    {{ fact }} as {{ inlined() }} (
        select * from {{ ref(fact) }}
    ),
{% endfor %}

served_hall_tickets as {{ inlined() }} (
    select * from fct_hall_tickets
    where is_staffed_hall and is_served
),

-- Completed items of the duration KPIs (duration_kpi_sources), each judged twice below: by
-- the mean (<kpi_prefix>_avg) and the max (_max).
completed_items as {{ inlined() }} (
    {%- for items in duration_kpi_sources() %}
        select
            '{{ items.source }}' as source_name,
            '{{ items.kpi_prefix }}' as kpi_prefix,
            {{ items.segment }} as segment,
            {{ items.case_id }} as case_id,
            province_code,
            city_code,
            {{ items.period }}_month as period_month,
            {{ items.period }}_date as period_date,
            {{ items.value }} as measured_value
        from fct_{{ items.source }}
        where {{ items.completed }}{% if items.counted %} and {{ items.counted }}{% endif %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

cases as (
    {%- for source in share_sources %}
        {%- for kpi_id, value, counted in source.kpis %}
            select
                '{{ source.source }}' as source_name,
                {{ kpi_id }} as kpi_id,
                'all' as segment,
                'share' as measure,
                {{ source.case_id }} as case_id,
                province_code,
                {% if source.has_city -%}
                    city_code,
                {%- else -%}
                    cast(null as string) as city_code,
                {%- endif %}
                {{ source.period }}_month as period_month,
                {{ source.period }}_date as period_date,
                {{ value }} as measured_value,
                customer_tier
            from {{ source.rows }}
            {% if counted %}where {{ counted }}{% endif %}
            union all
        {%- endfor %}
    {%- endfor %}
    {%- for suffix, measure in [('avg', 'mean'), ('max', 'max')] %}
        select
            source_name,
            kpi_prefix || '_{{ suffix }}' as kpi_id,
            segment,
            '{{ measure }}' as measure,
            case_id,
            province_code,
            city_code,
            period_month,
            period_date,
            measured_value,
            cast(null as string) as customer_tier
        from completed_items
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from cases
