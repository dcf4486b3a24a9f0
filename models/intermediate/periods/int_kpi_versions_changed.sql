-- Where the catalog judging each KPI changed since the last build (docs/incremental.md): per
-- kpi_id × segment, the stretches of days on which the version in force now
-- (int_kpi_versions_dated) and the one in force when the publication was built
-- (int_kpi_versions_built, read from the copy before this build replaces it) say different
-- things: another source, unit, comparator, threshold, case limit or catalog version, or a
-- version on one side only. One row per such stretch and source (the old and the new source
-- when it moved), with is_case_limit_changed when the case limit in force differs too:
-- int_kpi_measures_aggregated counts each day's cases against the limits of the months after
-- it as well, so such a change reaches back further (int_periods_affected). Empty when the
-- catalog did not change.
with

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

int_kpi_versions_built as (
    select * from {{ kpi_versions_last_built() }}
),

both_catalogs as (
    select * from int_kpi_versions_dated
    union all
    select * from int_kpi_versions_built
),

-- every day on which a version starts, or the day after one ends, in either catalog
boundaries as (
    select distinct
        kpi_id,
        segment,
        boundary_day
    from (
        select
            kpi_id,
            segment,
            effective_from as boundary_day
        from both_catalogs

        union all

        select
            kpi_id,
            segment,
            cast({{ dbt.dateadd('day', 1, 'effective_until') }} as date) as boundary_day
        from both_catalogs
        where effective_until < cast('9999-12-31' as date)
    ) as starts_and_ends
),

-- stretches within which no version of either catalog starts or ends
stretches as (
    select
        kpi_id,
        segment,
        boundary_day as stretch_from,
        coalesce(
            cast(
                {{ dbt.dateadd(
                    'day', -1,
                    'lead(boundary_day) over (partition by kpi_id, segment order by boundary_day)'
                ) }} as date
            ),
            cast('9999-12-31' as date)
        ) as stretch_until
    from boundaries
),

{% for catalog in ['int_kpi_versions_dated', 'int_kpi_versions_built'] %}
    in_force_{{ loop.index }} as (
        select
            stretches.kpi_id,
            stretches.segment,
            stretches.stretch_from,
            stretches.stretch_until,
            versions.source as source_name,
            versions.unit,
            versions.comparator,
            versions.threshold,
            versions.case_limit,
            versions.case_limit_unit,
            versions.catalog_version
        from stretches
        inner join {{ catalog }} as versions
            on
                stretches.kpi_id = versions.kpi_id
                and stretches.segment = versions.segment
                and stretches.stretch_from
                between versions.effective_from and versions.effective_until
    ),
{% endfor %}

changed as (
    (
        select * from in_force_1
        except
        select * from in_force_2
    )
    union all
    (
        select * from in_force_2
        except
        select * from in_force_1
    )
),

{% for number in [1, 2] %}
    limits_{{ number }} as (
        select
            kpi_id,
            segment,
            stretch_from,
            source_name,
            case_limit
        from in_force_{{ number }}
    ),
{% endfor %}

limits_changed as (
    (
        select * from limits_1
        except
        select * from limits_2
    )
    union all
    (
        select * from limits_2
        except
        select * from limits_1
    )
),

final as (
    select distinct
        changed.source_name,
        changed.kpi_id,
        changed.segment,
        changed.stretch_from as changed_from,
        changed.stretch_until as changed_until,
        limits_changed.kpi_id is not null as is_case_limit_changed
    from changed
    left join limits_changed
        on
            changed.kpi_id = limits_changed.kpi_id
            and changed.segment = limits_changed.segment
            and changed.stretch_from = limits_changed.stretch_from
            and changed.source_name = limits_changed.source_name
)

select * from final
