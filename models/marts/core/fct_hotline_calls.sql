{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='delete+insert',
        unique_key='call_id',
        on_schema_change='fail',
        meta={'changed_rows': {'arrived_in': 'hotline_calls'}},
    )
}}

-- depends_on: {{ source('landing', 'hotline_calls') }}
with

int_hotline_calls_measured as (
    select * from {{ ref('int_hotline_calls_measured') }}
),

final as (
    select
        call_id,
        province_code,
        queue,
        customer_tier,
        queued_at,
        answered_at,
        ended_at,
        is_answered,
        answer_seconds,
        queued_month,
        queued_date,
        queued_hour_at,
        updated_at,
        ingest_file_id,
        source_row_number
    from int_hotline_calls_measured
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('hotline_calls', ['call_id']) }}
{% endif %}
