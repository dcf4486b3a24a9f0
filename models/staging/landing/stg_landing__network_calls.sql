with

network_calls as (
    select * from {{ source('landing', 'network_calls') }}
    {{ where_arrived_for_fact(
        'fct_network_calls', 'network_calls', ['stat_hour', 'city_code', 'network']
    ) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        network_calls.stat_hour,
        network_calls.province_code,
        network_calls.city_code,
        network_calls.network,
        network_calls.attempts,
        network_calls.connected,
        coalesce(network_calls.updated_at, ingest_files.loaded_at) as updated_at,
        network_calls.updated_at is null as is_updated_at_from_load,
        network_calls.ingest_file_id,
        network_calls.source_row_number
    from network_calls
    left join ingest_files
        on network_calls.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['stat_hour', 'city_code', 'network']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['stat_hour', 'city_code', 'network']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
