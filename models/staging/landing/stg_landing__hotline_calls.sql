with

hotline_calls as (
    select * from {{ source('landing', 'hotline_calls') }}
    {{ where_arrived_for_fact('fct_hotline_calls', 'hotline_calls', ['call_id']) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        hotline_calls.call_id,
        hotline_calls.province_code,
        hotline_calls.caller_hash,
        hotline_calls.queue,
        coalesce(hotline_calls.customer_tier, 'standard') as customer_tier,
        hotline_calls.queued_at,
        hotline_calls.answered_at,
        hotline_calls.ended_at,
        coalesce(hotline_calls.updated_at, ingest_files.loaded_at) as updated_at,
        hotline_calls.updated_at is null as is_updated_at_from_load,
        hotline_calls.ingest_file_id,
        hotline_calls.source_row_number
    from hotline_calls
    left join ingest_files
        on hotline_calls.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['call_id']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['call_id']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
