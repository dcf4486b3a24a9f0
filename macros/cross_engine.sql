{#-
    The few places where DuckDB and Spark SQL differ, one macro each, dispatched on the
    adapter (duckdb__…, spark__…). Everything else in the models is SQL both engines read
    alike: qualify, count(*) filter, grouping sets, is not distinct from, if(), `string`.
-#}

{#- Microseconds since the Unix epoch of an instant (BIGINT). -#}
{% macro epoch_us(instant) -%}
    {{ return(adapter.dispatch('epoch_us', 'kpiwatch')(instant)) }}
{%- endmacro %}

{% macro duckdb__epoch_us(instant) -%}
    epoch_us({{ instant }})
{%- endmacro %}

{% macro spark__epoch_us(instant) -%}
    unix_micros({{ instant }})
{%- endmacro %}

{#- The wall-clock time of an instant in a named zone (a naive timestamp). -#}
{% macro wall_clock(zone, instant) -%}
    {{ return(adapter.dispatch('wall_clock', 'kpiwatch')(zone, instant)) }}
{%- endmacro %}

{% macro duckdb__wall_clock(zone, instant) -%}
    timezone('{{ zone }}', {{ instant }})
{%- endmacro %}

{#- convert_timezone(target, ts) reads ts in the session zone, whatever that is. -#}
{% macro spark__wall_clock(zone, instant) -%}
    convert_timezone('{{ zone }}', {{ instant }})
{%- endmacro %}

{#- The instant a wall-clock time (a naive timestamp or a date) names in a zone. Spark
    keeps whole seconds, enough for the day and hour starts it is used for. -#}
{% macro instant_at(zone, wall_time) -%}
    {{ return(adapter.dispatch('instant_at', 'kpiwatch')(zone, wall_time)) }}
{%- endmacro %}

{% macro duckdb__instant_at(zone, wall_time) -%}
    timezone('{{ zone }}', cast({{ wall_time }} as timestamp))
{%- endmacro %}

{% macro spark__instant_at(zone, wall_time) -%}
    make_timestamp(
        year({{ wall_time }}), month({{ wall_time }}), day({{ wall_time }}),
        hour({{ wall_time }}), minute({{ wall_time }}), second({{ wall_time }}), '{{ zone }}'
    )
{%- endmacro %}

{#- The start of the hour of a naive timestamp (naive; Spark's date_trunc would return an
    instant read in the session zone). -#}
{% macro hour_start(wall_time) -%}
    {{ return(adapter.dispatch('hour_start', 'kpiwatch')(wall_time)) }}
{%- endmacro %}

{% macro duckdb__hour_start(wall_time) -%}
    date_trunc('hour', {{ wall_time }})
{%- endmacro %}

{% macro spark__hour_start(wall_time) -%}
    make_timestamp_ntz(
        year({{ wall_time }}), month({{ wall_time }}), day({{ wall_time }}), hour({{ wall_time }}), 0, 0
    )
{%- endmacro %}

{#- One row per date from first to last (inclusive) in steps of one `unit` (day, month):
    a set-returning expression for a select list. -#}
{% macro date_series(first_date, last_date, unit) -%}
    {{ return(adapter.dispatch('date_series', 'kpiwatch')(first_date, last_date, unit)) }}
{%- endmacro %}

{% macro duckdb__date_series(first_date, last_date, unit) -%}
    unnest(generate_series({{ first_date }}, {{ last_date }}, interval 1 {{ unit }}))
{%- endmacro %}

{% macro spark__date_series(first_date, last_date, unit) -%}
    explode(sequence({{ first_date }}, {{ last_date }}, interval 1 {{ unit }}))
{%- endmacro %}

{#- True when the whole text matches a regular expression. -#}
{% macro matches_fully(text, pattern) -%}
    {{ return(adapter.dispatch('matches_fully', 'kpiwatch')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__matches_fully(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_fully(text, pattern) -%}
    ({{ text }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- A 64-bit hash of one or more columns, to group or match keys cheaply; equal values
    give equal hashes, so a repeated hash is a candidate, never a proof, of a repeat. -#}
{% macro key_hash(columns) -%}
    {{ return(adapter.dispatch('key_hash', 'kpiwatch')(columns)) }}
{%- endmacro %}

{% macro duckdb__key_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__key_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{#-
    `name as {{ inlined() }} (…)`: a CTE that several parts of a query read, inlined into
    each of them instead of computed once. DuckDB materializes such a CTE whole, which
    stops the filters of its readers (an incremental build's affected periods) from
    reaching the scan below it: a daily build then reads every fact row. Spark inlines
    CTEs anyway and knows no such keyword.
-#}
{% macro inlined() -%}
    {{ return('not materialized' if target.type == 'duckdb' else '') }}
{%- endmacro %}
