with

channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        channel_id,
        name_zh,
        name_en,
        kind,
        commitment_zh
    from channels
)

select * from final
