-- Each source's as-of time: the greatest updated_at or event time loaded for it, all
-- provinces together (docs/standard.md §2). A period that ends after it is still running, and
-- items open in it are aged at this time instead of at the period end. Also the earliest
-- time an event of the source is attributed to a period, where its period spine starts.
-- The instants each source carries are listed once, in source_times().
with
{{ source_fact_ctes() }}

as_of as (
    {%- for times in source_times() %}
        select
            '{{ times.source }}' as source_name,
            {{ latest_of(['updated_at'] + times.events + times.followups) }} as as_of_at,
            min({{ times.attributed }}) as first_attributed_at
        from fct_{{ times.source }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from as_of
where as_of_at is not null
