"""KPI: one indicator across provinces — ranking, distribution, national trend, definition."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import fmt_change, fmt_threshold, fmt_value, month, t
from dashboards import charts, filters, layout, marts, month_page

lang, names, periods = month_page.start()

c1, c2 = st.columns([1, 3])
with c1:
    period_text, period = filters.period(lang, periods)
with c2:
    kpi_key = filters.choose("kpi", t(lang, "kpi"), names.kpi_keys, format_func=names.kpi)
kpi = names.kpi_row(kpi_key)
fmt = layout.axis_format(kpi.unit)

values = marts.kpi_across_provinces(period, kpi.kpi_id, kpi.segment)
national = values[values["province_code"] == marts.NATIONAL]
provinces = values[values["province_code"] != marts.NATIONAL].copy()

# --- headline: the nation and how many provinces met it --------------------------------
m1, m2, m3 = st.columns(3)
if not national.empty:
    row = national.iloc[0]
    m1.metric(
        f"{t(lang, 'col_value')} · {names.province(marts.NATIONAL)}",
        fmt_value(lang, row.value, row.unit),
        delta=fmt_change(lang, row.margin, row.unit),
        delta_description=t(lang, "col_margin"),
        border=True,
    )
m2.metric(
    t(lang, "col_threshold"),
    fmt_threshold(lang, kpi.comparator, kpi.threshold, kpi.unit),
    border=True,
)
m3.metric(
    t(lang, "provinces_all_met"),
    f"{int(provinces['is_compliant'].sum())} / {len(provinces)}",
    border=True,
)

# --- ranking and distribution ----------------------------------------------------------
left, right = st.columns([3, 2])
provinces = provinces.assign(
    province=[names.province(c) for c in provinces["province_code"]],
    value_text=layout.value_text(lang, provinces),
    status=[t(lang, "met" if c else "missed") for c in provinces["is_compliant"]],
)
ranked = provinces.sort_values(["margin", "province_code"], ascending=[False, True]).reset_index(
    drop=True
)
with left:
    st.subheader(t(lang, "ranking"))
    st.altair_chart(
        charts.bars(lang, ranked, "province", kpi.threshold, fmt, height=560), width="stretch"
    )
with right:
    st.subheader(t(lang, "distribution"))
    st.altair_chart(charts.distribution(lang, provinces, kpi.threshold, fmt), width="stretch")
    layout.table(
        pd.DataFrame(
            {
                t(lang, "col_rank"): range(1, len(ranked) + 1),
                t(lang, "col_province"): ranked["province"],
                t(lang, "col_value"): ranked["value_text"],
                t(lang, "col_margin"): layout.margin_text(lang, ranked),
                t(lang, "col_status"): [layout.status(lang, c) for c in ranked["is_compliant"]],
                t(lang, "col_breach_count"): [layout.count(v) for v in ranked["breach_count"]],
            }
        ),
        ranked.drop(columns=["value_text", "status"]),
        f"kpiwatch_{kpi_key}_{period_text}_ranking",
        lang,
        key="ranking",
        height=250,
    )

# --- national trend ----------------------------------------------------------------------
st.subheader(f"{t(lang, 'trend')} · {names.kpi(kpi_key)}")
daily = marts.daily_series(marts.NATIONAL, kpi.kpi_id, kpi.segment)
daily = daily.assign(
    value_text=[fmt_value(lang, v, kpi.unit) for v in daily["value"]],
    threshold_text=[fmt_value(lang, v, kpi.unit) for v in daily["threshold"]],
)
monthly = marts.monthly_series(marts.NATIONAL, kpi.kpi_id, kpi.segment)
monthly = monthly.assign(
    period_mid=[layout.month_mid(p) for p in monthly["period_month"]],
    month=[month(lang, pd.Timestamp(p).date()) for p in monthly["period_month"]],
    value_text=[fmt_value(lang, v, kpi.unit) for v in monthly["value"]],
    status=[t(lang, "met" if c else "missed") for c in monthly["is_compliant"]],
)
st.altair_chart(charts.trend(lang, daily, monthly, fmt), width="stretch")

# --- definition --------------------------------------------------------------------------
st.subheader(t(lang, "definition"))
case_limit = (
    f"{kpi.case_limit:g} {kpi.case_limit_unit}"
    if kpi.case_limit is not None and kpi.case_limit == kpi.case_limit
    else "—"
)
definition = pd.DataFrame(
    {
        " ": [
            t(lang, "col_kpi"),
            t(lang, "source_text"),
            t(lang, "population"),
            t(lang, "formula"),
            t(lang, "col_threshold"),
            t(lang, "case_limit"),
            t(lang, "origin"),
            t(lang, "effective"),
            t(lang, "col_catalog_version"),
        ],
        "  ": [
            names.kpi(kpi_key),
            kpi.source_text_zh,
            kpi.population,
            kpi.formula_en,
            fmt_threshold(lang, kpi.comparator, kpi.threshold, kpi.unit),
            case_limit,
            kpi.origin,
            f"{pd.Timestamp(kpi.effective_from).date()} – "
            + (str(pd.Timestamp(kpi.effective_to).date()) if pd.notna(kpi.effective_to) else ""),
            kpi.catalog_version,
        ],
    }
)
layout.table(definition, None, f"kpiwatch_{kpi_key}_definition", lang, key="definition")
