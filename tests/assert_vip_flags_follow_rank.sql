-- Tier flags select the populations of hall_vip_wait_5m (is_vip) and
-- hall_appointment_no_wait (has_appointment_no_wait): every card tier (rank > 0) is VIP, and
-- no-wait appointments start at gold and include every tier above it.
{{ config(severity='error') }}

with tiers as (
    select * from {{ ref('vip_tiers') }}
),

gold as (
    select rank from tiers
    where customer_tier = 'gold'
)

select
    tiers.customer_tier,
    tiers.rank,
    tiers.is_vip,
    tiers.has_appointment_no_wait
from tiers
cross join gold
where
    tiers.is_vip <> (tiers.rank > 0)
    or tiers.has_appointment_no_wait <> (tiers.rank >= gold.rank)
