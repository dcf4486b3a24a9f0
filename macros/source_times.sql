{#-
    Each source and the instants its fact carries, written once for the models that ask how
    far a source reaches (int_sources_as_of, source_freshness):
      events     what starts or ends a case: a hall ticket taken, a hotline call queued, a
                 counted hour, a fault reported or restored, an order accepted or completed;
                 the latest of them is the source's latest event (source_freshness);
      followups  later instants of a case (a ticket called and finished, a call answered and
                 ended): with updated_at and the events, they make the source's as-of time;
      attributed the instant that attributes an event to its period.
-#}
{% macro source_times() -%}
    {{ return([
        {
            'source': 'hall_tickets',
            'events': ['taken_at'],
            'followups': ['called_at', 'finished_at'],
            'attributed': 'taken_at',
        },
        {
            'source': 'hotline_calls',
            'events': ['queued_at'],
            'followups': ['answered_at', 'ended_at'],
            'attributed': 'queued_at',
        },
        {
            'source': 'network_calls',
            'events': ['stat_hour'],
            'followups': [],
            'attributed': 'stat_hour',
        },
        {
            'source': 'mobile_repairs',
            'events': ['reported_at', 'restored_at'],
            'followups': [],
            'attributed': 'restored_at',
        },
        {
            'source': 'broadband_faults',
            'events': ['reported_at', 'restored_at'],
            'followups': [],
            'attributed': 'restored_at',
        },
        {
            'source': 'install_orders',
            'events': ['accepted_at', 'completed_at'],
            'followups': [],
            'attributed': 'completed_at',
        },
    ]) }}
{%- endmacro %}

{#- The latest of several columns over a group's rows: max of one, greatest of the maxima of
    more. -#}
{% macro latest_of(columns) -%}
    {%- if columns | length == 1 -%}
        max({{ columns[0] }})
    {%- else -%}
        greatest({% for column in columns %}max({{ column }}){{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- The import CTEs of every source's fact, fct_<source>, for a model that reads them all. -#}
{% macro source_fact_ctes() -%}
    {%- for times in source_times() %}
fct_{{ times.source }} as (
    select * from {{ ref('fct_' ~ times.source) }}
),
    {%- endfor %}
{%- endmacro %}
