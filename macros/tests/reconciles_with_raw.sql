{#-
    reconciles_with_raw: the fact keeps one version of every business key delivered, the
    latest, and nothing else.

    Why: ingest keeps every version it loads (`raw`); staging keeps one per business key. So
    every raw row must come from a loaded file and be either the version the fact kept or
    one the kept version supersedes (greater effective updated_at, then later file, then later
    row), and every kept version must be one of the raw rows. Anything else is a lost ticket,
    an older version published over a newer one, or a published row no delivery stands
    behind. Joined on the business key, each raw row meets exactly one kept row, so the join
    has as many rows as the raw table: more means a key kept twice.
    One test per fact, so each fact's dependants wait for its own check only.
    On an incremental build both sides are the keys that arrived since the last build
    (the fact rewrote only those; every other key passed this test when it was published),
    so the test costs the day's keys, not the history (get_where_subquery).
-#}
{% test reconciles_with_raw(model, raw, key_columns) %}
    {%- set through = tested_incrementally() | int -%}
    {%- set arrived = keys_arrived_since(raw, key_columns, through) if through > 0 else 'true' -%}

with

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

kept as (
    select * from {{ model }}
    where {{ arrived }}
),

raw_rows as (
    select * from {{ raw }}
    where {{ rows_whose_keys_arrived(raw, raw, key_columns, through) if through > 0 else 'true' }}
),

versions as (
    select
        raw_rows.ingest_file_id,
        raw_rows.source_row_number,
        ingest_files.status as file_status,
        kept.ingest_file_id is not null as has_kept_version,
        raw_rows.ingest_file_id = kept.ingest_file_id
        and raw_rows.source_row_number = kept.source_row_number as is_kept_version,
        (
            coalesce(raw_rows.updated_at, ingest_files.loaded_at),
            raw_rows.ingest_file_id,
            raw_rows.source_row_number
        )
        > (kept.updated_at, kept.ingest_file_id, kept.source_row_number) as is_newer_than_kept
    from raw_rows
    left join ingest_files
        on raw_rows.ingest_file_id = ingest_files.file_id
    left join kept
        on
            {% for key in key_columns -%}
                raw_rows.{{ key }} = kept.{{ key }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
),

counts as (
    select
        count(*) as joined_count,
        (select count(*) from raw_rows) as raw_count,
        count(*) filter (where is_kept_version) as matched_count,
        (select count(*) from kept) as kept_count
    from versions
),

problems as (
    select
        ingest_file_id,
        source_row_number,
        case
            when coalesce(file_status, '') <> 'loaded' then 'raw row of a file not loaded'
            when not has_kept_version then 'business key lost'
            when is_newer_than_kept then 'an older version was kept'
        end as problem
    from versions

    union all

    select
        null as ingest_file_id,
        null as source_row_number,
        'a kept version is no raw row' as problem
    from counts
    where matched_count <> kept_count

    union all

    select
        null as ingest_file_id,
        null as source_row_number,
        'a business key kept twice' as problem
    from counts
    where joined_count <> raw_count
)

select * from problems
where problem is not null

{% endtest %}
