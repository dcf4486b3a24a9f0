{#-
    The nation's rows beside the provinces', from one aggregation: grouped by two grouping sets,
    one with the province and one without, the rows without it are the nation's and carry the
    national code (var national_code) as their province_code.
-#}
{% macro province_or_nation(province) -%}
    if(grouping({{ province }}) = 1, '{{ var("national_code") }}', {{ province }})
{%- endmacro %}

{#- The two grouping sets: by all the `columns`, and by the same without the `province`. -#}
{% macro by_province_and_nation(columns, province='province_code') -%}
    grouping sets (
        ({{ columns | join(', ') }}),
        ({{ columns | reject('equalto', province) | join(', ') }})
    )
{%- endmacro %}
