-- The local days and months whose published rows this build recomputes (docs/incremental.md),
-- per source; the period-incremental models replace exactly these periods. In an
-- incremental build, from the data:
--   arrived    every day from the start to the end of every version, old and new, of every
--              key that arrived (macros/arrived_since_last_build.sql), or to the as-of time
--              while it is open: its event's period, and each period end it was open at
--   as_of      every day between the last build's as-of time and this one's: the running
--              period's open items age with it, and the periods it passed have ended
--   spine      every day between the last build's first attributed period and this one's,
--              where the period spine starts (int_periods_spined)
--   catalog    the days on which a KPI catalog version in force changed since the last
--              build (int_kpi_versions_changed), within the days that have rows; for a
--              changed case limit from three months before the month it changed in to the
--              end of the last month it changed in (int_kpi_measures_aggregated counts a
--              day's cases against the limits of its month and the three months after)
--   running    the day and month that hold the as-of time, always
-- and the month of each such day. A full build records only the running periods. Each row
-- also records its source's as-of and first attributed times: the next build reads them
-- here as the last build's. Replaced whole at each build (delete+insert on source_name, or
-- on Spark an overwrite of the source_name partitions: every source with events has its
-- running period). Bookkeeping of the build: it differs
-- between an incremental build and a full rebuild, unlike every other table.
{{
    config(
        materialized='incremental',
        incremental_strategy=replace_periods_strategy(),
        partition_by=partitioned_on_spark('source_name'),
        unique_key='source_name',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('int_versions_arrived') }}
-- depends_on: {{ ref('int_kpi_versions_changed') }}
with

int_sources_as_of as (
    select * from {{ ref('int_sources_as_of') }}
),

{% if is_incremental() %}
    int_versions_arrived as (
        select * from {{ ref('int_versions_arrived') }}
    ),

    int_kpi_versions_changed as (
        select * from {{ ref('int_kpi_versions_changed') }}
    ),

    last_build as (
        select distinct
            source_name,
            as_of_at,
            first_attributed_at
        from {{ this }}
    ),
{% endif %}

sources as (
    select
        sources.source_name,
        sources.as_of_at,
        sources.first_attributed_at,
        coalesce(sources.first_attributed_at, sources.as_of_at) as spine_start_at,
        {% if is_incremental() -%}
            last_build.as_of_at as last_as_of_at,
            coalesce(last_build.first_attributed_at, last_build.as_of_at)
        {%- else -%}
            cast(null as {{ dbt.type_timestamp() }}) as last_as_of_at,
            cast(null as {{ dbt.type_timestamp() }})
        {%- endif %} as last_spine_start_at
    from int_sources_as_of as sources
    {% if is_incremental() -%}
        left join last_build
            on sources.source_name = last_build.source_name
    {%- endif %}
),

{% if is_incremental() %}
    -- the days whose rows exist in this build or the last: a catalog change's stretch is
    -- cut to them (it may run from 2009 to 9999)
    source_days as (
        select
            source_name,
            {{ local_date('least(spine_start_at, coalesce(last_spine_start_at, spine_start_at))') }}
                as first_day,
            {{ local_date('greatest(as_of_at, coalesce(last_as_of_at, as_of_at))') }} as last_day
        from sources
    ),

    catalog_days as (
        select
            changes.source_name,
            greatest(changes.changed_from, source_days.first_day) as first_day,
            least(changes.changed_until, source_days.last_day) as last_day
        from int_kpi_versions_changed as changes
        inner join source_days
            on changes.source_name = source_days.source_name

        union all

        select
            changes.source_name,
            {%- set three_months_before -%}
                {{ dbt.dateadd('month', -3, "date_trunc('month', changes.changed_from)") }}
            {%- endset %}
            greatest(cast({{ three_months_before }} as date), source_days.first_day) as first_day,
            least(
                last_day(least(changes.changed_until, source_days.last_day)),
                source_days.last_day
            ) as last_day
        from int_kpi_versions_changed as changes
        inner join source_days
            on changes.source_name = source_days.source_name
        where changes.is_case_limit_changed
    ),
{% endif %}

day_ranges as (
    select
        source_name,
        {{ local_date('as_of_at') }} as first_day,
        {{ local_date('as_of_at') }} as last_day
    from sources
    {% if is_incremental() %}

        union all

        -- a source new to this build: all of its periods
        select
            source_name,
            {{ local_date('spine_start_at') }} as first_day,
            {{ local_date('as_of_at') }} as last_day
        from sources
        where last_as_of_at is null

        union all

        select
            source_name,
            {{ local_date('least(as_of_at, last_as_of_at)') }} as first_day,
            {{ local_date('greatest(as_of_at, last_as_of_at)') }} as last_day
        from sources
        where as_of_at != last_as_of_at

        union all

        select
            source_name,
            {{ local_date('least(spine_start_at, last_spine_start_at)') }} as first_day,
            {{ local_date('greatest(spine_start_at, last_spine_start_at)') }} as last_day
        from sources
        where spine_start_at != last_spine_start_at

        union all

        -- an open version is aged through the later of the two as-of times
        {%- set ended -%}
            coalesce(versions.ended_at, greatest(sources.as_of_at, sources.last_as_of_at))
        {%- endset %}
        select
            versions.source_name,
            {{ local_date('least(versions.started_at, ' ~ ended ~ ')') }} as first_day,
            {{ local_date('greatest(versions.started_at, ' ~ ended ~ ')') }} as last_day
        from int_versions_arrived as versions
        left join sources
            on versions.source_name = sources.source_name

        union all

        select
            source_name,
            first_day,
            last_day
        from catalog_days
        where first_day <= last_day
    {% endif %}
),

distinct_ranges as (
    select distinct
        source_name,
        first_day,
        last_day
    from day_ranges
    where first_day is not null
),

-- (the series is cast in the next CTE: Spark allows no generator inside an expression)
day_starts as (
    select
        source_name,
        {{ date_series('first_day', 'last_day', 'day') }} as day_start
    from distinct_ranges
),

days as (
    select
        source_name,
        cast(day_start as date) as period_start
    from day_starts
),

periods as (
    select distinct
        source_name,
        'day' as period_grain,
        period_start
    from days

    union

    select distinct
        source_name,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start
    from days
),

final as (
    select
        periods.source_name,
        periods.period_grain,
        periods.period_start,
        sources.as_of_at,
        sources.first_attributed_at
    from periods
    inner join sources
        on periods.source_name = sources.source_name
)

select * from final
