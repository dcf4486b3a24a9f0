{#-
    in_affected_periods: true for a row whose period (`column`, a DATE: the first day of a
    month for grain 'month') is one this build recomputes (int_periods_affected). Use in
    the WHERE clause of a period-incremental model, inside is_incremental(), with
    `-- depends_on: {{ ref('int_periods_affected') }}` in the model (dbt sees no ref that
    only an incremental build renders). `grain` is 'day' or 'month', or None where the
    row's own period_grain column says which.
-#}
{% macro in_affected_periods(column, grain) -%}
    {%- if grain is none -%}
        (period_grain, {{ column }}) in (
            select period_grain, period_start from {{ ref('int_periods_affected') }}
        )
    {%- else -%}
        {{ column }} in (
            select period_start from {{ ref('int_periods_affected') }}
            where period_grain = '{{ grain }}'
        )
    {%- endif -%}
{%- endmacro %}

{#-
    forget_affected_periods: a pre-hook of a period-incremental model that deletes every
    affected period from it before delete+insert adds the recomputed rows. delete+insert
    alone deletes only the periods that the new rows have, so a period whose every row
    went away (its only ticket re-exported into the next day) would keep its old rows.
-#}
{% macro forget_affected_periods(column, grain) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_affected_periods(column, grain) }}
    {%- endif -%}
{%- endmacro %}
