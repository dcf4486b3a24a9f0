"""Overview: the national standing of every KPI, the map, the province × KPI matrix, the
worst breaches of the month."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import t
from dashboards import at_risk, charts, filters, layout, marts, month_page

lang, names, periods = month_page.start()

left, right = st.columns([1, 3], vertical_alignment="bottom")
with left:
    period_text, period = filters.period(lang, periods)
with right:
    # The monthly report (reports/) of the month shown, holding only what this viewer may
    # see; made when the button is pressed, not on every rerun.
    st.download_button(
        t(lang, "download_report"),
        data=lambda: marts.report_workbook(period, lang),
        file_name=f"kpiwatch-report-{period_text}-{lang}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_report",
        icon=":material/download:",
        on_click="ignore",
    )

# --- headline figures ----------------------------------------------------------------
figures = marts.headline(period).iloc[0]
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    t(lang, "national_kpis_met"),
    f"{int(figures.national_met)} / {int(figures.national_judged)}",
    border=True,
)
c2.metric(
    t(lang, "provinces_all_met"),
    f"{int(figures.provinces_all_met)} / {int(figures.provinces)}",
    border=True,
)
c3.metric(t(lang, "breaches_province_kpi"), f"{int(figures.breaches):,}", border=True)
c4.metric(t(lang, "cases_beyond_limit"), f"{int(figures.cases):,}", border=True)

# --- national standing ---------------------------------------------------------------
st.subheader(t(lang, "national_standing"))
layout.standing_table(
    lang, names, marts.standing(period), f"kpiwatch_national_{period_text}", key="standing"
)

# --- map -----------------------------------------------------------------------------
st.subheader(t(lang, "map_title"))
mode_col, kpi_col = st.columns([1, 2])
with mode_col:
    mode = filters.choose(
        "map",
        t(lang, "map_colour"),
        ["share", "margin"],
        format_func=lambda m: t(lang, "map_share" if m == "share" else "map_margin"),
        widget="segmented_control",
    )
scores = marts.province_scores(period)
if mode == "margin":
    with kpi_col:
        kpi_key = filters.choose("kpi", t(lang, "kpi"), names.kpi_keys, format_func=names.kpi)
    row = names.kpi_row(kpi_key)
    values = marts.kpi_across_provinces(period, row.kpi_id, row.segment)
    values = values[values["province_code"] != marts.NATIONAL].copy()
    values["value_text"] = layout.value_text(lang, values)
    values["threshold_text"] = layout.threshold_text(lang, values)
    values["margin_text"] = layout.margin_text(lang, values)
    values["status"] = [layout.status(lang, c) for c in values["is_compliant"]]
    values["short_name"] = [names.short(c) for c in values["province_code"]]
    tooltip = [
        ("value_text", t(lang, "col_value")),
        ("threshold_text", t(lang, "col_threshold")),
        ("margin_text", t(lang, "col_margin")),
        ("status", t(lang, "col_status")),
    ]
    chart = charts.china_map(
        lang,
        values,
        "margin",
        t(lang, "col_margin"),
        tooltip,
        True,
        value_format=layout.axis_format(row.unit),
    )
else:
    values = scores.copy()
    values["share_text"] = [f"{s:.0%}" for s in values["share_met"]]
    values["met_text"] = [
        f"{m} / {j}" for m, j in zip(values["kpis_met"], values["kpis_judged"], strict=True)
    ]
    values["short_name"] = [names.short(c) for c in values["province_code"]]
    tooltip = [("share_text", t(lang, "col_share_met")), ("met_text", t(lang, "col_kpis_met"))]
    chart = charts.china_map(lang, values, "share_met", t(lang, "map_share"), tooltip, False)

map_col, table_col = st.columns([3, 2])
with map_col:
    st.vega_lite_chart(chart, width="stretch")
with table_col:
    ranked = scores.sort_values(["share_met", "province_code"], ascending=[True, True])
    layout.table(
        pd.DataFrame(
            {
                t(lang, "col_province"): [names.province(c) for c in ranked["province_code"]],
                t(lang, "col_share_met"): ranked["share_met"],
                t(lang, "col_kpis_met"): ranked["kpis_met"],
                t(lang, "col_kpis_judged"): ranked["kpis_judged"],
            }
        ),
        ranked,
        f"kpiwatch_provinces_{period_text}",
        lang,
        key="scores",
        height=480,
        column_config={
            t(lang, "col_share_met"): st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0
            )
        },
    )

# --- matrix --------------------------------------------------------------------------
st.subheader(t(lang, "matrix_title"))
st.caption(t(lang, "matrix_caption"))
cells = marts.matrix(period)
cells = cells.assign(
    province=[names.short(c) for c in cells["province_code"]],
    kpi=[names.kpi(k) for k in cells["kpi_key"]],
    value_text=layout.value_text(lang, cells),
    threshold_text=layout.threshold_text(lang, cells),
    status=[layout.status(lang, c) for c in cells["is_compliant"]],
    mark=["" if c else "✕" for c in cells["is_compliant"]],
)
st.altair_chart(
    charts.matrix(
        lang,
        cells,
        [names.kpi(k) for k in names.kpi_keys],
        [names.short(c) for c in names.province_codes],
    ),
    width="stretch",
)
layout.download_button(
    cells.drop(columns=["mark"]), f"kpiwatch_matrix_{period_text}", lang, "matrix"
)

# --- the running month at risk ------------------------------------------------------------
at_risk.panel(lang, names, None, key="at_risk")

# --- worst breaches ------------------------------------------------------------------
st.subheader(t(lang, "worst_breaches"))
worst = marts.current_breaches(period)
worst = worst[worst["province_code"] != marts.NATIONAL].head(10)
if worst.empty:
    st.success(t(lang, "no_breaches"))
else:
    layout.table(
        pd.DataFrame(
            {
                **layout.breach_columns(lang, names, worst),
                t(lang, "col_value"): layout.value_text(lang, worst),
                t(lang, "col_threshold"): layout.threshold_text(lang, worst),
                t(lang, "col_margin"): layout.margin_text(lang, worst),
                t(lang, "col_months"): worst["months"],
                t(lang, "col_breach_count"): [layout.count(v) for v in worst["breach_count"]],
            }
        ),
        worst,
        f"kpiwatch_worst_breaches_{period_text}",
        lang,
        key="worst",
    )
