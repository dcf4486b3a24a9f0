with

vip_tiers as (
    select * from {{ ref('vip_tiers') }}
),

final as (
    select
        customer_tier,
        name_zh,
        name_en,
        rank as tier_rank,
        is_vip,
        has_appointment_no_wait,
        benefits_zh
    from vip_tiers
)

select * from final
