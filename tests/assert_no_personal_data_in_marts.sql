-- Personal data (the caller's number, even hashed) may not pass staging: marts are read by
-- dashboards and analysts without a need to know who called. Any marts column named like a
-- column tagged pii in the project, or like a phone number or a hash, fails here.
{{ config(severity='error') }}

{%- set pii_columns = pii_column_names() %}

with

marts_columns as (
    select
        table_name,
        column_name
    from information_schema.columns
    where
        table_catalog = current_database()
        and table_schema = '{{ ref("kpi_compliance").schema }}'
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
