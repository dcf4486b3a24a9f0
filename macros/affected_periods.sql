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
    replace_periods_strategy, partitioned_on_spark: how a period-incremental model replaces
    its affected periods on each engine. DuckDB: delete+insert on the period (its
    unique_key). Spark (Parquet tables, no DELETE): the table is partitioned by the period
    and dbt-spark's insert_overwrite, in dynamic partition-overwrite mode, rewrites exactly
    the partitions that the new rows have and leaves every other one as it was
    (docs/spark.md).
-#}
{% macro replace_periods_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{% macro partitioned_on_spark(columns) -%}
    {{ return(columns if target.type == 'spark' else none) }}
{%- endmacro %}

{#-
    forget_affected_periods: a pre-hook of a period-incremental model that empties every
    affected period before the strategy adds the recomputed rows. Either strategy alone
    replaces only the periods that the new rows have, so a period whose every row went away
    (its only ticket re-exported into the next day) would keep its old rows. DuckDB deletes
    the periods' rows; Spark drops their partitions (below).
-#}
{% macro forget_affected_periods(column, grain) -%}
    {{ return(adapter.dispatch('forget_affected_periods')(column, grain)) }}
{%- endmacro %}

{% macro default__forget_affected_periods(column, grain) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_affected_periods(column, grain) }}
    {%- endif -%}
{%- endmacro %}

{#-
    On Spark the affected periods are partitions: they are listed from int_periods_affected
    (already built: the model depends on it) and dropped, files and metastore entries, in one
    ALTER TABLE. insert_overwrite then writes those that have rows again. `column` is the
    partition column; with no `grain`, the partition is (period_grain, `column`).
-#}
{% macro spark__forget_affected_periods(column, grain) -%}
    {%- if execute and is_incremental() -%}
        {%- set periods = run_query(
            "select distinct period_grain, cast(period_start as string) from "
            ~ ref('int_periods_affected')
            ~ ("" if grain is none else " where period_grain = '" ~ grain ~ "'")
            ~ " order by 1, 2"
        ) -%}
        {%- set partitions = [] -%}
        {%- for period_grain, period_start in periods.rows -%}
            {%- do partitions.append(
                "partition ("
                ~ ("" if grain is not none else "period_grain = '" ~ period_grain ~ "', ")
                ~ column ~ " = date '" ~ period_start ~ "')"
            ) -%}
        {%- endfor -%}
        {%- if partitions -%}
            alter table {{ this }} drop if exists {{ partitions | join(', ') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
