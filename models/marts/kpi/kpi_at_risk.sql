-- The early warning of the running month (docs/early-warning.md): for each source's running
-- month, per province (and the nation) × KPI × segment, the value so far, its projection to
-- the month end with an interval, and the probability that the month ends non-compliant.
-- The method is the macro at_risk_ctes (macros/at_risk_projection.sql), which the backtest
-- also runs over past cutoffs. A table rebuilt on every run: it holds one month.
-- depends_on: {{ ref('int_periods_affected') }}
with

int_kpi_measures_aggregated as (
    select * from {{ ref('int_kpi_measures_aggregated') }}
),

int_kpi_cases_unioned as (
    select * from {{ ref('int_kpi_cases_unioned') }}
    where {{ running_months_range('period_date') }}
),

int_open_items_aged as (
    select * from {{ ref('int_open_items_aged') }}
    where period_grain = 'day' and {{ running_months_range('period_start') }}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

int_sources_as_of as (
    select * from {{ ref('int_sources_as_of') }}
),

-- The as-of day of each source is the last day observed of its running month.
cutoffs as (
    select
        source_name,
        {{ local_date('as_of_at') }} as cutoff_date
    from int_sources_as_of
),

{{ at_risk_ctes('cutoffs') }},

final as (
    select
        period_month,
        province_code,
        province_code = '{{ var("national_code") }}' as is_national,
        kpi_id,
        segment,
        measure,
        comparator,
        threshold,
        unit,
        cutoff_date as as_of_date,
        cast(days_observed as integer) as days_observed,
        cast(days_in_month as integer) as days_in_month,
        month_to_date_value,
        sample_size,
        breach_count,
        expected_rest_cases,
        projected_value,
        projected_low,
        projected_high,
        probability_non_compliant,
        is_already_lost,
        open_item_count,
        open_items_crossing_count,
        reliability,
        catalog_version
    from projected
)

select * from final
