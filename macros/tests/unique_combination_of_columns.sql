{#-
    unique_combination_of_columns: no two rows share the same values in all the given columns.

    Why: the natural key of a reference table is often a pair (a KPI and its segment from a
    date, a service item and a channel); a duplicate doubles every row joined to it.
    A null in any key column counts as a value, so two rows with the same nulls also fail.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{% if combination_of_columns | length < 2 %}
    {{ exceptions.raise_compiler_error("needs two or more columns; use unique for one") }}
{% endif %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by all
having count(*) > 1

{% endtest %}
