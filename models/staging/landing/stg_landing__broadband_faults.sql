with

broadband_faults as (
    select * from {{ source('landing', 'broadband_faults') }}
    {{ where_arrived_for_fact('fct_broadband_faults', 'broadband_faults', ['ticket_id']) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        broadband_faults.ticket_id,
        broadband_faults.province_code,
        broadband_faults.city_code,
        broadband_faults.area_type,
        broadband_faults.access_type,
        broadband_faults.reported_at,
        broadband_faults.restored_at,
        coalesce(broadband_faults.suspended_minutes, 0) as suspended_minutes,
        coalesce(broadband_faults.updated_at, ingest_files.loaded_at) as updated_at,
        broadband_faults.updated_at is null as is_updated_at_from_load,
        broadband_faults.ingest_file_id,
        broadband_faults.source_row_number
    from broadband_faults
    left join ingest_files
        on broadband_faults.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['ticket_id']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['ticket_id']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
