-- Where each breach's shortfall comes from: for every row of kpi_breaches (the hotline's
-- dark hours excepted: a count of clock hours has no cases to split), the breach's cases are
-- grouped by each dimension their facts carry (city, hall, hall type, customer tier, queue,
-- fault cause, access type, order type, and when the case started: local hour band, weekday,
-- part of the month (days 1-10, 11-20, 21-end); the province for the nation's rows), and
-- each member's excess over the target is measured (docs/drivers.md):
--   share, ratio  excess = failures - (1 - threshold) x cases
--   mean          excess = sum of the values - threshold x cases
--   max           excess = cases over the ceiling
-- A member's share of the shortfall is its excess over the sum of the positive excesses of
-- its dimension; its score is that share x (1 - its share of the cases), so a member that
-- concentrates the excess in few cases ranks above one that merely holds most of them. The
-- three best-scoring members over all dimensions are published, with a label in zh and en.
-- A month's drivers read only that month's breaches and cases, so an incremental build
-- replaces the affected months (int_periods_affected) and keeps the others.
{{ incremental_by_period('period_month', 'month') }}
{#- The facts whose cases are split, each read by the month its cases are attributed to. #}
{%- set facts_by_month = [
    ('fct_hall_tickets', 'taken_month'),
    ('fct_hotline_calls', 'queued_month'),
    ('fct_mobile_repairs', 'restored_month'),
    ('fct_broadband_faults', 'restored_month'),
    ('fct_install_orders', 'completed_month'),
    ('fct_network_calls', 'stat_month'),
] %}
{#- The details a case's KPI row does not carry, and which source's fact carries each. #}
{%- set detail_columns = ['hall_id', 'hall_type', 'queue', 'cause', 'access_type', 'order_type'] %}
{%- set case_sources = [
    {
        'source': 'hall_tickets', 'case_id': 'ticket_id', 'started_at': 'taken_at',
        'details': ['hall_id', 'hall_type'],
    },
    {
        'source': 'hotline_calls', 'case_id': 'call_id', 'started_at': 'queued_at',
        'details': ['queue'],
    },
    {
        'source': 'mobile_repairs', 'case_id': 'ticket_id', 'started_at': 'reported_at',
        'details': ['cause'],
    },
    {
        'source': 'broadband_faults', 'case_id': 'ticket_id', 'started_at': 'reported_at',
        'details': ['access_type'],
    },
    {
        'source': 'install_orders', 'case_id': 'order_id', 'started_at': 'accepted_at',
        'details': ['order_type'],
    },
] %}
{#- What says which breach a case or counter row counts against. #}
{%- set breach_columns = ['period_month', 'province_code', 'kpi_id', 'segment', 'is_national'] %}
{#- The dimensions a case or counter row carries besides its city (the customer's tier from
    its KPI row, the rest from case_details). #}
{%- set case_dimensions = [
    'hall_id', 'hall_type', 'customer_tier', 'queue', 'cause', 'access_type', 'order_type'
] %}
{#- Each dimension a case is grouped by, and its member for a case (NULL: not carried). #}
{%- set hour_band -%}
    case
        when local_hour < 7 then '00-07'
        when local_hour < 9 then '07-09'
        when local_hour < 12 then '09-12'
        when local_hour < 14 then '12-14'
        when local_hour < 18 then '14-18'
        when local_hour < 21 then '18-21'
        else '21-24'
    end
{%- endset %}
{%- set month_part -%}
    case
        when day(started_local) <= 10 then '01-10'
        when day(started_local) <= 20 then '11-20'
        else '21-31'
    end
{%- endset %}
{#- An hour band's label, the same in both languages: 07-09 is 07:00–09:00. #}
{%- set hour_band_label -%}
    substr(ranked.member, 1, 2) || ':00–' || substr(ranked.member, 4, 2) || ':00'
{%- endset %}

{#- Each dimension's member label (ranked.member the member), in zh and en. #}
{%- set member_labels = {
    'zh': {
        'city': 'coalesce(cities.name_zh, ranked.member)',
        'province': 'coalesce(provinces.name_zh, ranked.member)',
        'hall': "'营业厅' || ranked.member",
        'hall_type': label_of('ranked.member', {
            'own_hall': '自有营业厅', 'brand_store_3g': '3G品牌店', 'self_service': '自助服务店',
        }, 'ranked.member'),
        'customer_tier': "'客户等级' || ranked.member",
        'queue': label_of('ranked.member', {'vip': 'VIP队列'}, "'普通队列'"),
        'cause': "'障碍原因' || ranked.member",
        'access_type': "'接入方式' || ranked.member",
        'order_type': "'工单类型' || ranked.member",
        'hour_band': hour_band_label,
        'weekday': "'周' || substr('一二三四五六日', cast(ranked.member as int), 1)",
        'month_part': label_of('ranked.member', {
            '01-10': '上旬（1–10日）', '11-20': '中旬（11–20日）',
        }, "'下旬（21日起）'"),
    },
    'en': {
        'city': 'coalesce(cities.name_en, ranked.member)',
        'province': 'coalesce(provinces.name_en, ranked.member)',
        'hall': "'hall ' || ranked.member",
        'hall_type': label_of('ranked.member', {
            'own_hall': 'own halls', 'brand_store_3g': '3G brand stores',
            'self_service': 'self-service stores',
        }, 'ranked.member'),
        'customer_tier': "ranked.member || ' customers'",
        'queue': "ranked.member || ' queue'",
        'cause': "'cause ' || ranked.member",
        'access_type': "'access ' || ranked.member",
        'order_type': "ranked.member || ' orders'",
        'hour_band': hour_band_label,
        'weekday': "substr('MonTueWedThuFriSatSun', 3 * cast(ranked.member as int) - 2, 3)",
        'month_part': label_of('ranked.member', {
            '01-10': 'days 1–10', '11-20': 'days 11–20',
        }, "'days 21–end'"),
    },
} %}
{%- set members = [
    ('city', 'city_code'),
    ('hall', 'hall_id'),
    ('hall_type', 'hall_type'),
    ('customer_tier', 'customer_tier'),
    ('queue', 'queue'),
    ('cause', 'cause'),
    ('access_type', 'access_type'),
    ('order_type', 'order_type'),
    ('hour_band', hour_band),
    ('weekday', 'cast((days_since_a_monday % 7 + 7) % 7 + 1 as string)'),
    ('month_part', month_part),
    ('province', 'case_province_code'),
] %}
with

kpi_breaches as (
    {{ rows_in_affected_periods(
        'kpi_breaches', 'period_month', 'month', where="kpi_id <> 'hotline_24x7_dark_hours'"
    ) }}
),

int_kpi_cases_unioned as (
    {{ rows_in_affected_periods('int_kpi_cases_unioned', 'period_month', 'month') }}
),

int_kpi_versions_dated as (
    select * from {{ ref('int_kpi_versions_dated') }}
),

{% for fact, month in facts_by_month %}
    {{ fact }} as (
        {{ rows_in_affected_periods(fact, month, 'month') }}
    ),
{% endfor %}

dim_cities as (
    select * from {{ ref('dim_cities') }}
),

dim_provinces as (
    select * from {{ ref('dim_provinces') }}
),

breaches as (
    select
        breaches.period_month,
        breaches.province_code,
        breaches.is_national,
        breaches.kpi_id,
        breaches.segment,
        breaches.threshold,
        breaches.comparator,
        versions.case_limit
    from kpi_breaches as breaches
    left join int_kpi_versions_dated as versions
        on {{ version_in_force('breaches', 'period_month') }}
),

-- The details a case's KPI row does not carry, read from its fact: the instant it started
-- (hour and weekday are those of the local wall clock) and its source's own dimensions.
case_details as (
    {%- for source in case_sources %}
        select
            '{{ source.source }}' as source_name,
            {{ source.case_id }} as case_id,
            {{ source.started_at }} as started_at,
            {%- for detail in detail_columns %}
                {{ detail if detail in source.details else 'cast(null as string) as ' ~ detail }}
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from fct_{{ source.source }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- Each case of a breach once (a nation's breach takes every province's cases), with how much
-- it counts against the target: 1 when it failed a share KPI's per-case limit or broke a max
-- KPI's ceiling, its value for a mean KPI.
breach_cases as (
    select
        {%- for column in breach_columns %}
            breaches.{{ column }},
        {%- endfor %}
        cases.province_code as case_province_code,
        cases.city_code,
        {%- for dimension in case_dimensions %}
            {{ 'cases' if dimension == 'customer_tier' else 'details' }}.{{ dimension }},
        {%- endfor %}
        {{ local_time('details.started_at') }} as started_local,
        cast(1 as double) as weight,
        case
            when cases.measure = 'mean' then cases.measured_value
            when cases.measure = 'max' and cases.measured_value > breaches.threshold then 1.0
            when
                cases.measure = 'share'
                and (cases.measured_value is null or cases.measured_value > breaches.case_limit)
                then 1.0
            else 0.0
        end as against
    from breaches
    inner join int_kpi_cases_unioned as cases
        on
            breaches.period_month = cases.period_month
            and breaches.kpi_id = cases.kpi_id
            and breaches.segment = cases.segment
            and (breaches.is_national or breaches.province_code = cases.province_code)
    left join case_details as details
        on
            cases.source_name = details.source_name
            and cases.case_id = details.case_id
),

-- The connection rates have no cases: each city × hour counter weighs by its attempts and
-- counts its failed attempts against the target.
breach_counters as (
    select
        {%- for column in breach_columns %}
            breaches.{{ column }},
        {%- endfor %}
        calls.province_code as case_province_code,
        calls.city_code,
        {%- for dimension in case_dimensions %}
            cast(null as string) as {{ dimension }},
        {%- endfor %}
        {{ local_time('calls.stat_hour') }} as started_local,
        cast(calls.attempts as double) as weight,
        cast(calls.attempts - calls.connected as double) as against
    from breaches
    inner join fct_network_calls as calls
        on
            breaches.period_month = calls.stat_month
            and breaches.kpi_id = calls.network || '_connect_rate'
            and (breaches.is_national or breaches.province_code = calls.province_code)
),

weighed as (
    select
        *,
        hour(started_local) as local_hour,
        cast(
            {{ dbt.datediff("cast('2024-01-01' as date)", 'cast(started_local as date)', 'day') }}
            as bigint
        ) as days_since_a_monday
    from (
        select * from breach_cases
        union all
        select * from breach_counters
    ) as weighed_parts
),

-- One row per case and dimension its fact carries: (dimension, member).
members_of_cases as (
    select *
    from (
        {%- for dimension, member in members %}
            select
                *,
                '{{ dimension }}' as dimension,
                {{ member }} as member
            from weighed
            {% if dimension == 'province' %}where is_national{% endif %}
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as unpivoted
    where member is not null
),

member_totals as (
    select
        members.period_month,
        members.province_code,
        members.kpi_id,
        members.segment,
        members.dimension,
        members.member,
        sum(members.weight) as cases,
        sum(members.against) as against,
        max(breaches.threshold) as threshold,
        max(breaches.comparator) as comparator,
        max(case when right(breaches.kpi_id, 4) = '_max' then 1 else 0 end) as is_max
    from members_of_cases as members
    inner join breaches
        on
            members.period_month = breaches.period_month
            and members.province_code = breaches.province_code
            and members.kpi_id = breaches.kpi_id
            and members.segment = breaches.segment
    group by
        members.period_month,
        members.province_code,
        members.kpi_id,
        members.segment,
        members.dimension,
        members.member
),

excesses as (
    select
        *,
        case
            when is_max = 1 then against
            when comparator = '<=' then against - threshold * cases
            else against - (1 - threshold) * cases
        end as excess
    from member_totals
),

shares as (
    select
        *,
        excess / sum(case when excess > 0 then excess else 0 end) over (
            partition by period_month, province_code, kpi_id, segment, dimension
        ) as excess_share,
        cases / sum(cases) over (
            partition by period_month, province_code, kpi_id, segment, dimension
        ) as case_share
    from excesses
),

ranked as (
    select
        *,
        excess_share * (1 - case_share) as score,
        row_number() over (
            partition by period_month, province_code, kpi_id, segment
            -- 9 decimals: equal scores (a city and its only hall) tie on every engine
            order by round(excess_share * (1 - case_share), 9) desc, dimension, member asc
        ) as driver_rank
    from shares
    -- a member holding every case (a province's only city) says nothing about where
    where excess > 0 and case_share < 1
),

labelled as (
    select
        {%- for language in ['zh', 'en'] %}
            case ranked.dimension
                {%- for dimension, label in member_labels[language].items() %}
                    when '{{ dimension }}' then {{ label }}
                {%- endfor %}
            end as member_label_{{ language }},
        {%- endfor %}
        ranked.*
    from ranked
    left join dim_cities as cities
        on ranked.dimension = 'city' and ranked.member = cities.city_code
    left join dim_provinces as provinces
        on ranked.dimension = 'province' and ranked.member = provinces.province_code
    where ranked.driver_rank <= 3
),

final as (
    select
        period_month,
        province_code,
        kpi_id,
        segment,
        cast(driver_rank as bigint) as driver_rank,
        dimension,
        member,
        member_label_zh,
        member_label_en,
        cases as member_cases,
        -- 9 decimals: 10 - (1 - 0.9) x 10 is 9, not 9.000000000000002
        round(excess, 9) as excess,
        round(excess_share, 9) as excess_share,
        round(case_share, 9) as case_share,
        round(score, 9) as score,
        member_label_zh || '：占缺口的'
        || {{ percent_text('excess_share') }} || '%（样本的'
        || {{ percent_text('case_share') }} || '%）' as driver_label_zh,
        member_label_en || ': '
        || {{ percent_text('excess_share') }} || ' % of the shortfall ('
        || {{ percent_text('case_share') }} || ' % of the cases)'
            as driver_label_en
    from labelled
)

select * from final
