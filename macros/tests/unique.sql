{#-
    unique, on DuckDB: dbt's built-in test, with the same result rows (each repeated value
    and its count), found in two passes instead of one.

    Why: the big facts' keys are 25-37 M distinct strings of about 20 characters. Grouping
    them by their 64-bit hash first keeps integers, not strings, in the hash table; only the
    values whose hash repeats (none, unless two keys collide) are then grouped by value, so
    the result is exact. On the 36.8 M hotline calls this takes about 6.5 s of CPU against
    8-9 s for the single pass (docs/performance.md). On an incremental build, which tests
    only the rows it rewrote, the single pass reads them once instead of twice (each read
    finds them among every key of the fact). Other engines keep dbt's version.
-#}
{% macro duckdb__test_unique(model, column_name) %}

    {%- if tested_incrementally() | int > 0 %}
{#- an incremental build tests the rows it rewrote (get_where_subquery): a few, read once -#}

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1

{%- else %}

with

repeated_hashes as (
    select {{ key_hash([column_name]) }} as value_hash
    from {{ model }}
    where {{ column_name }} is not null
    group by value_hash
    having count(*) > 1
)

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    and {{ key_hash([column_name]) }} in (select value_hash from repeated_hashes)
group by {{ column_name }}
having count(*) > 1

    {%- endif %}

{% endmacro %}
