{#-
    Calendar periods in the operator's local time (var local_time_zone, Asia/Shanghai):
    docs/standard.md §2 attributes every event to the month and day it happened on there, never
    in UTC or in the session's zone. Each macro takes an instant (TIMESTAMPTZ on DuckDB,
    TIMESTAMP on Spark); the engine-specific parts are in cross_engine.sql.
-#}

{#- The wall-clock time of an instant in the local zone (a naive timestamp). -#}
{% macro local_time(instant) -%}
    {{ wall_clock(var("local_time_zone"), instant) }}
{%- endmacro %}

{#- The local calendar day an instant falls on (DATE). -#}
{% macro local_date(instant) -%}
    cast({{ local_time(instant) }} as date)
{%- endmacro %}

{#- The first day of the local calendar month an instant falls on (DATE). -#}
{% macro local_month(instant) -%}
    cast(date_trunc('month', {{ local_date(instant) }}) as date)
{%- endmacro %}

{#- The start of the local clock hour an instant falls on (an instant). -#}
{% macro local_hour(instant) -%}
    {{ local_midnight(hour_start(local_time(instant))) }}
{%- endmacro %}

{#- The instant a local calendar day (a DATE, or a naive timestamp) starts (an instant). -#}
{% macro local_midnight(day) -%}
    {{ instant_at(var("local_time_zone"), day) }}
{%- endmacro %}
