-- sqlfluff:rules:references.keywords:ignore_words:value
-- (value is the published column name a dashboard reads)
-- How bad each breach is, and since when: one row per non-compliant province (and the
-- nation, flagged) × KPI × segment × month of kpi_compliance, with its shortfall, one
-- severity judged by the KPI's band (kpiwatch's default bands, overridden by kpiwatch.toml
-- [severity]), the band beside it, the episode it belongs to and the days missed in the
-- month. The alerts, the monthly report and every dashboard page read severity, its rank
-- and episodes here; nothing else computes them.
with

kpi_compliance as (
    select * from {{ ref('kpi_compliance') }}
),

kpi_compliance_daily as (
    select * from {{ ref('kpi_compliance_daily') }}
),

default_severity_bands as (
    select * from {{ ref('default_severity_bands') }}
),

overrides as (
    {{ severity_overrides() }}
),

bands as (
    select
        default_bands.kpi_id,
        coalesce(
            one_kpi.major_shortfall, every_kpi.major_shortfall, default_bands.major_shortfall
        ) as major_shortfall,
        coalesce(
            one_kpi.critical_shortfall,
            every_kpi.critical_shortfall,
            default_bands.critical_shortfall
        ) as critical_shortfall,
        coalesce(
            one_kpi.critical_when_cases_over_ceiling,
            every_kpi.critical_when_cases_over_ceiling,
            default_bands.critical_when_cases_over_ceiling
        ) as critical_when_cases_over_ceiling,
        case
            when one_kpi.kpi_id is not null
                then 'kpiwatch.toml [severity.kpis.' || default_bands.kpi_id || ']'
            when every_kpi.kpi_id is not null then 'kpiwatch.toml [severity]'
            else 'kpiwatch default'
        end as band_origin
    from default_severity_bands as default_bands
    left join overrides as one_kpi on default_bands.kpi_id = one_kpi.kpi_id
    left join overrides as every_kpi on every_kpi.kpi_id = '*'
),

-- Months as a count (year × 12 + month): a run of breaches is unbroken while its months
-- follow each other; a compliant month or a month with no figure ends it.
runs as (
    select
        *,
        year(period_month) * 12 + month(period_month) - row_number() over (
            partition by province_code, kpi_id, segment, is_compliant
            order by period_month
        ) as run_key
    from kpi_compliance
),

episodes as (
    select
        *,
        min(period_month) over (
            partition by province_code, kpi_id, segment, run_key
        ) as episode_start_month,
        row_number() over (
            partition by province_code, kpi_id, segment, run_key
            order by period_month
        ) as months_in_breach
    from runs
    where not is_compliant
),

missed_days as (
    select
        province_code,
        kpi_id,
        segment,
        year(period_date) * 12 + month(period_date) as month_number,
        sum(case when is_compliant then 0 else 1 end) as days_missed
    from kpi_compliance_daily
    group by province_code, kpi_id, segment, year(period_date) * 12 + month(period_date)
),

shortfalls as (
    select
        episodes.*,
        -- 9 decimals: a value exactly at a band's edge is in the band, whatever the binary
        -- rounding of the subtraction (0.92 - 0.828 is 0.09200000000000008).
        round(
            case
                when episodes.threshold = 0 then -episodes.margin
                else -episodes.margin / abs(episodes.threshold)
            end,
            9
        ) as relative_shortfall
    from episodes
),

-- The verdict: the KPI's band judges the row's severity, and names the band beside it.
judged as (
    select
        shortfalls.*,
        case
            when bands.critical_when_cases_over_ceiling and shortfalls.breach_count > 0
                then 'critical'
            when shortfalls.relative_shortfall >= bands.critical_shortfall then 'critical'
            when shortfalls.relative_shortfall >= bands.major_shortfall then 'major'
            else 'minor'
        end as severity,
        case
            when bands.critical_when_cases_over_ceiling and shortfalls.breach_count > 0
                then 'cases over ceiling'
            else 'shortfall'
        end as severity_reason,
        bands.major_shortfall as band_major_shortfall,
        bands.critical_shortfall as band_critical_shortfall,
        bands.critical_when_cases_over_ceiling as band_critical_when_cases_over_ceiling,
        bands.band_origin
    from shortfalls
    left join bands on shortfalls.kpi_id = bands.kpi_id
),

final as (
    select
        judged.period_month,
        judged.province_code,
        judged.province_code = '{{ var("national_code") }}' as is_national,
        judged.kpi_id,
        judged.segment,
        judged.value,
        judged.threshold,
        judged.comparator,
        judged.unit,
        judged.sample_size,
        judged.margin,
        -judged.margin as shortfall,
        judged.relative_shortfall,
        judged.breach_count as cases_over_limit,
        judged.severity,
        -- The order of the severities, written here and nowhere else: whoever sorts
        -- breaches, or takes the worst of several, does it by this number, not by names.
        case judged.severity
            when 'minor' then 1
            when 'major' then 2
            when 'critical' then 3
        end as severity_rank,
        judged.severity_reason,
        judged.band_major_shortfall,
        judged.band_critical_shortfall,
        judged.band_critical_when_cases_over_ceiling,
        judged.band_origin,
        judged.episode_start_month,
        cast(judged.months_in_breach as bigint) as months_in_breach,
        cast(missed_days.days_missed as bigint) as days_missed,
        judged.catalog_version
    from judged
    left join missed_days
        on
            judged.province_code = missed_days.province_code
            and judged.kpi_id = missed_days.kpi_id
            and judged.segment = missed_days.segment
            and year(judged.period_month) * 12 + month(judged.period_month)
            = missed_days.month_number
)

select * from final
