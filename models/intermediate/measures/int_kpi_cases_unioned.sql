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
{#- Share KPIs, one case per event: its KPI, the columns it is read from (`period` names the
    <period>_month and <period>_date it is attributed to; a hotline call has no city) and the
    events it counts. #}
{%- set share_populations = [
    {
        'source': 'hall_tickets', 'kpi_id': "'hall_wait_15m'", 'case_id': 'ticket_id',
        'has_city': true, 'period': 'taken', 'value': 'wait_seconds',
        'rows': 'served_hall_tickets', 'where': 'is_3g',
    },
    {
        'source': 'hall_tickets', 'kpi_id': "'hall_handle_10m'", 'case_id': 'ticket_id',
        'has_city': true, 'period': 'taken', 'value': 'handling_seconds',
        'rows': 'served_hall_tickets', 'where': 'finished_at is not null',
    },
    {
        'source': 'hall_tickets', 'kpi_id': "'hall_vip_wait_5m'", 'case_id': 'ticket_id',
        'has_city': true, 'period': 'taken', 'value': 'wait_seconds',
        'rows': 'served_hall_tickets', 'where': 'is_3g and is_vip',
    },
    {
        'source': 'hall_tickets', 'kpi_id': "'hall_appointment_no_wait'", 'case_id': 'ticket_id',
        'has_city': true, 'period': 'taken', 'value': 'wait_seconds',
        'rows': 'served_hall_tickets', 'where': 'is_appointment and has_appointment_no_wait',
    },
    {
        'source': 'hotline_calls',
        'kpi_id': "if(queue = 'vip', 'hotline_vip_sl20', 'hotline_sl20')",
        'case_id': 'call_id', 'has_city': false, 'period': 'queued',
        'value': 'answer_seconds', 'rows': 'fct_hotline_calls', 'where': none,
    },
] %}
{#- Completed items, each judged twice: by the mean (<kpi_prefix>_avg) and the max (_max). #}
{%- set completed_populations = [
    {
        'source': 'mobile_repairs', 'kpi_prefix': 'mobile_repair_hours', 'segment': "'all'",
        'case_id': 'ticket_id', 'period': 'restored', 'value': 'repair_hours',
        'where': 'is_restored and not is_terminal_caused',
    },
    {
        'source': 'broadband_faults', 'kpi_prefix': 'broadband_repair_hours',
        'segment': 'area_type', 'case_id': 'ticket_id', 'period': 'restored',
        'value': 'repair_hours', 'where': 'is_restored',
    },
    {
        'source': 'install_orders', 'kpi_prefix': 'install_days', 'segment': "'all'",
        'case_id': 'order_id', 'period': 'completed', 'value': 'install_days',
        'where': 'is_completed and is_fixed_phone',
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

completed_items as {{ inlined() }} (
    {%- for population in completed_populations %}
        select
            '{{ population.source }}' as source_name,
            '{{ population.kpi_prefix }}' as kpi_prefix,
            {{ population.segment }} as segment,
            {{ population.case_id }} as case_id,
            province_code,
            city_code,
            {{ population.period }}_month as period_month,
            {{ population.period }}_date as period_date,
            {{ population.value }} as measured_value
        from fct_{{ population.source }}
        where {{ population.where }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

cases as (
    {%- for population in share_populations %}
        select
            '{{ population.source }}' as source_name,
            {{ population.kpi_id }} as kpi_id,
            'all' as segment,
            'share' as measure,
            {{ population.case_id }} as case_id,
            province_code,
            {% if population.has_city -%}
                city_code,
            {%- else -%}
                cast(null as string) as city_code,
            {%- endif %}
            {{ population.period }}_month as period_month,
            {{ population.period }}_date as period_date,
            {{ population.value }} as measured_value,
            customer_tier
        from {{ population.rows }}
        {% if population.where %}where {{ population.where }}{% endif %}
        union all
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
