{#-
    is_latest_version: true for the one row per business key that is the truth
    (STANDARD.md §2, "latest version wins"): the greatest effective updated_at; on a tie
    the row from the file loaded later (the greater ingest_file_id: ids are reserved in
    load order), then the later row of that file. Use in a QUALIFY clause.
-#}
{% macro is_latest_version(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by updated_at desc, ingest_file_id desc, source_row_number desc
    ) = 1
{%- endmacro %}
