-- The remote-service matrix has a cell for every service item and each of its five channels
-- (business hall, hotline, web, SMS and mobile halls): a missing cell would read as "not
-- offered" on the definitions page when it was simply lost.
{{ config(severity='error') }}

with remote_services as (
    select * from {{ ref('remote_services') }}
),

matrix_channels as (
    select matrix.channel_id
    from (
        values ('business_hall'), ('hotline_10010'), ('web_hall'), ('sms_hall'), ('mobile_hall')
    ) as matrix (channel_id)
),

items as (
    select distinct service_item_zh from remote_services
),

cells as (
    select
        items.service_item_zh,
        matrix_channels.channel_id
    from items
    cross join matrix_channels
)

select
    cells.service_item_zh,
    cells.channel_id,
    'missing cell' as problem
from cells
left join remote_services
    on
        cells.service_item_zh = remote_services.service_item_zh
        and cells.channel_id = remote_services.channel_id
where remote_services.channel_id is null

union all

select
    remote_services.service_item_zh,
    remote_services.channel_id,
    'channel outside the matrix' as problem
from remote_services
left join matrix_channels
    on remote_services.channel_id = matrix_channels.channel_id
where matrix_channels.channel_id is null
