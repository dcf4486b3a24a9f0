-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- One row per case that broke a per-case limit in a month: a ticket waited or was handled
-- too long, a call was not answered in time (or at all), a repair or installation took
-- longer than the ceiling, or was still open at the month end and already older than it.
-- The limit is that of the catalog version judging the month. Counted per month × province
-- × KPI × segment, these are kpi_compliance.breach_count. Hall and hotline cases carry the
-- customer's tier, so breach cases by tier are read here, not joined to the facts.
{{ incremental_by_period('period_month', 'month') }}
with

int_kpi_cases_unioned as (
    {{ rows_in_affected_periods('int_kpi_cases_unioned', 'period_month', 'month') }}
),

int_open_items_aged as (
    {{ rows_in_affected_periods(
        'int_open_items_aged', 'period_start', 'month',
        where="period_grain = 'month' and is_beyond_limit",
    ) }}
),

int_kpi_measures_aggregated as (
    {{ rows_in_affected_periods('int_kpi_measures_aggregated', 'period_month', 'month') }}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

measured_months as (
    select distinct
        period_month,
        kpi_id,
        segment
    from int_kpi_measures_aggregated
    where case_limit is not null
),

month_limits as (
    select
        measured_months.period_month,
        measured_months.kpi_id,
        measured_months.segment,
        versions.case_limit,
        versions.case_limit_unit,
        versions.catalog_version
    from measured_months
    inner join int_kpi_versions_dated as versions
        on {{ version_in_force('measured_months', 'period_month') }}
    where versions.case_limit is not null
),

completed_cases as (
    select
        cases.period_month,
        cases.source_name,
        cases.case_id,
        cases.kpi_id,
        cases.segment,
        cases.province_code,
        cases.city_code,
        cases.measured_value,
        month_limits.case_limit,
        month_limits.case_limit_unit,
        month_limits.catalog_version,
        cases.customer_tier
    from int_kpi_cases_unioned as cases
    inner join month_limits
        on
            cases.kpi_id = month_limits.kpi_id
            and cases.segment = month_limits.segment
            and cases.period_month = month_limits.period_month
    where cases.measured_value is null or cases.measured_value > month_limits.case_limit
),

open_cases as (
    select
        period_start as period_month,
        source_name,
        case_id,
        kpi_id,
        segment,
        province_code,
        city_code,
        age as measured_value,
        case_limit,
        case_limit_unit,
        catalog_version,
        cast(null as string) as customer_tier
    from int_open_items_aged
),

final as (
    {%- for cases, is_open in [('completed_cases', 'false'), ('open_cases', 'true')] %}
        select
            period_month,
            source_name as source,
            case_id,
            kpi_id,
            segment,
            province_code,
            city_code,
            measured_value,
            case_limit,
            case_limit_unit,
            {{ is_open }} as is_open,
            catalog_version,
            customer_tier
        from {{ cases }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
