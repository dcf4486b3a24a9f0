{#-
    kpi_value: a KPI's value from the additive measures of its population.
      share  cases within the per-case limit ÷ cases (a fraction in [0, 1])
      ratio  Σ connected ÷ Σ attempts
      mean   Σ duration ÷ completed items
      max    the largest duration (completed items and items open at the period end)
      count  a count of clock hours (hotline_24x7_dark_hours)

    kpi_margin: signed distance to the threshold, positive when the value is better than it
    (above a '>=' floor, below a '<=' ceiling); a KPI is compliant when it is >= 0.
-#}
{% macro kpi_value(measure, sample_size, beyond_count, value_sum, value_max) -%}
    case {{ measure }}
        when 'share' then cast({{ sample_size }} - {{ beyond_count }} as double) / {{ sample_size }}
        when 'ratio' then {{ value_sum }} / {{ sample_size }}
        when 'mean' then {{ value_sum }} / {{ sample_size }}
        when 'max' then {{ value_max }}
        when 'count' then cast({{ beyond_count }} as double)
    end
{%- endmacro %}

{% macro kpi_margin(comparator, value, threshold) -%}
    case {{ comparator }}
        when '>=' then {{ value }} - {{ threshold }}
        when '<=' then {{ threshold }} - {{ value }}
    end
{%- endmacro %}

{#-
    judged_ctes: the two last CTEs of a compliance mart, `judged` and `final`. Each row of
    `measures` (additive measures per key × kpi_id × segment × measure × case_limit) is
    judged by the catalog version in force on its period (keys[0], a DATE) whose case_limit
    it was counted against (`versions` is int_kpi_versions_dated); rows with no sample are
    not published. `final` has the published columns: the keys, kpi_id, segment, value,
    threshold, comparator, unit, sample_size, breach_count, is_compliant, margin and
    catalog_version.
-#}
{% macro judged_ctes(measures, keys, versions='int_kpi_versions_dated') -%}
judged as (
    select
        {{ measures }}.{{ keys | join(', ' ~ measures ~ '.') }},
        {{ measures }}.kpi_id,
        {{ measures }}.segment,
        {{ kpi_value(
            measures ~ '.measure', measures ~ '.sample_size', measures ~ '.beyond_count',
            measures ~ '.value_sum', measures ~ '.value_max'
        ) }} as value,
        versions.threshold,
        versions.comparator,
        versions.unit,
        cast({{ measures }}.sample_size as bigint) as sample_size,
        cast({{ measures }}.beyond_count as bigint) as breach_count,
        versions.catalog_version
    from {{ measures }}
    inner join {{ versions }} as versions
        on
            {{ version_in_force(measures, keys[0]) }}
            and {{ measures }}.case_limit is not distinct from versions.case_limit
    where {{ measures }}.sample_size > 0
),

final as (
    select
        {{ keys | join(', ') }},
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
{%- endmacro %}
