with

hall_tickets as (
    select * from {{ source('landing', 'hall_tickets') }}
    {{ where_arrived_for_fact('fct_hall_tickets', 'hall_tickets', ['ticket_id']) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        hall_tickets.ticket_id,
        hall_tickets.hall_id,
        hall_tickets.hall_type,
        hall_tickets.province_code,
        hall_tickets.city_code,
        hall_tickets.area_type,
        coalesce(hall_tickets.customer_tier, 'standard') as customer_tier,
        hall_tickets.business_type,
        coalesce(hall_tickets.is_3g, false) as is_3g,
        coalesce(hall_tickets.is_appointment, false) as is_appointment,
        hall_tickets.taken_at,
        hall_tickets.called_at,
        hall_tickets.finished_at,
        coalesce(hall_tickets.updated_at, ingest_files.loaded_at) as updated_at,
        hall_tickets.updated_at is null as is_updated_at_from_load,
        hall_tickets.ingest_file_id,
        hall_tickets.source_row_number
    from hall_tickets
    left join ingest_files
        on hall_tickets.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['ticket_id']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['ticket_id']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
