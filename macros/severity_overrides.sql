{#-
    severity_overrides: kpiwatch.toml's [severity] as rows (kpi_id '*' for every KPI, else
    one KPI), from the var severity_overrides that kpiwatch passes to dbt: a list of
    {kpi_id, major_shortfall, critical_shortfall, critical_when_cases_over_ceiling}, each
    setting null where the file leaves it to the default. kpiwatch checks the names and
    numbers before dbt sees them; quotes are doubled all the same.
-#}
{% macro severity_overrides() -%}
    {%- set rows = var('severity_overrides', []) -%}
    {#- sqlfluff's stand-in var() returns a string, and kpiwatch always passes a list -#}
    {%- if rows is string -%}{%- set rows = [] -%}{%- endif -%}
    select
        kpi_id,
        cast(major_shortfall as double) as major_shortfall,
        cast(critical_shortfall as double) as critical_shortfall,
        cast(critical_when_cases_over_ceiling as boolean) as critical_when_cases_over_ceiling
    from (
        values (null, null, null, null){% for row in rows %}, {{ _severity_row(row) }}{% endfor %}
    ) as overrides (
        kpi_id, major_shortfall, critical_shortfall, critical_when_cases_over_ceiling
    )
    where kpi_id is not null
{%- endmacro %}

{% macro _severity_row(row) -%}
    ('{{ row.kpi_id | replace("'", "''") }}', {{ _severity_setting(row.major_shortfall) }},
    {{ _severity_setting(row.critical_shortfall) }},
    {{ _severity_setting(row.critical_when_cases_over_ceiling) }})
{%- endmacro %}

{% macro _severity_setting(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true -%}
        true
    {%- elif value is sameas false -%}
        false
    {%- else -%}
        {{ value | float }}
    {%- endif -%}
{%- endmacro %}
