-- The early warning's backtest (tools/backtest_at_risk.py, docs/early-warning.md): the
-- projection of kpi_at_risk (the same macro, at_risk_ctes) as it would have stood at the end
-- of day 10 and day 20 of every month that has ended, beside the month's final verdict in
-- kpi_compliance. Only what was known at the cutoff counts: cases of the days up to it, and
-- items open at its end (an item restored later was still open then).
with

int_kpi_measures_aggregated as (
    select * from {{ ref('int_kpi_measures_aggregated') }}
),

int_kpi_cases_unioned as (
    select * from {{ ref('int_kpi_cases_unioned') }}
),

int_open_items_aged as (
    select * from {{ ref('int_open_items_aged') }}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

int_sources_as_of as (
    select * from {{ ref('int_sources_as_of') }}
),

int_periods_spined as (
    select * from {{ ref('int_periods_spined') }}
),

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
),

-- A month has ended for the backtest when it is not running and some source has data after
-- it (a source whose as-of time is an update long after its last event would otherwise judge
-- empty months).
last_data_month as (
    select cast(date_trunc('month', max(period_date)) as date) as period_month
    from int_kpi_measures_aggregated
),

ended_months as (
    select
        spine.source_name,
        spine.period_start as period_month
    from int_periods_spined as spine
    inner join last_data_month on spine.period_start < last_data_month.period_month
    where spine.period_grain = 'month' and not spine.is_running
),

cutoffs as (
    select
        source_name,
        cast({{ dbt.dateadd('day', 9, 'period_month') }} as date) as cutoff_date
    from ended_months

    union all

    select
        source_name,
        cast({{ dbt.dateadd('day', 19, 'period_month') }} as date) as cutoff_date
    from ended_months
),

{{ at_risk_ctes('cutoffs') }},

final as (
    select
        projected.source_name,
        projected.period_month,
        day(projected.cutoff_date) as cutoff_day,
        projected.province_code,
        projected.kpi_id,
        projected.segment,
        projected.measure,
        projected.probability_non_compliant,
        projected.is_already_lost,
        projected.reliability,
        not compliance.is_compliant as did_breach
    from projected
    inner join kpi_compliance as compliance
        on
            projected.period_month = compliance.period_month
            and projected.province_code = compliance.province_code
            and projected.kpi_id = compliance.kpi_id
            and projected.segment = compliance.segment
)

select * from final
