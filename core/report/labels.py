"""The report's words in Chinese (the default) and English.

Words the dashboard already has (columns, severities, met / missed, units, month names) are
the dashboard's own, read from ``core.labels``, so the two never call one thing by two
names; only what exists in the report alone is written here.
"""

from __future__ import annotations

from core import labels as shared

LANGUAGES = shared.LANGUAGES
DEFAULT_LANGUAGE = shared.DEFAULT_LANGUAGE

REPORT_TEXT: dict[str, tuple[str, str]] = {
    "title": ("客户服务标准达标月报", "Customer-service standard: monthly report"),
    "title_scope_all": ("全国及 31 个省份", "The nation and 31 provinces"),
    "scope": ("范围", "Scope"),
    "catalog_versions": ("考核所用标准版本", "Catalog version that judged the month"),
    "sheet_summary": ("摘要", "Summary"),
    "sheet_matrix": ("达标矩阵", "Matrix"),
    "sheet_breaches": ("未达标", "Breaches"),
    "sheet_trends": ("趋势", "Trends"),
    "sheet_catalog": ("标准版本", "Catalog"),
    "kpis_met": ("达标 省份×指标", "Province × KPI met"),
    "kpis_judged": ("考核 省份×指标", "Province × KPI judged"),
    "national_kpis_met": ("全国达标指标", "National KPIs met"),
    "provinces_all_met": ("全部达标省份", "Provinces meeting every KPI"),
    "breaches_total": ("未达标 省份×指标", "Province × KPI breaches"),
    "by_province": ("分省汇总", "By province"),
    "matrix_values": ("实际值（绿色达标、红色未达标）", "Values (green met, red missed)"),
    "matrix_flags": ("达标标记（发布值）", "Compliance as published"),
    "matrix_note": (
        "颜色取自数据仓库发布的达标标记（下方第二个表），不在 Excel 中重新判断。",
        "Colours follow the published compliance flags (the second table below); Excel "
        "judges nothing itself.",
    ),
    "col_drivers": ("缺口来源（前三）", "Where the shortfall comes from (top 3)"),
    "drivers_note": (
        "缺口来源：各城市、营业厅、时段、日期段等占缺口的比例（括号内为其样本占比），越集中越靠前。",
        "Where the shortfall comes from: the share of the shortfall a city, hall, hour band, "
        "part of the month … explains (in brackets, its share of the cases), most concentrated "
        "first.",
    ),
    "drivers_missing": (
        "未达标的成因（驱动因素）尚未提供：数据仓库中还没有 kpi_breach_drivers。",
        "Drivers of each breach: not available yet (the warehouse has no kpi_breach_drivers).",
    ),
    "col_shortfall": ("差距", "Shortfall"),
    "col_relative_shortfall": ("相对差距", "Relative shortfall"),
    "col_reason": ("判定依据", "Reason"),
    "reason_shortfall": ("差距", "shortfall"),
    "reason_ceiling": ("单件超时", "case over ceiling"),
    "col_comparator": ("比较", "Comparator"),
    "col_unit": ("单位", "Unit"),
    "col_effective_from": ("生效日期", "Effective from"),
    "col_effective_to": ("失效日期", "Effective to"),
    "col_origin": ("来源", "Origin"),
    "col_case_limit": ("单案上限", "Per-case limit"),
    "trend_counts": ("各月达标与未达标（省份×指标）", "Met and missed per month (province × KPI)"),
    "trend_values_nation": ("全国各指标月值", "Each KPI's monthly value, nation"),
    "trend_values_provinces": ("各指标月值", "Each KPI's monthly value"),
    "generated": ("生成于", "Generated"),
    "no_breaches": ("本月全部达标。", "Every KPI was met this month."),
}


def t(lang: str, key: str, **values: object) -> str:
    """The report's label ``key``, else the dashboard's, in ``lang``."""
    if key not in REPORT_TEXT:
        return shared.t(lang, key, **values)
    zh, en = REPORT_TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


month = shared.month
fmt_value = shared.fmt_value
fmt_threshold = shared.fmt_threshold
segment = shared.segment
unit = shared.unit


def severity(lang: str, code: str) -> str:
    return shared.t(lang, code)


def reason(lang: str, code: str) -> str:
    return t(lang, "reason_ceiling" if code == "cases over ceiling" else "reason_shortfall")
