{#-
    The sources of the duration KPIs (repair hours, installation days) and which of their items
    each KPI counts, written once for the completed items (int_kpi_cases_unioned: the mean and
    the max) and the items still open at a period end (int_open_items_aged: the max):
      kpi_prefix   the KPIs <kpi_prefix>_avg and <kpi_prefix>_max
      segment      the KPI's segment of an item
      case_id      the item's id; opened_at / closed_at when it started and was completed
      counted      the items the KPIs count, open or completed (none: every item)
      completed    what makes an item completed; period its <period>_month and _date
      value        a completed item's duration, in the unit of unit_seconds
-#}
{% macro duration_kpi_sources() -%}
    {{ return([
        {
            'source': 'mobile_repairs',
            'kpi_prefix': 'mobile_repair_hours',
            'segment': "'all'",
            'case_id': 'ticket_id',
            'opened_at': 'reported_at',
            'closed_at': 'restored_at',
            'counted': 'not is_terminal_caused',
            'completed': 'is_restored',
            'period': 'restored',
            'value': 'repair_hours',
            'unit_seconds': 3600,
        },
        {
            'source': 'broadband_faults',
            'kpi_prefix': 'broadband_repair_hours',
            'segment': 'area_type',
            'case_id': 'ticket_id',
            'opened_at': 'reported_at',
            'closed_at': 'restored_at',
            'counted': none,
            'completed': 'is_restored',
            'period': 'restored',
            'value': 'repair_hours',
            'unit_seconds': 3600,
        },
        {
            'source': 'install_orders',
            'kpi_prefix': 'install_days',
            'segment': "'all'",
            'case_id': 'order_id',
            'opened_at': 'accepted_at',
            'closed_at': 'completed_at',
            'counted': 'is_fixed_phone',
            'completed': 'is_completed',
            'period': 'completed',
            'value': 'install_days',
            'unit_seconds': 86400,
        },
    ]) }}
{%- endmacro %}
