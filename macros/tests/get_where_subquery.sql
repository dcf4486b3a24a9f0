{#-
    get_where_subquery: the rows a generic data test reads from the model it tests. dbt calls
    it on every generic test's `model` argument; this version replaces dbt's own.

    Why: an incremental build rewrites only some rows of the facts and the period marts (the
    keys that arrived, the affected periods; docs/incremental.md), and every other row is the
    one the last build published after its tests passed. Testing whole tables would make a
    daily build's tests cost the whole history. So on an incremental build a test of a model
    whose config says which rows it rewrites (`meta.changed_rows`) reads only those rows;
    a full build (--full-refresh, a first build, a build that could not start from the
    published copy) tests every row. A test's own `where` config still applies, ANDed.
    `meta.changed_rows` is either
      {'arrived_in': '<landing table>'}: the rows of the keys (the model's unique_key) that
        had a version in a file loaded since the last build; for a test that judges each
        row alone (not_null, accepted_values, relationships, …), only those of them whose
        winning version came from such a file (`ingest_file_id > N`: the rows whose content
        is new; the others were put back as they were), which the zone maps find at the end
        of the table instead of a scan of every key, or
      {'period': '<date column>', 'grain': 'day' | 'month' | none}: the rows of the
        periods int_periods_affected lists (grain none: the row's period_grain says).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set changed = changed_rows_condition(relation) -%}
    {%- if changed -%}
        {%- do conditions.append(changed) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return(
            '(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery'
        ) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#-
    tested_incrementally: the last build's file id when this build updates the published
    warehouse incrementally (tests may then read only the rows it rewrote), else 0.
-#}
{% macro tested_incrementally() -%}
    {%- if not execute or target.type == 'spark' or flags.FULL_REFRESH -%}
        {{ return(0) }}
    {%- endif -%}
    {{ return(built_through_file_id()) }}
{%- endmacro %}

{#- model_node: the graph node of the model that `relation` is (none for a seed, a source). -#}
{% macro model_node(relation) -%}
    {%- set identifier = relation.identifier if relation.identifier is defined else none -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == identifier -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- changed_rows_condition: the SQL condition on `relation`'s rows that this build rewrote,
    or '' when every row is to be tested (see get_where_subquery). -#}
{% macro changed_rows_condition(relation) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set node = model_node(relation) -%}
    {%- set changed = node.config.meta.get('changed_rows') if node is not none else none -%}
    {%- if not changed -%}{{ return('') }}{%- endif -%}
    {%- set through = tested_incrementally() | int -%}
    {%- if through == 0 -%}{{ return('') }}{%- endif -%}
    {%- if changed.get('arrived_in') and row_level_test() -%}
        {{ return('ingest_file_id > ' ~ through) }}
    {%- endif -%}
    {%- if changed.get('arrived_in') -%}
        {%- set keys = node.config.unique_key -%}
        {%- set keys = [keys] if keys is string else keys -%}
        {{ return(rows_whose_keys_arrived(
            relation, landing_relation(changed['arrived_in']), keys, through
        )) }}
    {%- endif -%}
    {%- set affected = 'model.' ~ project_name ~ '.int_periods_affected' -%}
    {%- set periods = graph.nodes[affected].relation_name -%}
    {%- if changed.get('grain') -%}
        {{ return(
            changed['period'] ~ " in (select period_start from " ~ periods
            ~ " where period_grain = '" ~ changed['grain'] ~ "')"
        ) }}
    {%- endif -%}
    {{ return(
        "(period_grain, " ~ changed['period'] ~ ") in (select period_grain, period_start from "
        ~ periods ~ ")"
    ) }}
{%- endmacro %}

{#- landing_relation: the raw table of a landing source, by name (what source() gives in a
    model; a test reads it without declaring it). -#}
{% macro landing_relation(table) -%}
    {{ return(graph.sources['source.' ~ project_name ~ '.landing.' ~ table].relation_name) }}
{%- endmacro %}

{#- rows_whose_keys_arrived: keys_arrived_since as a condition on the rows of `relation`
    itself (a table the query reads directly: raw, or a fact). On DuckDB it is written as
    `rowid in (…)`: the subquery reads only the key columns of every row to find the row ids,
    and the scan that needs the other columns then reads only the row groups those ids fall
    in (a dynamic filter on rowid), because the versions of a key that arrived lie in the
    recent files. Written as keys_arrived_since directly, DuckDB reads every column of every
    row before the semi-join drops them: 815 MB and ~3.5 s for the hotline calls of a year
    at --scale 0.1, against ~0.7 s (docs/performance.md). -#}
{% macro rows_whose_keys_arrived(relation, raw, key_columns, through) -%}
    {{ return(adapter.dispatch('rows_whose_keys_arrived', 'kpiwatch')(
        relation, raw, key_columns, through
    )) }}
{%- endmacro %}

{% macro default__rows_whose_keys_arrived(relation, raw, key_columns, through) -%}
    {{ keys_arrived_since(raw, key_columns, through) }}
{%- endmacro %}

{% macro duckdb__rows_whose_keys_arrived(relation, raw, key_columns, through) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- a unit test's inputs are CTEs of fixed rows, which have no rowid -#}
        {{ return(keys_arrived_since(raw, key_columns, through)) }}
    {%- endif -%}
    rowid in (
        select rowid from {{ relation }}
        where {{ keys_arrived_since(raw, key_columns, through) }}
    )
{%- endmacro %}

{#- keys_arrived_since: true for a row whose key had a version in a file loaded after file
    `through` of `raw` (or, for a key with a null part, that came in such a file itself);
    the rows arrived_since_last_build selects. -#}
{% macro keys_arrived_since(raw, key_columns, through) -%}
    (
        ({{ key_columns | join(', ') }}) in (
            select {{ key_columns | join(', ') }}
            from {{ raw }}
            where ingest_file_id > {{ through | int }}
        )
        or (
            ingest_file_id > {{ through | int }}
            and ({{ key_columns | join(' is null or ') }} is null)
        )
    )
{%- endmacro %}

{#- row_level_test: true when the generic test being rendered judges each row on its own,
    so that reading fewer rows can hide no failure among the others (not `unique`, not a
    reconciliation, which compare rows with each other or with raw). -#}
{% macro row_level_test() -%}
    {%- set test = model.test_metadata if model.test_metadata is defined else none -%}
    {{ return(test is not none and test.name in (
        'not_null', 'accepted_values', 'relationships', 'accepted_range', 'matches_pattern'
    )) }}
{%- endmacro %}
