-- Repair tickets and installation orders still open at the end of a period (opened before
-- the instant the period is measured at, not completed before the period end), with their
-- age then: measured_at − start − suspended minutes of the latest version, in the unit of
-- the *_max KPI they enter (docs/standard.md §2). One row per item × period it was open at the
-- end of, months and days alike, checked against that period's case limit.
with

fct_mobile_repairs as (
    select * from {{ ref('fct_mobile_repairs') }}
),

fct_broadband_faults as (
    select * from {{ ref('fct_broadband_faults') }}
),

fct_install_orders as (
    select * from {{ ref('fct_install_orders') }}
),

int_periods_spined as (
    select * from {{ ref('int_periods_spined') }}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

items as (
    select
        'mobile_repairs' as source_name,
        'mobile_repair_hours_max' as kpi_id,
        'all' as segment,
        ticket_id as case_id,
        province_code,
        city_code,
        reported_at as opened_at,
        restored_at as closed_at,
        suspended_minutes,
        3600 as unit_seconds
    from fct_mobile_repairs
    where not is_terminal_caused

    union all

    select
        'broadband_faults' as source_name,
        'broadband_repair_hours_max' as kpi_id,
        area_type as segment,
        ticket_id as case_id,
        province_code,
        city_code,
        reported_at as opened_at,
        restored_at as closed_at,
        suspended_minutes,
        3600 as unit_seconds
    from fct_broadband_faults

    union all

    select
        'install_orders' as source_name,
        'install_days_max' as kpi_id,
        'all' as segment,
        order_id as case_id,
        province_code,
        city_code,
        accepted_at as opened_at,
        completed_at as closed_at,
        suspended_minutes,
        86400 as unit_seconds
    from fct_install_orders
    where is_fixed_phone
),

open_at_period_end as (
    select
        items.source_name,
        items.kpi_id,
        items.segment,
        items.case_id,
        items.province_code,
        items.city_code,
        periods.period_grain,
        periods.period_start,
        periods.measured_at,
        periods.is_running,
        items.opened_at,
        {{ duration_in_units(
            'items.opened_at', 'periods.measured_at', 'items.suspended_minutes',
            'items.unit_seconds'
        ) }} as age
    from items
    inner join int_periods_spined as periods
        on
            items.source_name = periods.source_name
            and items.opened_at < periods.measured_at
            and (items.closed_at is null or items.closed_at >= periods.period_end_at)
),

checked as (
    select
        open_at_period_end.*,
        versions.case_limit,
        versions.case_limit_unit,
        versions.catalog_version,
        open_at_period_end.age > versions.case_limit as is_beyond_limit
    from open_at_period_end
    inner join int_kpi_versions_dated as versions
        on {{ version_in_force('open_at_period_end', 'period_start') }}
)

select * from checked
