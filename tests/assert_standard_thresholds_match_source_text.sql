-- A threshold of origin `standard` is quoted in source_text_zh, so the two must agree: a share
-- reads ≥NN%, an average reads 平均值≤N小时 (or 日), a maximum reads 最长为N小时 (or 日).
-- A typo in either the number or the quote fails here rather than on a dashboard.
{{ config(severity='error') }}

with catalog as (
    select * from {{ ref('kpi_catalog') }}
    where origin = 'standard' and not is_information_only
),

expected as (
    select
        kpi_id,
        segment,
        effective_from,
        source_text_zh,
        cast(cast(threshold as integer) as string)
        || case unit when 'days' then '日' when 'hours' then '小时' end as quoted_duration,
        case
            when unit = 'share'
                then '≥' || cast(round(threshold * 100) as integer) || '%'
            when right(kpi_id, 4) = '_avg'
                then '平均值≤' || quoted_duration
            when right(kpi_id, 4) = '_max'
                then '最长为' || quoted_duration
        end as quoted_threshold
    from catalog
)

select *
from expected
where quoted_threshold is null or instr(source_text_zh, quoted_threshold) = 0
