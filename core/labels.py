"""Every word the dashboard shows, in Chinese (the default) and English.

Names that live in the warehouse (provinces, cities, KPIs, tiers, channels) come from the
dimension marts' ``name_zh`` / ``name_en``; this module holds only the interface's own
vocabulary, so a reader switching language sees every label change, never a mix.
"""

from __future__ import annotations

from datetime import date

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("客户服务标准达标看板", "Customer-service standard compliance"),
    "app_subtitle": (
        "《中国联通客户服务标准》分省达标情况",
        "Province by province, against China Unicom's Customer Service Standard",
    ),
    "page_overview": ("总览", "Overview"),
    "page_province": ("分省", "Province"),
    "page_kpi": ("指标", "KPI"),
    "page_breaches": ("违规与告警", "Breaches & alerts"),
    "page_health": ("数据健康", "Data health"),
    "page_definitions": ("指标定义", "Definitions"),
    "language": ("语言", "Language"),
    "published": ("数据发布于", "Data published"),
    "beijing_time": ("北京时间", "Beijing time"),
    "sources_up_to": ("各数据源截至", "Sources up to"),
    "loaded": ("入库", "loaded"),
    "no_warehouse": (
        "尚无已发布的数据仓库：{path}。请先运行 kpiwatch ingest 与 kpiwatch build。",
        "No published warehouse yet at {path}. Run kpiwatch ingest and kpiwatch build first.",
    ),
    "no_data": ("暂无数据。", "No data."),
    "not_available": (
        "{what}尚未提供（仓库中还没有 {table}）。",
        "{what}: not available yet (the warehouse has no {table}).",
    ),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_report": ("下载本月月报（Excel）", "Download this month's report (Excel)"),
    # the door: sign-in, sign-out, roles
    "sign_in_title": ("请登录", "Please sign in"),
    "sign_in_caption": (
        "本看板仅限授权人员访问。",
        "This dashboard is for authorised staff only.",
    ),
    "user_name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "sign_in_sso": ("通过单点登录（SSO）登录", "Sign in with single sign-on"),
    "sign_in_refused": ("用户名或密码错误。", "Wrong user name or password."),
    "sign_out": ("退出登录", "Sign out"),
    "signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "role_national": ("全国", "national"),
    "role_provincial": ("分省", "provincial"),
    "role_operations": ("运维", "operations"),
    "no_access": (
        "您的身份 {name} 未被授权访问本看板，请联系管理员。",
        "Your identity {name} has no access to this dashboard; ask an administrator.",
    ),
    "door_closed": (
        "本看板对外提供服务，但未配置任何登录方式，因此不显示任何数据"
        "（见 docs/dashboard-access.md）。",
        "This dashboard is served to others without any sign-in method configured, so it "
        "shows nothing (see docs/dashboard-access.md).",
    ),
    "door_config_error": ("登录配置有误：{error}", "The sign-in configuration is wrong: {error}"),
    "operations_only": (
        "明细记录仅对运维角色开放；此处仅显示数量。",
        "Records are shown to the operations role only; here you see counts.",
    ),
    "rows_shown": ("显示 {shown:,} / {total:,} 行", "{shown:,} of {total:,} rows shown"),
    # filters
    "period": ("统计月份", "Period"),
    "province": ("省份", "Province"),
    "kpi": ("指标", "KPI"),
    "map_colour": ("地图着色", "Map colour"),
    "map_share": ("达标指标占比", "Share of KPIs met"),
    "map_margin": ("所选指标余量", "Chosen KPI's margin"),
    "all_provinces": ("全部省份", "All provinces"),
    "all_kpis": ("全部指标", "All KPIs"),
    # overview
    "national_kpis_met": ("全国达标指标", "National KPIs met"),
    "provinces_all_met": ("全部达标省份", "Provinces meeting every KPI"),
    "breaches_province_kpi": ("未达标 省份×指标", "Province × KPI breaches"),
    "cases_beyond_limit": ("超限案例", "Cases beyond limit"),
    "vs_previous": ("较上期", "vs previous period"),
    "national_standing": ("全国指标达标情况", "National standing of every KPI"),
    "map_title": ("各省达标地图", "Compliance by province"),
    "matrix_title": ("省份 × 指标 达标矩阵", "Province × KPI matrix"),
    "matrix_caption": (
        "绿色达标、红色未达标；颜色深浅表示相对门限的余量。",
        "Green met, red missed; the shade is the margin relative to the threshold.",
    ),
    "worst_breaches": ("本期最严重的未达标", "Worst breaches of the period"),
    "no_breaches": ("本期全部达标。", "Every KPI was met in this period."),
    "unserved": ("非本公司服务区域", "Not in the operator's service area"),
    "maritime_line": ("南海诸岛", "South China Sea Islands"),
    "open_province": ("查看分省详情", "Open the province page"),
    # columns
    "col_kpi": ("指标", "KPI"),
    "col_segment": ("细分", "Segment"),
    "col_value": ("实际值", "Value"),
    "col_threshold": ("门限", "Threshold"),
    "col_status": ("状态", "Status"),
    "col_change": ("较上月", "vs previous month"),
    "change_partial_previous": ("上月数据不全，不比较", "not compared: previous month partial"),
    "change_partial_current": ("本月数据不全，不比较", "not compared: this month partial"),
    "change_caption": (
        "较上月：仅当两个月的数据都覆盖整月时才比较；任一月份只有部分天数的数据时不作比较，"
        "因为不同的统计范围不可比。",
        "vs previous month: compared only when both months have data for every day; a "
        "month with data for part of its days is not compared, since the populations "
        "differ.",
    ),
    "col_trend": ("本月日走势", "Daily, this month"),
    "col_sample": ("样本量", "Sample"),
    "col_breach_count": ("超限案例数", "Cases beyond limit"),
    "col_margin": ("余量", "Margin"),
    "col_province": ("省份", "Province"),
    "col_city": ("城市", "City"),
    "col_share_met": ("达标占比", "Share met"),
    "col_kpis_met": ("达标指标数", "KPIs met"),
    "col_kpis_judged": ("考核指标数", "KPIs judged"),
    "col_rank": ("排名", "Rank"),
    "col_severity": ("严重程度", "Severity"),
    "col_duration": ("持续", "Duration"),
    "col_months": ("连续月数", "Months in a row"),
    "col_days": ("本月未达标天数", "Days missed this month"),
    "col_since": ("起始月份", "Since"),
    "col_until": ("结束月份", "Until"),
    "col_case": ("案例编号", "Case"),
    "col_measured": ("实测", "Measured"),
    "col_limit": ("单案上限", "Per-case limit"),
    "col_open": ("仍未完成", "Still open"),
    "open_yes": ("未完成", "open"),
    "col_source": ("数据源", "Source"),
    "col_period": ("月份", "Period"),
    "col_catalog_version": ("标准版本", "Catalog version"),
    "col_tier": ("客户等级", "Tier"),
    "met": ("达标", "Met"),
    "missed": ("未达标", "Missed"),
    "critical": ("严重", "Critical"),
    "major": ("较重", "Major"),
    "minor": ("轻微", "Minor"),
    "months_n": ("{n} 个月", "{n} months"),
    # province page
    "province_kpis": ("{province} 各项指标", "{province}: every KPI"),
    "over_time": ("指标走势（含门限）", "Over time, with the threshold"),
    "daily": ("日值", "Daily"),
    "monthly": ("月值", "Monthly"),
    "cities": ("各城市对比", "Cities side by side"),
    "no_city_grain": (
        "该指标的数据源不含城市（10010 热线按省统计）。",
        "This KPI's source carries no city (the 10010 hotline is counted per province).",
    ),
    "standard_kpi": ("对应普通客户指标", "Standard counterpart"),
    "standard_value": ("普通客户实际值", "Its value"),
    "urban_rural": ("城镇与农村", "Urban vs rural"),
    "urban_rural_caption": (
        "标准对宽带障碍修复分城镇、农村设不同门限；其余指标不分城乡发布。",
        "The standard sets separate urban and rural limits for broadband repairs; "
        "the other KPIs are published for all areas together.",
    ),
    "vip_tiers": ("VIP 客户等级", "VIP tiers"),
    "vip_caption": (
        "VIP 专属指标与普通客户指标对比；下表按客户等级统计本期超限案例数。",
        "The VIP commitments beside the standard ones; below, this period's cases "
        "beyond limit by customer tier.",
    ),
    "drivers_title": ("缺口来自哪里", "Where the shortfall comes from"),
    "drivers_caption": (
        "本期每项未达标指标的前三个成因：某城市、营业厅、时段、日期段等占缺口的比例"
        "（括号内为其样本占比；占比越集中越靠前）。",
        "The top three drivers of each KPI missed this period: the share of the shortfall a "
        "city, hall, hour band, part of the month … explains (in brackets, its share of the "
        "cases; the more concentrated, the higher).",
    ),
    "col_driver": ("成因", "Driver"),
    "col_driver_rank": ("名次", "Rank"),
    "cases_title": ("超出单案上限的案例", "Cases that broke the per-case limit"),
    "cases_caption": (
        "{kpi}：本期共 {total:,} 例，按超出程度排序。",
        "{kpi}: {total:,} cases this period, worst first.",
    ),
    "no_case_limit": (
        "该指标没有单案上限（按汇总值考核）。",
        "This KPI has no per-case limit (it is judged on its aggregate).",
    ),
    # KPI page
    "definition": ("定义", "Definition"),
    "ranking": ("各省排名", "Ranking of provinces"),
    "distribution": ("各省分布", "Distribution across provinces"),
    "trend": ("全国走势", "National trend"),
    "provinces_n": ("省份数", "Provinces"),
    "source_text": ("标准原文", "Text of the standard"),
    "formula": ("计算口径", "Formula"),
    "population": ("统计范围", "Population"),
    "origin": ("来源", "Origin"),
    "effective": ("生效日期", "Effective"),
    "case_limit": ("单案上限", "Per-case limit"),
    # breaches page
    "current_breaches": ("当前未达标", "Current breaches"),
    "past_breaches": ("历史未达标", "Past breaches"),
    "breach_history": ("各月未达标数", "Breaches per month"),
    "severity_caption": (
        "严重程度按各指标的分级（kpiwatch 默认值，可在 kpiwatch.toml [severity] 中修改）：相对门限"
        "的差距达到“分级”列第一个比例为较重，达到第二个为严重，其余轻微；维修、装机类指标有"
        "单件超过最长时限即为严重（门限为 0 的计数指标按每单位 100% 计）。告警摘要使用同一结果。"
        "持续：截至本期连续未达标的月数。",
        "Severity by each KPI's band (kpiwatch's defaults unless kpiwatch.toml [severity] "
        "overrides them): major from the first shortfall relative to the threshold in the Band "
        "column, critical from the second, else minor; for repair and installation KPIs one "
        "case over its ceiling is critical (a count with threshold 0 counts 100% per unit). "
        "The alert digests use the same verdict. Duration: months in a row in breach up to "
        "this period.",
    ),
    "col_band": ("分级", "Band"),
    "band_ceiling": ("单件超时", "case over ceiling"),
    "alert_log": ("告警记录", "Alert log"),
    "alerts_what": ("告警记录", "Alert log"),
    # data health
    "ingest_log": ("入库记录", "Ingest log"),
    "ingest_summary": ("按数据源与状态汇总", "By source and status"),
    "failed_files": ("无法读取或被拒绝的文件", "Files that could not be read or were refused"),
    "recent_files": ("最近入库的文件", "Most recent files"),
    "quarantine": ("隔离行（按原因与数据源）", "Quarantine by reason and source"),
    "quarantined_rows": ("隔离行数", "Quarantined rows"),
    "quarantine_sample": ("最近隔离的行", "Most recently quarantined rows"),
    "freshness": ("各省各数据源的新鲜度", "Freshness by province and source"),
    "freshness_caption": (
        "单元格为该省该数据源最新事件落后于全国最新事件的小时数。",
        "Each cell: hours by which the province's latest event of the source trails "
        "the latest event of that source nationwide.",
    ),
    "hours_behind": ("落后小时数", "Hours behind"),
    "latest_event": ("最新事件", "Latest event"),
    "dq_results": ("数据质量检查结果", "Data-quality results"),
    "dq_what": ("数据质量检查结果", "Data-quality results"),
    "data_docs": ("Great Expectations 数据文档", "Great Expectations Data Docs"),
    "data_docs_open": ("打开数据文档", "Open the Data Docs"),
    "data_docs_missing": (
        "数据文档尚未生成（{path} 不存在）。",
        "Data Docs not available yet ({path} does not exist).",
    ),
    "files": ("文件数", "Files"),
    "file": ("文件", "File"),
    "error": ("原因", "Reason"),
    "rows": ("行数", "Rows"),
    "reason": ("原因", "Reason"),
    "status": ("状态", "Status"),
    # definitions
    "catalog": ("指标目录（《客户服务标准》）", "The KPI catalog (the service standard)"),
    "tiers": ("客户等级", "Customer tiers"),
    "channels": ("服务渠道", "Service channels"),
    "remote_matrix": ("异地服务矩阵", "Remote-service matrix"),
    "remote_caption": (
        "●全面受理 ◐仅咨询 —不提供",
        "● full service  ◐ enquiries only  — not offered",
    ),
    "information_only": ("仅供参考（无数据源）", "information only (no data source)"),
    "at_risk_title": ("本月达标风险预警", "At risk this month"),
    "at_risk_none": (
        "本月目前没有可能不达标的指标。",
        "No indicator is likely to miss the standard this month so far.",
    ),
    "at_risk_caption": (
        "{month}:按目前进度推算月末，不达标概率 ≥ 50% 或已无法达标的指标。",
        "{month}: indicators at least 50% likely to end the month non-compliant at the "
        "current pace, or already lost.",
    ),
    "at_risk_probability": ("不达标概率", "Chance of missing"),
    "at_risk_lost": ("已无法达标", "already lost"),
    "at_risk_so_far": ("本月至今", "So far"),
    "at_risk_projected": ("月末预计(95%区间)", "Month end (95% range)"),
    "at_risk_days": ("已观察天数", "Days observed"),
    "at_risk_reliability": ("可信度", "Reliability"),
    "at_risk_reliable": ("可信", "reliable"),
    "at_risk_too_early": ("月初，尚早", "too early"),
    "at_risk_too_few_cases": ("样本过少", "too few cases"),
    "at_risk_no_history": ("无历史数据", "no history"),
    "at_risk_already_lost": ("已确定", "decided"),
}

UNITS: dict[str, tuple[str, str]] = {
    "share": ("%", "%"),
    "hours": ("小时", "h"),
    "days": ("天", "d"),
    "hours_count": ("小时", "h"),
    "seconds": ("秒", "s"),
}

SEGMENTS: dict[str, tuple[str, str]] = {
    "all": ("全部", "all"),
    "urban": ("城镇", "urban"),
    "rural": ("农村", "rural"),
}

SOURCES: dict[str, tuple[str, str]] = {
    "hall_tickets": ("营业厅排队", "Hall tickets"),
    "hotline_calls": ("10010 热线", "Hotline calls"),
    "network_calls": ("网络接通", "Network counters"),
    "mobile_repairs": ("移动障碍", "Mobile repairs"),
    "broadband_faults": ("宽带障碍", "Broadband faults"),
    "install_orders": ("装移机", "Installations"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "loaded": ("已入库", "loaded"),
    "skipped_duplicate": ("重复跳过", "duplicate skipped"),
    "failed": ("失败", "failed"),
    "refused": ("已拒绝 (指向落地目录之外)", "refused (leads outside the landing folder)"),
}

REMOTE_GROUPS: dict[str, str] = {
    "异地业务咨询": "Remote enquiries",
    "异地业务投诉": "Remote complaints",
    "异地人工辅助呼转": "Assisted call forwarding",
    "异地停/开机": "Remote suspend / resume",
    "异地缴费/充值": "Remote payment / top-up",
    "异地话费查询": "Remote bill enquiries",
}

UNSERVED_NAMES_EN = {
    "710000": "Taiwan Province",
    "810000": "Hong Kong SAR",
    "820000": "Macao SAR",
}


def t(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def pick(lang: str, pair: tuple[str, str] | None, fallback: str = "") -> str:
    if pair is None:
        return fallback
    return pair[1] if lang == "en" else pair[0]


def name(lang: str, zh: str | None, en: str | None) -> str:
    """A bilingual name from a dimension row: English when asked and present."""
    return (en or zh or "") if lang == "en" else (zh or en or "")


def month(lang: str, period: date) -> str:
    return period.strftime("%b %Y") if lang == "en" else f"{period.year}年{period.month}月"


def segment(lang: str, code: str) -> str:
    return pick(lang, SEGMENTS.get(code), code)


def source(lang: str, code: str) -> str:
    return pick(lang, SOURCES.get(code), code)


def unit(lang: str, code: str | None) -> str:
    return pick(lang, UNITS.get(code or ""), code or "")


def fmt_value(lang: str, value: float | None, unit_code: str | None) -> str:
    """A KPI value as an executive reads it: shares in percent, durations with a unit."""
    if value is None or value != value:  # None or NaN
        return "—"
    if unit_code == "share":
        return f"{value:.2%}"
    if unit_code in ("hours_count", "seconds"):
        return f"{value:,.0f} {unit(lang, unit_code)}"
    return f"{value:,.1f} {unit(lang, unit_code)}"


def fmt_threshold(
    lang: str, comparator: str | None, value: float | None, unit_code: str | None
) -> str:
    if value is None or value != value:
        return "—"
    symbol = {">=": "≥", "<=": "≤"}.get(comparator or "", comparator or "")
    return f"{symbol} {fmt_value(lang, value, unit_code)}"


def fmt_change(lang: str, delta: float | None, unit_code: str | None) -> str:
    """A change between two published values, in percentage points for shares."""
    if delta is None or delta != delta:
        return "—"
    if unit_code == "share":
        return f"{delta * 100:+.2f} pp" if lang == "en" else f"{delta * 100:+.2f} 个百分点"
    if unit_code == "hours_count":
        return f"{delta:+,.0f} {unit(lang, unit_code)}"
    return f"{delta:+,.1f} {unit(lang, unit_code)}"
