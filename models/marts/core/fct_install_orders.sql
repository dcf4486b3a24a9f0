{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'install_orders'}},
    )
}}

-- depends_on: {{ source('landing', 'install_orders') }}
with

int_install_orders_measured as (
    select * from {{ ref('int_install_orders_measured') }}
),

final as (
    select
        order_id,
        province_code,
        city_code,
        area_type,
        service,
        order_type,
        is_fixed_phone,
        accepted_at,
        completed_at,
        suspended_minutes,
        is_completed,
        install_days,
        completed_month,
        completed_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_install_orders_measured
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('install_orders', ['order_id']) }}
{% endif %}
