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
