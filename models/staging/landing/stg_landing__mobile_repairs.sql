with

mobile_repairs as (
    select * from {{ source('landing', 'mobile_repairs') }}
    {{ where_arrived_for_fact('fct_mobile_repairs', 'mobile_repairs', ['ticket_id']) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        mobile_repairs.ticket_id,
        mobile_repairs.province_code,
        mobile_repairs.city_code,
        mobile_repairs.area_type,
        coalesce(mobile_repairs.cause, 'other') as cause,
        mobile_repairs.reported_at,
        mobile_repairs.restored_at,
        coalesce(mobile_repairs.suspended_minutes, 0) as suspended_minutes,
        coalesce(mobile_repairs.updated_at, ingest_files.loaded_at) as updated_at,
        mobile_repairs.updated_at is null as is_updated_at_from_load,
        mobile_repairs.ingest_file_id,
        mobile_repairs.source_row_number
    from mobile_repairs
    left join ingest_files
        on mobile_repairs.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['ticket_id']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['ticket_id']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
