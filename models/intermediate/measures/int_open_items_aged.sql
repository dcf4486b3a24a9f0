-- Repair tickets and installation orders still open at the end of a period (opened before
-- the instant the period is measured at, not completed before the period end), with their
-- age then: measured_at − start − suspended minutes of the latest version, in the unit of
-- the *_max KPI they enter (docs/standard.md §2). One row per item × period it was open at the
-- end of, months and days alike, checked against that period's case limit. Which items
-- each *_max KPI counts is written once, in duration_kpi_sources().
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
    {%- for items in duration_kpi_sources() %}
        select
            '{{ items.source }}' as source_name,
            '{{ items.kpi_prefix }}_max' as kpi_id,
            {{ items.segment }} as segment,
            {{ items.case_id }} as case_id,
            province_code,
            city_code,
            {{ items.opened_at }} as opened_at,
            {{ items.closed_at }} as closed_at,
            suspended_minutes,
            {{ items.unit_seconds }} as unit_seconds
        from fct_{{ items.source }}
        {% if items.counted %}where {{ items.counted }}{% endif %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
