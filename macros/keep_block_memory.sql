{#-
    keep_block_memory (on-run-start): on DuckDB, the build keeps the memory of its buffer
    blocks for the next query instead of giving it back to the system after each one.

    Why: a build runs some 200 queries in one DuckDB instance. Given back, the memory is
    faulted in and zeroed again by the kernel for the next query: a national build spent
    35 s of its 164 s of CPU in the kernel, against 8 of 53 for the hand-written query.
    DuckDB's block allocator holds what it has used, up to the memory limit the profile
    sets (so no more than the build may use anyway), and falls back to the usual allocator
    beyond it. The setting is for the whole instance and cannot be lowered while it runs,
    which suits a build: its process ends with it. Spark manages its own memory.
-#}
{% macro keep_block_memory() -%}
    {{ return(adapter.dispatch('keep_block_memory', 'kpiwatch')()) }}
{%- endmacro %}

{% macro default__keep_block_memory() -%}
    select 1
{%- endmacro %}

{% macro duckdb__keep_block_memory() -%}
    set block_allocator_memory = current_setting('memory_limit')
{%- endmacro %}
