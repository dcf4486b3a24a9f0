-- Personal data (the caller's number, even hashed) may not pass staging: marts are read by
-- dashboards and analysts without a need to know who called. Any marts column named like a
-- column tagged pii in the project, or like a phone number or a hash, fails here.
{{ config(severity='error') }}
-- The test reads the columns of the built tables, so it runs after all of them:
-- depends_on: {{ ref('kpi_compliance') }}
-- depends_on: {{ ref('fct_hall_tickets') }}
-- depends_on: {{ ref('fct_hotline_calls') }}
-- depends_on: {{ ref('fct_network_calls') }}
-- depends_on: {{ ref('fct_mobile_repairs') }}
-- depends_on: {{ ref('fct_broadband_faults') }}
-- depends_on: {{ ref('fct_install_orders') }}
-- depends_on: {{ ref('kpi_breach_cases') }}
-- depends_on: {{ ref('kpi_compliance_city') }}
-- depends_on: {{ ref('kpi_compliance_daily') }}

{%- set pii_columns = pii_column_names() %}
{#- The columns of every built table in the marts schema, as the engine reports them
    (information_schema is DuckDB's; Spark has none). -#}
{%- set marts_columns = [] %}
{%- if execute %}
    {%- set marts_schema = ref('kpi_compliance').schema %}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.schema == marts_schema %}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) %}
        {%- for column in (adapter.get_columns_in_relation(relation) if relation else []) %}
            {%- do marts_columns.append((node.alias, column.name)) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}
{%- if not marts_columns %}{% do marts_columns.append(('(none)', '(none)')) %}{% endif %}

with

marts_columns as (
    select
        found.table_name,
        found.column_name
    from (
        values
        {% for table_name, column_name in marts_columns -%}
            ('{{ table_name }}', '{{ column_name }}'){{ "," if not loop.last }}
        {% endfor %}
    ) as found (table_name, column_name)
)

select
    table_name,
    column_name
from marts_columns
where
    column_name like '%caller%'
    or column_name like '%phone_number%'
    or column_name like '%hash%'
    or column_name in ('{{ pii_columns | join("', '") }}')
