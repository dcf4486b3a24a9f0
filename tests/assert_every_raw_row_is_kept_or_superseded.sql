-- Ingest keeps every version it loads; staging keeps one per business key. So every raw row
-- must come from a loaded file and be either the version the fact kept or one the kept
-- version supersedes (greater effective updated_at, then later file, then later row), and
-- every kept version must be one of the raw rows. Anything else is a lost ticket, an older
-- version published over a newer one, or a published row no delivery stands behind. Joined
-- on the business key, each raw row meets exactly one kept row, so the join has as many rows
-- as the raw table: more means a key kept twice (the facts' unique tests say the same).
{{ config(severity='error') }}

{%- set sources = [
    ('hall_tickets', 'fct_hall_tickets', ['ticket_id']),
    ('hotline_calls', 'fct_hotline_calls', ['call_id']),
    ('network_calls', 'fct_network_calls', ['stat_hour', 'city_code', 'network']),
    ('mobile_repairs', 'fct_mobile_repairs', ['ticket_id']),
    ('broadband_faults', 'fct_broadband_faults', ['ticket_id']),
    ('install_orders', 'fct_install_orders', ['order_id']),
] %}

with

ingest_files as (
    select * from {{ source('audit', 'ingest_files') }}
),

{% for source_name, fact, keys in sources %}
    {{ source_name }}_kept as (
        select * from {{ ref(fact) }}
    ),

    {{ source_name }}_versions as (
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
        from {{ source('landing', source_name) }} as raw_rows
        left join ingest_files
            on raw_rows.ingest_file_id = ingest_files.file_id
        left join {{ source_name }}_kept as kept
            on
                {% for key in keys -%}
                    raw_rows.{{ key }} = kept.{{ key }}{% if not loop.last %} and {% endif %}
                {%- endfor %}
    ),

    {{ source_name }}_counts as (
        select
            count(*) as joined_count,
            (select count(*) from {{ source('landing', source_name) }}) as raw_count,
            count(*) filter (where is_kept_version) as matched_count,
            (select count(*) from {{ source_name }}_kept) as kept_count
        from {{ source_name }}_versions
    ),

    {{ source_name }}_problems as (
        select
            '{{ source_name }}' as source_name,
            ingest_file_id,
            source_row_number,
            case
                when coalesce(file_status, '') <> 'loaded' then 'raw row of a file not loaded'
                when not has_kept_version then 'business key lost'
                when is_newer_than_kept then 'an older version was kept'
            end as problem
        from {{ source_name }}_versions

        union all

        select
            '{{ source_name }}' as source_name,
            null as ingest_file_id,
            null as source_row_number,
            'a kept version is no raw row' as problem
        from {{ source_name }}_counts
        where matched_count <> kept_count

        union all

        select
            '{{ source_name }}' as source_name,
            null as ingest_file_id,
            null as source_row_number,
            'a business key kept twice' as problem
        from {{ source_name }}_counts
        where joined_count <> raw_count
    ),
{% endfor %}

problems as (
    {% for source_name, fact, keys in sources %}
        select * from {{ source_name }}_problems
        where problem is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from problems
