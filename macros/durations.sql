{#-
    Durations between two instants, exact to the microsecond.

    elapsed_seconds: end − start in seconds (DOUBLE); NULL when either is NULL. Hall waits
    and handling, hotline answer times. Compared with a limit inclusively by the caller.

    duration_in_units: end − start − suspended_minutes in units of unit_seconds (3600 for
    hours, 86400 for days of 24 h), docs/standard.md §2. Written as (µs / unit µs) − (minutes /
    unit minutes) so that the result is the same double whatever the resolution the
    instants were delivered in.
-#}
{% macro elapsed_seconds(start_at, end_at) -%}
    ({{ epoch_us(end_at) }} - {{ epoch_us(start_at) }}) / cast(1000000 as double)
{%- endmacro %}

{% macro duration_in_units(start_at, end_at, suspended_minutes, unit_seconds) -%}
    (
        ({{ epoch_us(end_at) }} - {{ epoch_us(start_at) }})
        / (cast({{ unit_seconds }} as double) * 1000000)
        - {{ suspended_minutes }} / (cast({{ unit_seconds }} as double) / 60)
    )
{%- endmacro %}

{#-
    repair_times: the columns a repair ticket's fact computes from its latest version, the
    same for mobile repairs and broadband faults (docs/standard.md §2): its instants and
    suspended minutes, whether it is restored, its repair time in hours (restored − reported
    − suspended minutes; NULL while open) and the local month and day it was restored in
    (the period that counts it).
-#}
{% macro repair_times() -%}
    reported_at,
    restored_at,
    suspended_minutes,
    restored_at is not null as is_restored,
    {{ duration_in_units('reported_at', 'restored_at', 'suspended_minutes', 3600) }}
        as repair_hours,
    {{ local_month('restored_at') }} as restored_month,
    {{ local_date('restored_at') }} as restored_date
{%- endmacro %}
