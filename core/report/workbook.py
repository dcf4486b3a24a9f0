"""The monthly report as an Excel workbook (openpyxl): summary, province × KPI matrix,
breaches, trends, and the catalog versions that judged the month.

Figures are written as numbers with an Excel number format (a share as 0.00 %), not as
text, so a reader can sort, filter and chart them, and a test can compare each cell with the
mart. The matrix's colours come from the published compliance flags, written as a second
table under the values: conditional formatting points at them, so Excel shows the
warehouse's verdict and never judges a value against a threshold itself.
"""

from __future__ import annotations

from io import BytesIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.contract import NATIONAL_CODE
from core.report.data import SEVERITIES, MonthlyData
from core.report.labels import fmt_threshold, month, reason, segment, severity, t, unit

NUMBER_FORMATS = {"share": "0.00%", "hours": "0.0", "days": "0.0", "hours_count": "0"}
"""How each unit of the marts is shown; the cell holds the published value unrounded."""
MET_FILL = PatternFill("solid", start_color="C8E6C9", end_color="C8E6C9")
MISSED_FILL = PatternFill("solid", start_color="FFCDD2", end_color="FFCDD2")
SEVERITY_FILLS = {
    "critical": PatternFill("solid", start_color="EF9A9A", end_color="EF9A9A"),
    "major": PatternFill("solid", start_color="FFCC80", end_color="FFCC80"),
    "minor": PatternFill("solid", start_color="FFF59D", end_color="FFF59D"),
}
TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
FIRST_ROW = 3
"""Tables start under a title row and a blank row."""


def workbook(data: MonthlyData, lang: str) -> bytes:
    """The whole workbook, as the bytes of an .xlsx file."""
    book = Workbook()
    summary = book.active
    summary.title = t(lang, "sheet_summary")
    _summary(summary, data, lang)
    _matrix(book.create_sheet(t(lang, "sheet_matrix")), data, lang)
    _breaches(book.create_sheet(t(lang, "sheet_breaches")), data, lang)
    _trends(book.create_sheet(t(lang, "sheet_trends")), data, lang)
    _catalog(book.create_sheet(t(lang, "sheet_catalog")), data, lang)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def title(data: MonthlyData, lang: str) -> str:
    """``客户服务标准达标月报 · 2026年10月 · 广东省``: what, when, where."""
    return f"{t(lang, 'title')} · {month(lang, data.scope.month)} · {scope_text(data, lang)}"


def scope_text(data: MonthlyData, lang: str) -> str:
    if data.scope.national:
        return t(lang, "title_scope_all")
    return "、".join(data.province_name(lang, c) for c in data.province_codes)


def catalog_versions(data: MonthlyData) -> list[str]:
    return sorted(set(data.compliance["catalog_version"]))


def headline(data: MonthlyData) -> list[tuple[str, int, int | None]]:
    """The summary's figures: (label key, count, out of), every one counted from published
    flags and severities. Province × KPI counts leave the nation out."""
    scores = data.scores
    figures: list[tuple[str, int, int | None]] = []
    if data.scope.national:
        nation = data.compliance[data.compliance["province_code"] == NATIONAL_CODE]
        figures.append(("national_kpis_met", int(nation["is_compliant"].sum()), len(nation)))
    judged = int(scores["kpis_judged"].sum())
    figures += [
        ("kpis_met", int(scores["kpis_met"].sum()), judged),
        (
            "provinces_all_met",
            int((scores["kpis_met"] == scores["kpis_judged"]).sum()),
            len(scores),
        ),
        ("breaches_total", int(scores[list(SEVERITIES)].sum().sum()), None),
    ]
    figures += [(s, int(scores[s].sum()), None) for s in SEVERITIES]
    return figures


def _title(sheet: Worksheet, text: str) -> None:
    sheet["A1"] = text
    sheet["A1"].font = TITLE


def _header(sheet: Worksheet, row: int, names: list[str], column: int = 1) -> None:
    for offset, text in enumerate(names):
        cell = sheet.cell(row, column + offset, text)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _widths(sheet: Worksheet, widths: dict[int, float]) -> None:
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def _number(sheet: Worksheet, row: int, column: int, value: object, unit_code: str | None):
    cell = sheet.cell(row, column, None if pd.isna(value) else float(value))
    cell.number_format = NUMBER_FORMATS.get(unit_code or "", "General")
    return cell


def _count(value: object) -> int | None:
    return None if pd.isna(value) else int(value)


def _summary(sheet: Worksheet, data: MonthlyData, lang: str) -> None:
    _title(sheet, title(data, lang))
    rows = [
        (t(lang, "period"), month(lang, data.scope.month)),
        (t(lang, "scope"), scope_text(data, lang)),
        (t(lang, "catalog_versions"), ", ".join(catalog_versions(data))),
    ]
    if data.published_at is not None:
        stamp = f"{data.published_at:%Y-%m-%d %H:%M} ({t(lang, 'beijing_time')})"
        rows.append((t(lang, "published"), stamp))
    row = FIRST_ROW
    for label, value in rows:
        sheet.cell(row, 1, label).font = BOLD
        sheet.cell(row, 2, value)
        row += 1
    row += 1
    for key, value, out_of in headline(data):
        sheet.cell(row, 1, t(lang, key)).font = BOLD
        sheet.cell(row, 2, value)
        if out_of is not None:
            sheet.cell(row, 3, out_of)
        row += 1
    row += 1
    sheet.cell(row, 1, t(lang, "by_province")).font = BOLD
    row += 1
    _header(
        sheet,
        row,
        [
            t(lang, "col_province"), "", t(lang, "col_kpis_judged"), t(lang, "col_kpis_met"),
            t(lang, "col_share_met"), *(t(lang, s) for s in SEVERITIES),
        ],
    )  # fmt: skip
    for r in data.scores.itertuples():
        row += 1
        sheet.cell(row, 1, r.province_code)
        sheet.cell(row, 2, data.province_name(lang, r.province_code))
        sheet.cell(row, 3, int(r.kpis_judged))
        sheet.cell(row, 4, int(r.kpis_met))
        share = sheet.cell(row, 5, int(r.kpis_met) / int(r.kpis_judged))
        share.number_format = "0%"
        for offset, s in enumerate(SEVERITIES):
            sheet.cell(row, 6 + offset, int(getattr(r, s)))
    _widths(sheet, {1: 26, 2: 24, 3: 12, 4: 12, 5: 12, 6: 10, 7: 10, 8: 10})


def matrix_layout(data: MonthlyData) -> tuple[list[str], list[str]]:
    """The matrix's rows (province codes, the nation first) and columns (KPI keys)."""
    return list(data.provinces["province_code"]), list(data.kpis["kpi_key"])


def _matrix(sheet: Worksheet, data: MonthlyData, lang: str) -> None:
    _title(sheet, f"{t(lang, 'matrix_title')} · {month(lang, data.scope.month)}")
    sheet.cell(2, 1, t(lang, "matrix_note"))
    codes, keys = matrix_layout(data)
    cells = data.compliance.set_index(["province_code", "kpi_key"])
    kpis = data.kpis.set_index("kpi_key")
    values_top = _matrix_block(sheet, FIRST_ROW + 1, data, lang, "matrix_values", codes, keys)
    for i, code in enumerate(codes):
        for j, key in enumerate(keys):
            if (code, key) in cells.index:
                _number(sheet, values_top + i, 3 + j, cells.loc[(code, key), "value"],
                        kpis.loc[key, "unit"])  # fmt: skip
    flags_top = _matrix_block(
        sheet, values_top + len(codes) + 2, data, lang, "matrix_flags", codes, keys
    )
    for i, code in enumerate(codes):
        for j, key in enumerate(keys):
            if (code, key) in cells.index:
                sheet.cell(flags_top + i, 3 + j, bool(cells.loc[(code, key), "is_compliant"]))
    last_column = get_column_letter(2 + len(keys))
    values = f"C{values_top}:{last_column}{values_top + len(codes) - 1}"
    flags = f"C{flags_top}:{last_column}{flags_top + len(codes) - 1}"
    flag = f"C{flags_top}"  # relative: each value cell looks at its own flag
    sheet.conditional_formatting.add(
        values, FormulaRule(formula=[f"{flag}=FALSE"], fill=MISSED_FILL, stopIfTrue=True)
    )
    sheet.conditional_formatting.add(
        values, FormulaRule(formula=[f"{flag}=TRUE"], fill=MET_FILL, stopIfTrue=True)
    )
    sheet.conditional_formatting.add(
        flags, CellIsRule(operator="equal", formula=["FALSE"], fill=MISSED_FILL)
    )
    sheet.conditional_formatting.add(
        flags, CellIsRule(operator="equal", formula=["TRUE"], fill=MET_FILL)
    )
    sheet.freeze_panes = sheet.cell(values_top, 3)
    _widths(sheet, {1: 10, 2: 18, **{3 + j: 14 for j in range(len(keys))}})


def _matrix_block(
    sheet: Worksheet,
    top: int,
    data: MonthlyData,
    lang: str,
    caption: str,
    codes: list[str],
    keys: list[str],
) -> int:
    """A block's caption and headers (KPI, threshold, catalog version, province names);
    returns the row of its first province."""
    sheet.cell(top, 1, t(lang, caption)).font = BOLD
    kpis = data.kpis.set_index("kpi_key")
    _header(sheet, top + 1, [t(lang, "col_province"), "", *(data.kpi_name(lang, k) for k in keys)])
    sheet.cell(top + 2, 2, t(lang, "col_threshold")).font = BOLD
    sheet.cell(top + 3, 2, t(lang, "col_catalog_version")).font = BOLD
    for j, key in enumerate(keys):
        row = kpis.loc[key]
        sheet.cell(top + 2, 3 + j, fmt_threshold(lang, row.comparator, row.threshold, row.unit))
        sheet.cell(top + 3, 3 + j, row.catalog_version)
    first = top + 4
    for i, code in enumerate(codes):
        sheet.cell(first + i, 1, code)
        sheet.cell(first + i, 2, data.province_name(lang, code))
    return first


BREACH_COLUMNS = (
    "col_severity", "col_reason", "col_province", "", "col_kpi", "col_value", "col_threshold",
    "col_comparator", "col_unit", "col_shortfall", "col_relative_shortfall", "col_breach_count",
    "col_since", "col_months", "col_days", "col_catalog_version", "col_drivers",
)  # fmt: skip


def _breaches(sheet: Worksheet, data: MonthlyData, lang: str) -> None:
    _title(sheet, f"{t(lang, 'current_breaches')} · {month(lang, data.scope.month)}")
    note = "drivers_note" if data.has_drivers else "drivers_missing"
    sheet.cell(2, 1, t(lang, note)).font = Font(italic=True)
    _header(sheet, FIRST_ROW, [t(lang, k) if k else "" for k in BREACH_COLUMNS])
    if data.breaches.empty:
        sheet.cell(FIRST_ROW + 1, 1, t(lang, "no_breaches"))
    for i, r in enumerate(data.breaches.itertuples(), start=FIRST_ROW + 1):
        sheet.cell(i, 1, severity(lang, r.severity)).fill = SEVERITY_FILLS[r.severity]
        sheet.cell(i, 2, reason(lang, r.severity_reason))
        sheet.cell(i, 3, r.province_code)
        sheet.cell(i, 4, data.province_name(lang, r.province_code))
        sheet.cell(i, 5, data.kpi_name(lang, r.kpi_key))
        _number(sheet, i, 6, r.value, r.unit)
        _number(sheet, i, 7, r.threshold, r.unit)
        sheet.cell(i, 8, r.comparator)
        sheet.cell(i, 9, unit(lang, r.unit))
        _number(sheet, i, 10, r.shortfall, r.unit)
        sheet.cell(i, 11, float(r.relative_shortfall)).number_format = "0.0%"
        sheet.cell(i, 12, _count(r.cases_over_limit))
        sheet.cell(i, 13, f"{r.episode_start_month:%Y-%m}")
        sheet.cell(i, 14, int(r.months_in_breach))
        sheet.cell(i, 15, _count(r.days_missed))
        sheet.cell(i, 16, r.catalog_version)
        drivers = r.drivers_en if lang == "en" else r.drivers_zh
        sheet.cell(i, 17, drivers if isinstance(drivers, str) else "—")
    sheet.freeze_panes = sheet.cell(FIRST_ROW + 1, 1)
    _widths(sheet, {1: 8, 2: 12, 3: 10, 4: 16, 5: 30, **{c: 12 for c in range(6, 17)}, 17: 60})


def _trends(sheet: Worksheet, data: MonthlyData, lang: str) -> None:
    _title(sheet, f"{t(lang, 'sheet_trends')} · {month(lang, data.scope.month)}")
    sheet.cell(FIRST_ROW, 1, t(lang, "trend_counts")).font = BOLD
    _header(
        sheet,
        FIRST_ROW + 1,
        [
            t(lang, "col_period"), t(lang, "kpis_judged"), t(lang, "kpis_met"),
            t(lang, "col_share_met"), *(t(lang, s) for s in SEVERITIES),
        ],
    )  # fmt: skip
    row = FIRST_ROW + 1
    for r in data.trend_counts.itertuples():
        row += 1
        sheet.cell(row, 1, f"{pd.Timestamp(r.period_month):%Y-%m}")
        sheet.cell(row, 2, int(r.kpis_judged))
        sheet.cell(row, 3, int(r.kpis_met))
        sheet.cell(row, 4, int(r.kpis_met) / int(r.kpis_judged)).number_format = "0%"
        for offset, s in enumerate(SEVERITIES):
            sheet.cell(row, 5 + offset, int(getattr(r, s)))
    row += 2
    caption = "trend_values_nation" if data.scope.national else "trend_values_provinces"
    sheet.cell(row, 1, t(lang, caption)).font = BOLD
    row += 1
    months = [f"{pd.Timestamp(m):%Y-%m}" for m in data.trend_months]
    _header(sheet, row, [t(lang, "col_province"), t(lang, "col_kpi"), *months])
    values = data.trend_values.assign(
        month=[f"{pd.Timestamp(m):%Y-%m}" for m in data.trend_values["period_month"]]
    ).set_index(["province_code", "kpi_key", "month"])
    areas = sorted(set(data.trend_values["province_code"]))
    units = dict(zip(data.kpis["kpi_key"], data.kpis["unit"], strict=True))
    for code in areas:
        for key in data.kpis["kpi_key"]:
            row += 1
            sheet.cell(row, 1, data.province_name(lang, code))
            sheet.cell(row, 2, data.kpi_name(lang, key))
            for j, m in enumerate(months):
                if (code, key, m) in values.index:
                    cell = _number(sheet, row, 3 + j, values.loc[(code, key, m), "value"],
                                   units[key])  # fmt: skip
                    if not values.loc[(code, key, m), "is_compliant"]:
                        cell.fill = MISSED_FILL
    _widths(sheet, {1: 16, 2: 30, **{3 + j: 12 for j in range(max(len(months), 5))}})


CATALOG_COLUMNS = (
    "col_kpi", "col_segment", "col_catalog_version", "col_effective_from", "col_effective_to",
    "col_comparator", "col_threshold", "col_unit", "col_case_limit", "col_origin",
)  # fmt: skip


def _catalog(sheet: Worksheet, data: MonthlyData, lang: str) -> None:
    _title(sheet, f"{t(lang, 'catalog_versions')} · {month(lang, data.scope.month)}")
    _header(sheet, FIRST_ROW, ["kpi_id", *(t(lang, k) for k in CATALOG_COLUMNS)])
    for i, r in enumerate(data.kpis.itertuples(), start=FIRST_ROW + 1):
        sheet.cell(i, 1, r.kpi_id)
        sheet.cell(i, 2, data.kpi_name(lang, r.kpi_key))
        sheet.cell(i, 3, segment(lang, r.segment))
        sheet.cell(i, 4, r.catalog_version)
        sheet.cell(i, 5, _day(r.effective_from))
        sheet.cell(i, 6, _day(r.effective_to))
        sheet.cell(i, 7, r.comparator)
        _number(sheet, i, 8, r.threshold, r.unit)
        sheet.cell(i, 9, unit(lang, r.unit))
        limit = "" if pd.isna(r.case_limit) else f"{r.case_limit:g} {r.case_limit_unit or ''}"
        sheet.cell(i, 10, limit.strip() or None)
        sheet.cell(i, 11, r.origin)
    _widths(sheet, {1: 28, 2: 30, 3: 8, 4: 12, 5: 12, 6: 12, 7: 8, 8: 10, 9: 8, 10: 14, 11: 12})


def _day(value: object) -> str | None:
    """A date as ``YYYY-MM-DD`` text (Excel would otherwise show it as a time stamp)."""
    if value is None or pd.isna(value):
        return None
    return f"{pd.Timestamp(value):%Y-%m-%d}"
