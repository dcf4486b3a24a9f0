{#-
    in_affected_periods: true for a row whose period (`column`, a DATE: the first day of a
    month for grain 'month') is one this build recomputes (int_periods_affected). Use in
    the WHERE clause of a period-incremental model, inside is_incremental(), with
    `-- depends_on: {{ ref('int_periods_affected') }}` in the model (dbt sees no ref that
    only an incremental build renders). `grain` is 'day' or 'month', or None where the
    row's own period_grain column says which.
-#}
{% macro in_affected_periods(column, grain) -%}
    ({{ affected_period_range(column, grain) }}
    {%- if grain is none -%}
        (period_grain, {{ column }}) in (
            select period_grain, period_start from {{ ref('int_periods_affected') }}
        )
    {%- else -%}
        {{ column }} in (
            select period_start from {{ ref('int_periods_affected') }}
            where period_grain = '{{ grain }}'
        )
    {%- endif -%})
{%- endmacro %}

{#-
    affected_period_range: `column between <first> and <last> and `, the earliest and the
    latest affected period as literals, read from int_periods_affected (built before the
    model that asks) when the model runs; nothing when parsing, in a unit test (its
    int_periods_affected is a fixture) or when no period is affected. It repeats what the
    IN list says, in a form the engine can use: pushed below the joins and unions into the
    scans of the facts and aggregates, where zone maps skip the row groups of older
    periods, instead of a semi-join applied after reading every row. The facts are
    written roughly in period order (by delivery), so a daily build reads the recent
    periods, not the history.
-#}
{% macro affected_period_range(column, grain) -%}
    {%- set range = period_range_literal(
        column, 'min(period_start)', 'max(period_start)',
        "" if grain is none else "where period_grain = '" ~ grain ~ "'"
    ) -%}
    {{ return(range ~ ' and ' if range else '') }}
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

{#-
    running_months_range: `column between <first day of the earliest running month> and
    <the latest as-of day>` (a DATE column), the days that kpi_at_risk projects from: every
    source's running month up to its as-of day, as literals read from int_periods_affected
    (whose rows carry their source's as-of time, on full and incremental builds alike) when
    the model runs; `true` when parsing, in a unit test or before any build made
    int_periods_affected (dbt docs of an older publication). The model's joins on each
    source's own cutoff say the same; the literals let the engine skip the history before
    reading it (see affected_period_range).
-#}
{% macro running_months_range(column) -%}
    {%- set range = period_range_literal(
        column, 'min(' ~ local_month('as_of_at') ~ ')', 'max(' ~ local_date('as_of_at') ~ ')'
    ) -%}
    {{ return(range or 'true') }}
{%- endmacro %}

{#-
    period_range_literal: `column between date '<first>' and date '<last>'`, the two dates
    computed by the SQL expressions `first` and `last` over int_periods_affected (rows
    filtered by `where`) when the model runs; '' when parsing, in a unit test (its
    int_periods_affected is a fixture), before any build made the table (dbt docs of an
    older publication) or when it has no row.
-#}
{% macro period_range_literal(column, first, last, where='') -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}{{ return('') }}{%- endif -%}
    {%- if load_relation(ref('int_periods_affected')) is none -%}{{ return('') }}{%- endif -%}
    {%- set bounds = run_query(
        "select cast(" ~ first ~ " as string), cast(" ~ last ~ " as string) from "
        ~ ref('int_periods_affected') ~ " " ~ where
    ).rows[0] -%}
    {%- if bounds[0] is none -%}{{ return('') }}{%- endif -%}
    {{ return(column ~ " between date '" ~ bounds[0] ~ "' and date '" ~ bounds[1] ~ "'") }}
{%- endmacro %}

{#-
    kpi_versions_last_built: the catalog versions the publication being updated was built
    with (int_kpi_versions_built in the copy), for int_kpi_versions_changed to compare the
    current catalog with. It is read by name, not by ref: a ref would build this build's
    copy first, and int_kpi_versions_built is built after int_periods_affected for that
    reason. No such table (a build from nothing, or a publication older than the table):
    no version, so every version of the catalog counts as changed. When parsing and in a
    unit test: the current catalog (the CTE int_kpi_versions_dated of the calling model),
    so nothing changed; a unit test gives other versions by overriding this macro with a
    subquery.
-#}
{% macro kpi_versions_last_built() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return('(select * from int_kpi_versions_dated)') }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.int_kpi_versions_built') -%}
    {%- set relation = adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    ) if node else none -%}
    {{ return(relation if relation is not none
        else '(select * from int_kpi_versions_dated where 1 = 0)') }}
{%- endmacro %}
