-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator of the standard per local calendar month × province (and the nation,
-- 100000, computed over all events) × segment, judged by the catalog version in force on
-- the month's first day.
{{ incremental_by_period('period_month', 'month') }}
with

{{ kpi_measure_ctes('period_month', 'month') }},

{{ judged_ctes('all_measures', ['period_month', 'province_code']) }}

select * from final
