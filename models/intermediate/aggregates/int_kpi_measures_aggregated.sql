-- Additive measures per local day × city × KPI × segment (hotline calls carry no city), from
-- which every published grain rolls up: cases, the sum and the largest measured value, and
-- the cases beyond a per-case limit — counted once for each distinct case_limit of the
-- catalog versions in force from the day's month to the end of the third month after it:
-- the day's own version, its month's (which judges the month), and those of the months whose
-- early warning reads the day as history (at_risk_history_months()). Only those: a
-- day's rows then depend on the catalog of those months alone, so a changed limit changes
-- the days from three months before it on, not every day (int_periods_affected). For the
-- connection rates: Σ attempts and Σ connected, without a limit. Materialized: the three
-- compliance marts read it instead of the event facts. Incremental by day: an incremental
-- build recomputes the affected days only (int_periods_affected).
{{ incremental_by_period('period_date', 'day') }}

with

int_kpi_cases_unioned as (
    select * from {{ ref('int_kpi_cases_unioned') }}
    {% if is_incremental() -%}
        where {{ in_affected_periods('period_date', 'day') }}
    {%- endif %}
),

fct_network_calls as (
    select * from {{ ref('fct_network_calls') }}
    {% if is_incremental() -%}
        where {{ in_affected_periods('stat_date', 'day') }}
    {%- endif %}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

case_days as (
    select distinct
        period_month,
        period_date,
        kpi_id,
        segment
    from int_kpi_cases_unioned
),

case_limits as (
    select distinct
        case_days.period_date,
        case_days.kpi_id,
        case_days.segment,
        versions.case_limit
    from case_days
    inner join int_kpi_versions_dated as versions
        on
            case_days.kpi_id = versions.kpi_id
            and case_days.segment = versions.segment
            and case_days.period_month <= versions.effective_until
            and cast({{ dbt.dateadd(
                'month', at_risk_history_months() + 1, 'case_days.period_month'
            ) }} as date)
            > versions.effective_from
    where versions.case_limit is not null
),

cases as (
    select
        cases.period_month,
        cases.period_date,
        cases.province_code,
        cases.city_code,
        cases.kpi_id,
        cases.segment,
        cases.measure,
        case_limits.case_limit,
        count(*) as sample_size,
        count(*) filter (
            where cases.measured_value is null or cases.measured_value > case_limits.case_limit
        ) as beyond_count,
        {{ sum_in_value_order('cases.measured_value') }} as value_sum,
        max(cases.measured_value) as value_max
    from int_kpi_cases_unioned as cases
    left join case_limits
        on
            cases.period_date = case_limits.period_date
            and cases.kpi_id = case_limits.kpi_id
            and cases.segment = case_limits.segment
    group by
        cases.period_month,
        cases.period_date,
        cases.province_code,
        cases.city_code,
        cases.kpi_id,
        cases.segment,
        cases.measure,
        case_limits.case_limit
),

counters as (
    select
        stat_month as period_month,
        stat_date as period_date,
        province_code,
        city_code,
        network || '_connect_rate' as kpi_id,
        'all' as segment,
        'ratio' as measure,
        cast(null as double) as case_limit,
        cast(sum(attempts) as bigint) as sample_size,
        cast(null as bigint) as beyond_count,
        cast(sum(connected) as double) as value_sum,
        cast(null as double) as value_max
    from fct_network_calls
    group by stat_month, stat_date, province_code, city_code, network
),

final as (
    select * from cases
    union all
    select * from counters
)

select * from final
