-- sqlfluff:rules:references.keywords:ignore_words:value,source
-- (value and source are the published column names a dashboard reads)
-- Every indicator with a city in its source per local calendar month × prefecture-level
-- city × segment, judged by the catalog version in force on the month's first day. Hotline
-- calls carry no city: their KPIs are published per province only.
{{ incremental_by_period('period_month', 'month') }}
with

{{ kpi_measure_ctes('period_month', 'month', by_city=true) }},

{{ judged_ctes('all_measures', ['period_month', 'province_code', 'city_code']) }}

select * from final
