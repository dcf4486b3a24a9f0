{#-
    The join condition of the catalog version that judges a row: the version of its KPI and
    segment in force on the first day of its period (docs/standard.md). `rows` is the joined
    rows' alias, `period` their period column, `versions` the alias of int_kpi_versions_dated.
-#}
{% macro version_in_force(rows, period, versions='versions') -%}
    {{ rows }}.kpi_id = {{ versions }}.kpi_id
    and {{ rows }}.segment = {{ versions }}.segment
    and {{ rows }}.{{ period }} between {{ versions }}.effective_from and {{ versions }}.effective_until
{%- endmacro %}
