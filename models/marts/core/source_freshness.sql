-- sqlfluff:rules:references.keywords:ignore_words:source
-- (source is the published column name the dashboard reads)
-- One row per source × province that delivered it: the latest event loaded (a hall ticket
-- taken, a hotline call queued, a counted hour, a fault reported or restored, an order
-- accepted or completed). The dashboard reads how far each source reaches here, in a few
-- hundred rows, instead of scanning the facts on every page. The events each source carries
-- are listed once, in source_times().
with
{{ source_fact_ctes() }}

latest as (
    {%- for times in source_times() %}
        select
            '{{ times.source }}' as source,
            province_code,
            {{ latest_of(times.events) }} as latest_event_at
        from fct_{{ times.source }}
        group by province_code
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from latest
