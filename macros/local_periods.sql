{#-
    Calendar periods in the operator's local time (var local_time_zone, Asia/Shanghai):
    STANDARD.md §2 attributes every event to the month and day it happened on there, never
    in UTC or in the session's zone. Each macro takes a TIMESTAMPTZ (an instant).
-#}

{#- The wall-clock time of an instant in the local zone (a naive TIMESTAMP). -#}
{% macro local_time(instant) -%}
    timezone('{{ var("local_time_zone") }}', {{ instant }})
{%- endmacro %}

{#- The local calendar day an instant falls on (DATE). -#}
{% macro local_date(instant) -%}
    cast({{ local_time(instant) }} as date)
{%- endmacro %}

{#- The first day of the local calendar month an instant falls on (DATE). -#}
{% macro local_month(instant) -%}
    cast(date_trunc('month', {{ local_time(instant) }}) as date)
{%- endmacro %}

{#- The start of the local clock hour an instant falls on (TIMESTAMPTZ). -#}
{% macro local_hour(instant) -%}
    timezone('{{ var("local_time_zone") }}', date_trunc('hour', {{ local_time(instant) }}))
{%- endmacro %}

{#- The instant a local calendar day (a DATE, or a naive TIMESTAMP) starts (TIMESTAMPTZ). -#}
{% macro local_midnight(day) -%}
    timezone('{{ var("local_time_zone") }}', cast({{ day }} as timestamp))
{%- endmacro %}
