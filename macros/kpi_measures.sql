{#-
    kpi_measure_ctes: the CTEs every compliance mart starts with, ending in `all_measures`,
    one row per period × province (× city) × KPI × segment × measure × case limit, with the
    additive measures `judged_ctes` turns into a value and a verdict.

    They read the affected periods only in an incremental build, union the event measures
    with the open items' ages (a *_max KPI's population is both), and either roll the
    provinces up to the nation (`national_code`; with the hotline's dark hours, which only
    a province or the nation has) or, `by_city`, keep each city and leave the nation out.

      period  the mart's period column: period_month or period_date
      grain   its grain: month or day
      by_city true for kpi_compliance_city (cities with a code; no hotline, no nation)

    One macro for the three marts, so a month, a day and a city are always measured alike.
-#}
{% macro kpi_measure_ctes(period, grain, by_city=false) -%}
    {%- set place = ['province_code', 'city_code'] if by_city else ['province_code'] -%}
int_kpi_measures_aggregated as (
    {{ rows_in_affected_periods(
        'int_kpi_measures_aggregated', period, grain,
        where='city_code is not null' if by_city else none,
    ) }}
),

int_open_items_aggregated as (
    {{ rows_in_affected_periods(
        'int_open_items_aggregated', 'period_start', grain,
        where="period_grain = '" ~ grain ~ "'",
    ) }}
),

{% if not by_city -%}
int_hotline_hours_aggregated as (
    {{ rows_in_affected_periods('int_hotline_hours_aggregated', period, grain) }}
),
    {%- endif %}

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

measure_parts as (
    select
        {{ period }},
        {{ place | join(',\n        ') }},
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
        period_start as {{ period }},
        {{ place | join(',\n        ') }},
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
        {{ period }},
        {% if by_city -%}
            province_code,
            city_code,
        {%- else -%}
            {{ province_or_nation(
                'province_code'
            ) }} as province_code,
    {%- endif %}
        kpi_id,
        segment,
        measure,
        case_limit,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count,
        {{ sum_in_value_order('value_sum') }} as value_sum,
        max(value_max) as value_max
    from measure_parts
    {% if by_city -%}
        group by {{ period }}, province_code, city_code, kpi_id, segment, measure, case_limit
    {%- else -%}
        group by {{ by_province_and_nation(
            [period, 'province_code', 'kpi_id', 'segment', 'measure', 'case_limit']
        ) }}
    {%- endif %}
),

{% if by_city -%}
all_measures as (
    select * from measures
)
{%- else -%}
hotline_hours as (
    select
        {{ period }},
        province_code,
        hour_at,
        call_count,
        answered_count
    from int_hotline_hours_aggregated

    union all

    select
        {{ period }},
        '{{ var("national_code") }}' as province_code,
        hour_at,
        sum(call_count) as call_count,
        sum(answered_count) as answered_count
    from int_hotline_hours_aggregated
    group by {{ period }}, hour_at
),

dark_hours as (
    select
        {{ period }},
        province_code,
        'hotline_24x7_dark_hours' as kpi_id,
        'all' as segment,
        'count' as measure,
        null as case_limit,
        count(*) filter (where call_count > 0) as sample_size,
        count(*) filter (where call_count > 0 and answered_count = 0) as beyond_count,
        null as value_sum,
        null as value_max
    from hotline_hours
    group by {{ period }}, province_code
),

all_measures as (
    select * from measures
    union all
    select * from dark_hours
)
    {%- endif %}
{%- endmacro %}
