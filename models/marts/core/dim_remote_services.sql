with

remote_services as (
    select * from {{ ref('remote_services') }}
),

final as (
    select
        service_group_zh,
        service_item_zh,
        service_item_en,
        channel_id,
        offering
    from remote_services
)

select * from final
