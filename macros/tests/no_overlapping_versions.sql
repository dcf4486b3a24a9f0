{#-
    no_overlapping_versions: within each partition (the columns in partition_by, e.g. kpi_id
    and segment), the inclusive date ranges [from_column, to_column] of the rows do not
    overlap, and none ends before it starts. An empty to_column means open-ended.

    Why: a KPI is judged against the one catalog row in force on the day it measures; two rows
    in force on the same day make the threshold depend on join order.
-#}
{% test no_overlapping_versions(model, partition_by, from_column, to_column) %}

with versions as (
    select
        {{ partition_by | join(', ') }},
        {{ from_column }} as valid_from,
        coalesce({{ to_column }}, date '9999-12-31') as valid_to,
        row_number() over (
            order by {{ partition_by | join(', ') }}, {{ from_column }}, {{ to_column }}
        ) as version_number
    from {{ model }}
)

select
    {% for column in partition_by %}earlier.{{ column }}, {% endfor %}
    earlier.valid_from,
    earlier.valid_to,
    later.valid_from as overlapping_from,
    later.valid_to as overlapping_to
from versions as earlier
inner join versions as later
    on
        {% for column in partition_by %}
            earlier.{{ column }} is not distinct from later.{{ column }} and
        {% endfor %}
        earlier.version_number <> later.version_number
        and earlier.valid_from <= later.valid_from
        and later.valid_from <= earlier.valid_to

union all

select
    {{ partition_by | join(', ') }},
    valid_from,
    valid_to,
    null as overlapping_from,
    null as overlapping_to
from versions
where valid_to < valid_from

{% endtest %}
