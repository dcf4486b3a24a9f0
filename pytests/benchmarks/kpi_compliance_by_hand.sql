-- The floor for `kpiwatch build` (issue 4): one hand-written DuckDB query computing
-- marts.kpi_compliance straight from the raw tables, with the per-case limits written in
-- as literals (the warehouse itself reads them from the catalog). Run by
-- pytests/test_benchmarks.py::test_build_against_one_hand_written_query.
create or replace temp table hand as
with
files as (select file_id, loaded_at from audit.ingest_files),
all_hall as (
  select h.province_code, cast(date_trunc('month', timezone('Asia/Shanghai', h.taken_at)) as date) as m,
    h.hall_type, h.is_3g, h.is_appointment, coalesce(h.customer_tier,'standard') as tier, h.called_at, h.finished_at,
    (epoch_us(h.called_at) - epoch_us(h.taken_at)) / 1e6 as wait_s, (epoch_us(h.finished_at) - epoch_us(h.called_at)) / 1e6 as handle_s
  from raw.hall_tickets h left join files f on h.ingest_file_id = f.file_id
  qualify row_number() over (partition by h.ticket_id order by coalesce(h.updated_at, f.loaded_at) desc, h.ingest_file_id desc, h.source_row_number desc) = 1
),
-- the latest version says whether the hall is staffed: filter after choosing it, not before
hall as (select * from all_hall where hall_type in ('own_hall','brand_store_3g')),
hall_kpi as (
  select m, province_code, 'hall_wait_15m' k, 'all' seg, count(*) n, count(*) filter (where wait_s > 900) b from hall where called_at is not null and is_3g group by grouping sets ((m, province_code), (m))
  union all select m, province_code, 'hall_handle_10m', 'all', count(*), count(*) filter (where handle_s > 600) from hall where called_at is not null and finished_at is not null group by grouping sets ((m, province_code), (m))
  union all select m, province_code, 'hall_vip_wait_5m', 'all', count(*), count(*) filter (where wait_s > 300) from hall where called_at is not null and is_3g and tier in ('silver','gold','diamond','supreme') group by grouping sets ((m, province_code), (m))
  union all select m, province_code, 'hall_appointment_no_wait', 'all', count(*), count(*) filter (where wait_s > 60) from hall where called_at is not null and is_appointment and tier in ('gold','diamond','supreme') group by grouping sets ((m, province_code), (m))
),
calls as (
  select c.province_code, cast(date_trunc('month', timezone('Asia/Shanghai', c.queued_at)) as date) as m, c.queue,
     date_trunc('hour', timezone('Asia/Shanghai', c.queued_at)) as hr, c.answered_at,
     (epoch_us(c.answered_at) - epoch_us(c.queued_at)) / 1e6 as ans_s
  from raw.hotline_calls c left join files f on c.ingest_file_id = f.file_id
  qualify row_number() over (partition by c.call_id order by coalesce(c.updated_at, f.loaded_at) desc, c.ingest_file_id desc, c.source_row_number desc) = 1
),
call_kpi as (
  select m, province_code, if(queue='vip','hotline_vip_sl20','hotline_sl20') k, 'all' seg, count(*) n, count(*) filter (where ans_s is null or ans_s > 20) b from calls group by grouping sets ((m, province_code, queue), (m, queue))
),
hours as (select m, province_code, hr, count(*) n, count(answered_at) a from calls group by grouping sets ((m, province_code, hr), (m, hr))),
dark as (select m, province_code, 'hotline_24x7_dark_hours' k, 'all' seg, count(*) n, count(*) filter (where a = 0) b from hours group by m, province_code),
net as (
  select n.province_code, cast(date_trunc('month', timezone('Asia/Shanghai', n.stat_hour)) as date) as m, n.network, n.attempts, n.connected
  from raw.network_calls n left join files f on n.ingest_file_id = f.file_id
  qualify row_number() over (partition by n.stat_hour, n.city_code, n.network order by coalesce(n.updated_at, f.loaded_at) desc, n.ingest_file_id desc, n.source_row_number desc) = 1
),
net_kpi as (select m, province_code, network || '_connect_rate' k, 'all' seg, sum(attempts) n, sum(connected) c from net group by grouping sets ((m, province_code, network), (m, network))),
tickets as (
  select 'mobile_repair_hours' k, 'all' seg, r.province_code, r.reported_at s, r.restored_at e, coalesce(r.suspended_minutes,0) susp, 3600 u, coalesce(r.updated_at, f.loaded_at) upd, r.cause
  from raw.mobile_repairs r left join files f on r.ingest_file_id = f.file_id
  qualify row_number() over (partition by r.ticket_id order by coalesce(r.updated_at, f.loaded_at) desc, r.ingest_file_id desc, r.source_row_number desc) = 1
  union all
  select 'broadband_repair_hours', r.area_type, r.province_code, r.reported_at, r.restored_at, coalesce(r.suspended_minutes,0), 3600, coalesce(r.updated_at, f.loaded_at), null
  from raw.broadband_faults r left join files f on r.ingest_file_id = f.file_id
  qualify row_number() over (partition by r.ticket_id order by coalesce(r.updated_at, f.loaded_at) desc, r.ingest_file_id desc, r.source_row_number desc) = 1
  union all
  select 'install_days', 'all', r.province_code, r.accepted_at, r.completed_at, coalesce(r.suspended_minutes,0), 86400, coalesce(r.updated_at, f.loaded_at), r.service
  from raw.install_orders r left join files f on r.ingest_file_id = f.file_id
  qualify row_number() over (partition by r.order_id order by coalesce(r.updated_at, f.loaded_at) desc, r.ingest_file_id desc, r.source_row_number desc) = 1
),
src_asof as (select k, max(upd) a from tickets group by k),
items as (select * from tickets where coalesce(cause,'other') not in ('terminal', 'broadband')),
months as (select distinct k, cast(date_trunc('month', timezone('Asia/Shanghai', e)) as date) m from items where e is not null),
periods as (select months.k, m, least(timezone('Asia/Shanghai', (m + interval 1 month)::timestamp), src_asof.a) meas, timezone('Asia/Shanghai', (m + interval 1 month)::timestamp) pend from months join src_asof using (k)),
done as (select i.k, i.seg, i.province_code, cast(date_trunc('month', timezone('Asia/Shanghai', e)) as date) m, (epoch_us(e)-epoch_us(s))/(u*1e6) - susp/(u/60.0) d, false o from items i where e is not null),
open as (select i.k, i.seg, i.province_code, p.m, (epoch_us(p.meas)-epoch_us(s))/(u*1e6) - susp/(u/60.0) d, true o from items i join periods p on i.k = p.k and i.s < p.meas and (i.e is null or i.e >= p.pend)),
lim as (select kpi_id, segment, threshold from raw.kpi_catalog where ends_with(kpi_id, '_max')),
dur as (select x.*, lim.threshold lim from (select * from done union all select * from open) x join lim on lim.kpi_id = x.k || '_max' and lim.segment = x.seg),
dur_kpi as (
  select m, province_code, k || '_avg' k, seg, count(*) n, count(*) filter (where d > lim) b, avg(d) v from dur where not o group by grouping sets ((m, province_code, k, seg), (m, k, seg))
  union all
  select m, province_code, k || '_max', seg, count(*), count(*) filter (where d > lim), max(d) from dur group by grouping sets ((m, province_code, k, seg), (m, k, seg))
),
vals as (
  select m, province_code, k, seg, n, b, (n - b) / n as v from hall_kpi
  union all select m, province_code, k, seg, n, b, (n - b) / n from call_kpi
  union all select m, province_code, k, seg, n, b, b::double from dark
  union all select m, province_code, k, seg, n, null, c / n from net_kpi
  union all select m, province_code, k, seg, n, b, v from dur_kpi
)
select vals.m as period_month, coalesce(vals.province_code, '100000') as province_code, vals.k as kpi_id, vals.seg as segment, v as value, c.threshold, c.comparator, n as sample_size, b as breach_count,
  if(c.comparator = '>=', v - c.threshold, c.threshold - v) >= 0 as is_compliant, c.catalog_version
from vals join raw.kpi_catalog c on c.kpi_id = vals.k and c.segment = vals.seg and vals.m between c.effective_from and coalesce(c.effective_to, date '9999-12-31')
where n > 0;
