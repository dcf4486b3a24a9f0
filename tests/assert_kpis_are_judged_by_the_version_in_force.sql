-- A period is judged by the catalog version in force on its first day (a month's first day,
-- or the day itself): a row judged by another version shows a threshold the operator had
-- not set then, e.g. July 2026 judged against the 0.90 that ended on 30 June.
{{ config(severity='error') }}

{%- set judged_marts = [
    ('kpi_compliance', 'period_month'),
    ('kpi_compliance_city', 'period_month'),
    ('kpi_compliance_daily', 'period_date'),
] %}

with
{% for mart, period in judged_marts %}
    {{ mart }} as (
        select * from {{ ref(mart) }}
    ),
{% endfor %}

dim_kpi_catalog as (
    select * from {{ ref('dim_kpi_catalog') }}
),

judged as (
    {%- for mart, period in judged_marts %}
        select
            '{{ mart }}' as mart,
            {{ period }} as period_start,
            kpi_id,
            segment,
            threshold,
            comparator,
            catalog_version
        from {{ mart }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    judged.mart,
    judged.period_start,
    judged.kpi_id,
    judged.segment,
    judged.catalog_version as judged_by,
    in_force.catalog_version as in_force
from judged
left join dim_kpi_catalog as in_force
    on
        judged.kpi_id = in_force.kpi_id
        and judged.segment = in_force.segment
        and judged.period_start >= in_force.effective_from
        and (in_force.effective_to is null or judged.period_start <= in_force.effective_to)
        and not in_force.is_information_only
where
    in_force.kpi_id is null
    or judged.catalog_version <> in_force.catalog_version
    or judged.threshold <> in_force.threshold
    or judged.comparator <> in_force.comparator
