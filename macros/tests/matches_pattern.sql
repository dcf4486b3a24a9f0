{#-
    matches_pattern: every non-null value, read as text, matches a regular expression
    from its first to its last character.

    Why: codes join tables by text (province_code 110000, city_code 130100); a code that lost
    a digit or gained a space still loads as VARCHAR and silently joins to nothing.
-#}
{% test matches_pattern(model, column_name, pattern) %}

select {{ column_name }} as mismatched_value
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ matches_fully('cast(' ~ column_name ~ ' as string)', pattern) }}

{% endtest %}
