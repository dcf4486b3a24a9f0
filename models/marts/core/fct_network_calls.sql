{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key=['stat_hour', 'city_code', 'network'],
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'network_calls'}},
    )
}}

-- depends_on: {{ source('landing', 'network_calls') }}
with

int_network_calls_attributed as (
    select * from {{ ref('int_network_calls_attributed') }}
),

final as (
    select
        stat_hour,
        province_code,
        city_code,
        network,
        attempts,
        connected,
        stat_month,
        stat_date,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_network_calls_attributed
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('network_calls', ['stat_hour', 'city_code', 'network']) }}
{% endif %}
