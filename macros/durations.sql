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
    closing_times: the columns a fact of items that open and close (repair tickets,
    installation orders) computes from the latest version of each, the same for the three
    (docs/standard.md §2): its two instants and suspended minutes, whether it is closed
    (`closed_flag`), its duration in units of `unit_seconds` (`end_at` − `start_at` −
    suspended minutes; NULL while open) and the local month and day it closed in, the
    period that counts it (`<period>_month`, `<period>_date`).
-#}
{% macro closing_times(start_at, end_at, closed_flag, duration, unit_seconds, period) -%}
    {{ start_at }},
    {{ end_at }},
    suspended_minutes,
    {{ end_at }} is not null as {{ closed_flag }},
    {{ duration_in_units(start_at, end_at, 'suspended_minutes', unit_seconds) }}
        as {{ duration }},
    {{ local_month(end_at) }} as {{ period }}_month,
    {{ local_date(end_at) }} as {{ period }}_date
{%- endmacro %}
