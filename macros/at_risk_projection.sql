{#-
    The early warning of the running month (docs/early-warning.md), written once so that the
    mart kpi_at_risk (the as-of day of each source) and the backtest (day 10 and day 20 of
    past months) compute it alike. The calling model defines the CTEs int_kpi_measures_aggregated,
    int_kpi_cases_unioned, int_open_items_aged, int_kpi_versions_dated, int_sources_as_of and
    `cutoffs` (source_name, cutoff_date: the last local day counted as observed); everything
    before the cutoff's end is what was known then. at_risk_ctes ends in the CTE `projected`.

    The method, per cutoff × province (and the nation) × KPI × segment of the cutoff's month:
      - the rest of the month's cases: Σ over the days after the cutoff of the mean cases on
        that weekday in the three months before (from the source's first day), else the
        month-to-date daily pace;
      - share, ratio and mean KPIs keep their month-to-date value as the projection; the
        month-end value is the month-to-date cases plus the rest, so its variance is
        σ²·(m + m²/n)/(n + m)² (n cases so far, m to come, σ² the binomial p(1-p) or the
        sample variance); interval ±1.96 σ, probability of missing from the normal CDF;
      - max KPIs are lost once one case (completed, or open at the cutoff) is over the
        ceiling; otherwise each case to come and each open item that would pass the ceiling
        by the month end if still open may cross it with the share of cases that crossed in
        the three months before: P(miss) = 1 - (1 - q)^(m + k).
-#}

{#- Φ(z), the standard normal CDF: Abramowitz & Stegun 26.2.17 (error below 7.5e-8), portable
    SQL (neither DuckDB nor Spark has erf). -#}
{% macro normal_cdf(z) -%}
    (case when {{ z }} >= 0 then 1 - {{ normal_upper_tail('abs(' ~ z ~ ')') }}
        else {{ normal_upper_tail('abs(' ~ z ~ ')') }} end)
{%- endmacro %}

{% macro normal_upper_tail(x) -%}
    (
        exp(-({{ x }}) * ({{ x }}) / 2) / sqrt(2 * pi())
        * (
            0.319381530 * (1 / (1 + 0.2316419 * {{ x }}))
            - 0.356563782 * power(1 / (1 + 0.2316419 * {{ x }}), 2)
            + 1.781477937 * power(1 / (1 + 0.2316419 * {{ x }}), 3)
            - 1.821255978 * power(1 / (1 + 0.2316419 * {{ x }}), 4)
            + 1.330274429 * power(1 / (1 + 0.2316419 * {{ x }}), 5)
        )
    )
{%- endmacro %}

{#- The larger of two values, either of which may be unknown (NULL); NULL when both are. -#}
{% macro larger_known(a, b) -%}
    greatest(coalesce({{ a }}, {{ b }}), coalesce({{ b }}, {{ a }}))
{%- endmacro %}

{#- How many whole months before the projected month the early warning reads as history.
    int_kpi_measures_aggregated counts a day's cases against the case limits in force up to
    this many months after the day's month, so that the history it gives is exact. -#}
{% macro at_risk_history_months() -%}
    {{ return(3) }}
{%- endmacro %}

{% macro at_risk_ctes(cutoffs, history_months=at_risk_history_months()) -%}
    {#- Written once, used more than once below: what identifies a projection; the share of a
        share KPI's cases that met their limit; an open item's age at the month end if still
        open (`items` open at the cutoff, `versions` the cutoff's month), in its limit's unit. -#}
    {%- set at_risk_key = ['cutoff_date', 'province_code', 'kpi_id', 'segment'] %}
    {%- set share_met = 'cast(sample_size - beyond_count as double) / sample_size' %}
    {%- set age_at_month_end -%}
        (
            items.age
            + {{ elapsed_seconds('items.measured_at', local_midnight('versions.next_month')) }}
            / case items.case_limit_unit when 'days' then 86400 else 3600 end
        )
    {%- endset %}
at_risk_cutoffs as (
    select
        source_name,
        cutoff_date,
        period_month,
        next_month,
        history_from,
        {{ dbt.datediff('period_month', 'cutoff_date', 'day') }} + 1 as days_observed,
        {{ dbt.datediff('period_month', 'next_month', 'day') }} as days_in_month
    from (
        select
            source_name,
            cutoff_date,
            cast(date_trunc('month', cutoff_date) as date) as period_month,
            cast({{ dbt.dateadd('month', 1, "date_trunc('month', cutoff_date)") }} as date)
                as next_month,
            cast({{ dbt.dateadd('month', -history_months, "date_trunc('month', cutoff_date)") }}
                as date) as history_from
        from {{ cutoffs }}
    ) as months
),

at_risk_versions as (
    select
        cutoffs.source_name,
        cutoffs.cutoff_date,
        cutoffs.period_month,
        cutoffs.days_observed,
        cutoffs.days_in_month,
        cutoffs.history_from,
        versions.kpi_id,
        versions.segment,
        versions.comparator,
        versions.threshold,
        versions.unit,
        versions.case_limit,
        versions.case_limit_unit,
        versions.catalog_version
    from at_risk_cutoffs as cutoffs
    inner join int_kpi_versions_dated as versions
        on
            cutoffs.source_name = versions.source
            and cutoffs.period_month between versions.effective_from and versions.effective_until
),

-- The source's first local day with an event: history before it is no history.
at_risk_history_days as (
    select
        source_name,
        cutoff_date,
        dayofweek(cast(history_at as date)) as weekday,
        count(*) as day_count
    from (
        select
            cutoffs.source_name,
            cutoffs.cutoff_date,
            {{ local_date('coalesce(sources.first_attributed_at, sources.as_of_at)') }}
                as first_date,
            {{ date_series(
                'cutoffs.history_from', dbt.dateadd('day', -1, 'cutoffs.period_month'), 'day'
            ) }} as history_at
        from at_risk_cutoffs as cutoffs
        inner join int_sources_as_of as sources on cutoffs.source_name = sources.source_name
    ) as days
    where cast(history_at as date) >= first_date
    group by source_name, cutoff_date, dayofweek(cast(history_at as date))
),

at_risk_rest_days as (
    select
        source_name,
        cutoff_date,
        dayofweek(cast(rest_at as date)) as weekday,
        count(*) as day_count
    from (
        select
            source_name,
            cutoff_date,
            {{ date_series(
                dbt.dateadd('day', 1, 'cutoff_date'), dbt.dateadd('day', -1, 'next_month'), 'day'
            ) }} as rest_at
        from at_risk_cutoffs
        where cutoff_date < {{ dbt.dateadd('day', -1, 'next_month') }}
    ) as days
    group by source_name, cutoff_date, dayofweek(cast(rest_at as date))
),

-- Month-to-date measures (days up to the cutoff) and the three months before, per weekday.
at_risk_days as (
    select
        versions.cutoff_date,
        versions.source_name,
        measures.period_date >= versions.period_month as is_month_to_date,
        dayofweek(measures.period_date) as weekday,
        measures.province_code,
        measures.kpi_id,
        measures.segment,
        measures.measure,
        measures.sample_size,
        measures.beyond_count,
        measures.value_sum,
        measures.value_max
    from int_kpi_measures_aggregated as measures
    inner join at_risk_versions as versions
        on
            measures.kpi_id = versions.kpi_id
            and measures.segment = versions.segment
            and measures.case_limit is not distinct from versions.case_limit
            and measures.period_date >= versions.history_from
            and measures.period_date <= versions.cutoff_date
),

at_risk_month_to_date as (
    select
        cutoff_date,
        {{ province_or_nation('province_code') }} as province_code,
        kpi_id,
        segment,
        measure,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count,
        {{ sum_in_value_order('value_sum') }} as value_sum,
        max(value_max) as value_max
    from at_risk_days
    where is_month_to_date
    group by {{ by_province_and_nation(
        ['cutoff_date', 'province_code', 'kpi_id', 'segment', 'measure']
    ) }}
),

at_risk_history as (
    select
        cutoff_date,
        source_name,
        {{ province_or_nation('province_code') }} as province_code,
        kpi_id,
        segment,
        weekday,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count
    from at_risk_days
    where not is_month_to_date
    group by {{ by_province_and_nation(
        ['cutoff_date', 'source_name', 'province_code', 'kpi_id', 'segment', 'weekday']
    ) }}
),

-- Expected cases after the cutoff: Σ over its remaining weekdays of the mean cases per day.
at_risk_rest_from_history as (
    select
        history.cutoff_date,
        history.province_code,
        history.kpi_id,
        history.segment,
        {{ sum_in_value_order(
            'cast(history.sample_size as double) / history_days.day_count * rest_days.day_count'
        ) }} as expected_rest_cases
    from at_risk_history as history
    inner join at_risk_history_days as history_days
        on {{ matching('history', 'history_days', ['cutoff_date', 'source_name', 'weekday']) }}
    inner join at_risk_rest_days as rest_days
        on {{ matching('history', 'rest_days', ['cutoff_date', 'source_name', 'weekday']) }}
    group by history.cutoff_date, history.province_code, history.kpi_id, history.segment
),

at_risk_history_totals as (
    select
        cutoff_date,
        province_code,
        kpi_id,
        segment,
        sum(sample_size) as sample_size,
        sum(beyond_count) as beyond_count
    from at_risk_history
    group by cutoff_date, province_code, kpi_id, segment
),

at_risk_has_history as (
    select
        source_name,
        cutoff_date,
        sum(day_count) as history_day_count
    from at_risk_history_days
    group by source_name, cutoff_date
),

-- The spread of mean KPIs' cases so far (sample variance).
at_risk_spread as (
    select
        versions.cutoff_date,
        {{ province_or_nation('cases.province_code') }} as province_code,
        cases.kpi_id,
        cases.segment,
        -- from sums in value order, not var_samp: the result must not depend on the order
        -- the rows come in (an incremental build equals a full rebuild bit for bit)
        case
            when count(*) > 1
                then (
                    {{ sum_in_value_order('cases.measured_value * cases.measured_value') }}
                    - {{ sum_in_value_order('cases.measured_value') }}
                    * {{ sum_in_value_order('cases.measured_value') }} / count(*)
                ) / (count(*) - 1)
        end as value_variance
    from int_kpi_cases_unioned as cases
    inner join at_risk_versions as versions
        on
            cases.kpi_id = versions.kpi_id
            and cases.segment = versions.segment
            and cases.period_date >= versions.period_month
            and cases.period_date <= versions.cutoff_date
    where cases.measure = 'mean'
    group by {{ by_province_and_nation(
        ['versions.cutoff_date', 'cases.province_code', 'cases.kpi_id', 'cases.segment'],
        province='cases.province_code',
    ) }}
),

-- Items open at the cutoff's end: their age then, and whether they would pass the ceiling by
-- the month end if still open.
at_risk_open_items as (
    select
        versions.cutoff_date,
        {{ province_or_nation('items.province_code') }} as province_code,
        items.kpi_id,
        items.segment,
        count(*) as open_item_count,
        count(*) filter (where items.is_beyond_limit) as open_beyond_count,
        count(*) filter (
            where not items.is_beyond_limit and {{ age_at_month_end }} > items.case_limit
        ) as open_crossing_count,
        max(items.age) as open_age_max,
        max({{ age_at_month_end }}) as open_age_max_at_month_end
    from int_open_items_aged as items
    inner join (
        select distinct cutoff_date, next_month, source_name from at_risk_cutoffs
    ) as versions
        on
            items.source_name = versions.source_name
            and items.period_grain = 'day'
            and items.period_start = versions.cutoff_date
    group by {{ by_province_and_nation(
        ['versions.cutoff_date', 'items.province_code', 'items.kpi_id', 'items.segment'],
        province='items.province_code',
    ) }}
),

at_risk_keys as (
    select {{ at_risk_key | join(', ') }} from at_risk_month_to_date
    union
    select {{ at_risk_key | join(', ') }} from at_risk_open_items
),

at_risk_measured as (
    select
        keys.cutoff_date,
        versions.source_name,
        versions.period_month,
        keys.province_code,
        keys.kpi_id,
        keys.segment,
        coalesce(mtd.measure, 'max') as measure,
        versions.comparator,
        versions.threshold,
        versions.unit,
        versions.case_limit,
        versions.catalog_version,
        versions.days_observed,
        versions.days_in_month,
        coalesce(mtd.sample_size, 0) as sample_size,
        coalesce(mtd.beyond_count, 0) as beyond_count,
        mtd.value_sum,
        mtd.value_max,
        spread.value_variance,
        coalesce(open_items.open_item_count, 0) as open_item_count,
        coalesce(open_items.open_beyond_count, 0) as open_beyond_count,
        coalesce(open_items.open_crossing_count, 0) as open_crossing_count,
        open_items.open_age_max,
        open_items.open_age_max_at_month_end,
        history_totals.sample_size as history_sample_size,
        history_totals.beyond_count as history_beyond_count,
        coalesce(has_history.history_day_count, 0) > 0 as has_history,
        case
            when coalesce(has_history.history_day_count, 0) > 0
                then coalesce(rest.expected_rest_cases, 0)
            else
                cast(coalesce(mtd.sample_size, 0) as double) / versions.days_observed
                * (versions.days_in_month - versions.days_observed)
        end as expected_rest_cases
    from at_risk_keys as keys
    inner join at_risk_versions as versions
        on
            keys.cutoff_date = versions.cutoff_date
            and keys.kpi_id = versions.kpi_id
            and keys.segment = versions.segment
    left join at_risk_month_to_date as mtd
        on {{ matching('keys', 'mtd', at_risk_key) }}
    left join at_risk_spread as spread
        on {{ matching('keys', 'spread', at_risk_key) }}
    left join at_risk_open_items as open_items
        on {{ matching('keys', 'open_items', at_risk_key) }}
    left join at_risk_history_totals as history_totals
        on {{ matching('keys', 'history_totals', at_risk_key) }}
    left join at_risk_rest_from_history as rest
        on {{ matching('keys', 'rest', at_risk_key) }}
    left join at_risk_has_history as has_history
        on
            versions.source_name = has_history.source_name
            and keys.cutoff_date = has_history.cutoff_date
),

-- The month-to-date value and the spread of the month-end value around it.
at_risk_spread_of_month_end as (
    select
        *,
        case
            when measure = 'share' and sample_size > 0 then {{ share_met }}
            when measure in ('ratio', 'mean') and sample_size > 0
                then value_sum / sample_size
            when measure = 'max' then {{ larger_known('value_max', 'open_age_max') }}
        end as month_to_date_value,
        case
            when measure in ('share', 'ratio', 'mean') and sample_size > 0
                then sqrt(
                    greatest(
                        case
                            when measure = 'mean' then coalesce(value_variance, 0)
                            when measure = 'share' then {{ share_met }} * (1 - {{ share_met }})
                            else value_sum / sample_size * (1 - value_sum / sample_size)
                        end,
                        0
                    )
                    * (expected_rest_cases + expected_rest_cases * expected_rest_cases / sample_size)
                )
                / (sample_size + expected_rest_cases)
        end as month_end_sd,
        beyond_count + open_beyond_count > 0 and measure = 'max' as is_already_lost,
        case
            when history_sample_size > 0
                then cast(history_beyond_count as double) / history_sample_size
            when sample_size > 0 then cast(beyond_count as double) / sample_size
            else 0
        end as crossing_share
    from at_risk_measured
),

projected as (
    select
        cutoff_date,
        source_name,
        period_month,
        province_code,
        kpi_id,
        segment,
        measure,
        comparator,
        threshold,
        unit,
        catalog_version,
        days_observed,
        days_in_month,
        month_to_date_value,
        cast(sample_size as bigint) as sample_size,
        cast(beyond_count + open_beyond_count as bigint) as breach_count,
        expected_rest_cases,
        month_to_date_value as projected_value,
        case
            when measure = 'max' then month_to_date_value
            else greatest(month_to_date_value - 1.96 * month_end_sd, 0)
        end as projected_low,
        case
            when measure = 'max'
                then {{ larger_known('value_max', 'open_age_max_at_month_end') }}
            when measure = 'share' or measure = 'ratio'
                then least(month_to_date_value + 1.96 * month_end_sd, 1)
            else month_to_date_value + 1.96 * month_end_sd
        end as projected_high,
        case
            when measure = 'max' and is_already_lost then 1.0
            when measure = 'max'
                then 1 - power(1 - least(crossing_share, 1.0), expected_rest_cases + open_crossing_count)
            when month_end_sd is null then null
            when month_end_sd = 0
                then case
                    when comparator = '>=' and month_to_date_value < threshold then 1.0
                    when comparator = '<=' and month_to_date_value > threshold then 1.0
                    else 0.0
                end
            when comparator = '>='
                then {{ normal_cdf('(threshold - month_to_date_value) / month_end_sd') }}
            else 1 - {{ normal_cdf('(threshold - month_to_date_value) / month_end_sd') }}
        end as probability_non_compliant,
        is_already_lost,
        cast(open_item_count as bigint) as open_item_count,
        cast(open_crossing_count as bigint) as open_items_crossing_count,
        case
            when is_already_lost then 'already_lost'
            when days_observed < {{ var('at_risk_min_days', 7) }} then 'too_early'
            when measure <> 'max' and sample_size < {{ var('at_risk_min_cases', 30) }}
                then 'too_few_cases'
            when not has_history then 'no_history'
            else 'reliable'
        end as reliability
    from at_risk_spread_of_month_end
)
{%- endmacro %}
