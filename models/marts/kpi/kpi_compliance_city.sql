-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator with a city in its source per local calendar month × prefecture-level
-- city × segment, judged by the catalog version in force on the month's first day. Hotline
-- calls carry no city: their KPIs are published per province only.
with

int_kpi_measures_aggregated as (
    select * from {{ ref('int_kpi_measures_aggregated') }}
    where city_code is not null
),

int_open_items_aggregated as (
    select * from {{ ref('int_open_items_aggregated') }}
    where period_grain = 'month'
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

measure_parts as (
    select
        period_month,
        province_code,
        city_code,
        kpi_id,
        segment,
        measure,
        case_limit,
        sample_size,
        beyond_count,
        value_sum,
        value_max
    from int_kpi_measures_aggregated

    union all

    select
        period_start as period_month,
        province_code,
        city_code,
        kpi_id,
        segment,
        'max' as measure,
        case_limit,
        item_count as sample_size,
        beyond_count,
        null as value_sum,
        age_max as value_max
    from int_open_items_aggregated
),

measures as (
    select
        period_month,
        province_code,
        city_code,
        kpi_id,
        segment,
        measure,
        case_limit,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count,
        sum(value_sum) as value_sum,
        max(value_max) as value_max
    from measure_parts
    group by period_month, province_code, city_code, kpi_id, segment, measure, case_limit
),

judged as (
    select
        measures.period_month,
        measures.province_code,
        measures.city_code,
        measures.kpi_id,
        measures.segment,
        {{ kpi_value(
            'measures.measure', 'measures.sample_size', 'measures.beyond_count',
            'measures.value_sum', 'measures.value_max'
        ) }} as value,
        versions.threshold,
        versions.comparator,
        versions.unit,
        cast(measures.sample_size as bigint) as sample_size,
        cast(measures.beyond_count as bigint) as breach_count,
        versions.catalog_version
    from measures
    inner join int_kpi_versions_dated as versions
        on
            measures.kpi_id = versions.kpi_id
            and measures.segment = versions.segment
            and measures.period_month between versions.effective_from and versions.effective_until
            and measures.case_limit is not distinct from versions.case_limit
    where measures.sample_size > 0
),

final as (
    select
        period_month,
        province_code,
        city_code,
        kpi_id,
        segment,
        value,
        threshold,
        comparator,
        unit,
        sample_size,
        breach_count,
        {{ kpi_margin('comparator', 'value', 'threshold') }} >= 0 as is_compliant,
        {{ kpi_margin('comparator', 'value', 'threshold') }} as margin,
        catalog_version
    from judged
)

select * from final
