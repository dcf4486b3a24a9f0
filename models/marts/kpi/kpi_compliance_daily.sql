-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator of the standard per local calendar day × province (and the nation,
-- 100000) × segment, judged by the catalog version in force on that day. A *_max KPI's
-- population is the items completed that day plus those open at the day's end (or at the
-- source's as-of time while the day is still running).
{{ incremental_by_period('period_date', 'day') }}
with

{{ kpi_measure_ctes('period_date', 'day') }},

{{ judged_ctes('all_measures', ['period_date', 'province_code']) }}

select * from final
