-- Every local calendar month and day of each source, from the period of its first
-- attributed event (or of its as-of time, if none is attributed yet) to the period that
-- holds its as-of time, with the instant its items are measured at: the period end, or
-- the as-of time while the period is still running.
with

int_sources_as_of as (
    select * from {{ ref('int_sources_as_of') }}
),

bounds as (
    select
        source_name,
        as_of_at,
        {{ local_date('coalesce(first_attributed_at, as_of_at)') }} as first_date,
        {{ local_date('as_of_at') }} as last_date
    from int_sources_as_of
),

period_starts as (
    select
        source_name,
        as_of_at,
        'month' as period_grain,
        {{ date_series(
            "cast(date_trunc('month', first_date) as date)",
            "cast(date_trunc('month', last_date) as date)",
            'month'
        ) }} as period_start
    from bounds

    union all

    select
        source_name,
        as_of_at,
        'day' as period_grain,
        {{ date_series('first_date', 'last_date', 'day') }} as period_start
    from bounds
),

periods as (
    select
        source_name,
        period_grain,
        cast(period_start as date) as period_start,
        {{ local_midnight('period_start') }} as period_start_at,
        {{ local_midnight(
            "case period_grain when 'month' then " ~ dbt.dateadd('month', 1, 'period_start')
            ~ " else " ~ dbt.dateadd('day', 1, 'period_start') ~ " end"
        ) }} as period_end_at,
        as_of_at
    from period_starts
),

final as (
    select
        source_name,
        period_grain,
        period_start,
        period_start_at,
        period_end_at,
        as_of_at,
        least(period_end_at, as_of_at) as measured_at,
        as_of_at < period_end_at as is_running
    from periods
)

select * from final
