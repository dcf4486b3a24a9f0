with

install_orders as (
    select * from {{ source('landing', 'install_orders') }}
    {{ where_arrived_for_fact('fct_install_orders', 'install_orders', ['order_id']) }}
),

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        install_orders.order_id,
        install_orders.province_code,
        install_orders.city_code,
        install_orders.area_type,
        install_orders.service,
        install_orders.order_type,
        install_orders.accepted_at,
        install_orders.completed_at,
        coalesce(install_orders.suspended_minutes, 0) as suspended_minutes,
        coalesce(install_orders.updated_at, ingest_files.loaded_at) as updated_at,
        install_orders.updated_at is null as is_updated_at_from_load,
        install_orders.ingest_file_id,
        install_orders.source_row_number
    from install_orders
    left join ingest_files
        on install_orders.ingest_file_id = ingest_files.file_id
),

repeated_hashes as (
    {{ repeated_key_hashes('renamed', ['order_id']) }}
),

final as (
    {{ latest_versions('renamed', 'repeated_hashes', ['order_id']) }}
)

-- latest_versions unions two selects of renamed, whose columns sqlfluff cannot count
select * from final  -- noqa: AM04
