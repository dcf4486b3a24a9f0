{{ incremental_by_key('hotline_calls', 'call_id') }}

-- Each call's time to a human answer and the local month, day and hour it belongs to
-- (queued_at). The caller's hash stays behind: nothing downstream needs it.
with

stg_landing__hotline_calls as (
    select * from {{ ref('stg_landing__hotline_calls') }}
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
        answered_at is not null as is_answered,
        {{ elapsed_seconds('queued_at', 'answered_at') }} as answer_seconds,
        {{ local_month('queued_at') }} as queued_month,
        {{ local_date('queued_at') }} as queued_date,
        {{ local_hour('queued_at') }} as queued_hour_at,
        updated_at,
        ingest_file_id,
        source_row_number
    from stg_landing__hotline_calls
)

select * from final
{% if is_incremental() %}
    where {{ arrived_since_last_build('hotline_calls', ['call_id']) }}
{% endif %}
