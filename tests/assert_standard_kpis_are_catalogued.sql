-- Every indicator of docs/standard.md §1 must have a catalog row with a target: the KPI marts
-- publish only what the catalog lists, so a missing row is a KPI that silently disappears.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
    where not is_information_only
),

required as (
    select standard_kpis.kpi_id
    from (
        values
        ('hall_wait_15m'),
        ('hall_handle_10m'),
        ('hall_vip_wait_5m'),
        ('hall_appointment_no_wait'),
        ('hotline_sl20'),
        ('hotline_vip_sl20'),
        ('install_days_avg'),
        ('install_days_max'),
        ('fixed_connect_rate'),
        ('mobile_connect_rate'),
        ('mobile_repair_hours_avg'),
        ('mobile_repair_hours_max'),
        ('broadband_repair_hours_avg'),
        ('broadband_repair_hours_max')
    ) as standard_kpis (kpi_id)
)

select required.kpi_id
from required
left join catalog
    on required.kpi_id = catalog.kpi_id
where catalog.kpi_id is null
