{#-
    is_latest_version: true for the one row per business key that is the truth
    (docs/standard.md §2, "latest version wins"): the greatest effective updated_at; on a tie
    the row from the file loaded later (the greater ingest_file_id: ids are reserved in
    load order), then the later row of that file. Use in a QUALIFY clause.
-#}
{% macro is_latest_version(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by updated_at desc, ingest_file_id desc, source_row_number desc
    ) = 1
{%- endmacro %}

{#-
    repeated_key_hashes: the hash of every business key that arrives more than once in
    `rows` (a select for a CTE). Keys with a null part never match another row, so they are
    left out, as they would be by an equality join.

    latest_versions: the rows of `rows` that are the latest version of their key, given that
    CTE as `repeated_hashes`. Most keys arrive once, and their only row is kept as it is;
    only the rest go through the window. Grouping 64-bit hashes instead of the keys is what
    makes the first step cheap (25-37 M keys of about 20 characters at national scale), and
    it stays exact: a key sent twice always has a repeated hash, and a key whose hash merely
    collides with one goes through the window alone and is kept (docs/performance.md).
-#}
{% macro repeated_key_hashes(rows, key_columns) -%}
    select {{ key_hash(key_columns) }} as key_hash
    from {{ rows }}
    where {{ key_columns | join(' is not null and ') }} is not null
    group by key_hash
    having count(*) > 1
{%- endmacro %}

{% macro latest_versions(rows, repeated_hashes, key_columns) -%}
    select * from {{ rows }}
    where
        {{ key_columns | join(' is null or ') }} is null
        or {{ key_hash(key_columns) }} not in (select key_hash from {{ repeated_hashes }})
    union all
    select * from {{ rows }}
    where
        {{ key_columns | join(' is not null and ') }} is not null
        and {{ key_hash(key_columns) }} in (select key_hash from {{ repeated_hashes }})
    qualify {{ is_latest_version(key_columns) }}
{%- endmacro %}
