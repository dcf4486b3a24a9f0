{#-
    accepted_range: every non-null value lies between min_value and max_value.

    Why: a rate stored as a percent (87.5) instead of a fraction (0.875), or a population
    typed with a digit too many, is still a valid number; only a range catches it.
    Bounds are inclusive unless inclusive=false; either may be left out, not both.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range needs min_value or max_value") }}
    {%- endif -%}
    {%- set below = '<' if inclusive else '<=' -%}
    {%- set above = '>' if inclusive else '>=' -%}
    {%- set breaks = [] -%}
    {%- if min_value is not none -%}
        {%- do breaks.append(column_name ~ ' ' ~ below ~ ' ' ~ min_value) -%}
    {%- endif -%}
    {%- if max_value is not none -%}
        {%- do breaks.append(column_name ~ ' ' ~ above ~ ' ' ~ max_value) -%}
    {%- endif %}

select {{ column_name }} as out_of_range_value
from {{ model }}
where {{ breaks | join(' or ') }}

{% endtest %}
