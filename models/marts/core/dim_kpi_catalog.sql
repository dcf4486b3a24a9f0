-- Every version of every indicator, information-only ones included: the definitions page
-- and the judged marts' catalog_version both point here.
with

kpi_catalog as (
    select * from {{ ref('kpi_catalog') }}
),

final as (
    select
        kpi_id,
        segment,
        effective_from,
        effective_to,
        catalog_version,
        name_zh,
        name_en,
        source_text_zh,
        source,
        population,
        formula_en,
        unit,
        comparator,
        threshold,
        case_limit,
        case_limit_unit,
        origin,
        is_information_only
    from kpi_catalog
)

select * from final
