"""Breaches and alerts: what is missed now (severity, duration), what was missed before, and
the alert log the alerting job keeps in ``audit.alerts``. Severity and episodes are read
from ``marts.kpi_breaches``, as the alert digests read them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.config.severity import SEVERITIES
from core.labels import month, t
from dashboards import charts, filters, layout, marts, month_page

lang, names, periods = month_page.start()

c1, c2, c3 = st.columns([1, 1, 2])
with c1:
    period_text, period = filters.period(lang, periods)
with c2:
    province = filters.one_or_all(
        "province",
        t(lang, "province"),
        names.province_codes,
        names.province,
        t(lang, "all_provinces"),
    )
with c3:
    kpi_key = filters.one_or_all(
        "kpi", t(lang, "kpi"), names.kpi_keys, names.kpi, t(lang, "all_kpis")
    )
st.caption(t(lang, "severity_caption"))


def band_text(row: Any) -> str:
    """The band that judged a breach, as published beside it in marts.kpi_breaches."""
    text = f"≥{row.band_major_shortfall:.0%} · ≥{row.band_critical_shortfall:.0%}"
    if row.severity_reason == "cases over ceiling":
        text += " · " + t(lang, "band_ceiling")
    return text


def chosen(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the provinces and KPI chosen (the nation is shown only for 'all')."""
    if province == filters.ALL:
        frame = frame[frame["province_code"] != marts.NATIONAL]
    else:
        frame = frame[frame["province_code"] == province]
    if kpi_key != filters.ALL:
        frame = frame[frame["kpi_key"] == kpi_key]
    return frame


SEVERITY_ORDER = list(reversed(SEVERITIES))
"""The worst first: the metrics, and the history's legend with PALETTE's colours."""
PALETTE = ["#a50f15", "#ef6548", "#fdbb84"]

# --- current breaches ----------------------------------------------------------------------
current = chosen(marts.current_breaches(period))
st.subheader(f"{t(lang, 'current_breaches')} · {month(lang, period)}")
counts = current["severity"].value_counts()
m = st.columns(3)
for column, level in zip(m, SEVERITY_ORDER, strict=True):
    column.metric(t(lang, level), int(counts.get(level, 0)), border=True)
if current.empty:
    st.success(t(lang, "no_breaches"))
else:
    layout.table(
        pd.DataFrame(
            {
                **layout.breach_columns(
                    lang, names, current, band=[band_text(r) for r in current.itertuples()]
                ),
                t(lang, "col_value"): layout.value_text(lang, current),
                t(lang, "col_threshold"): layout.threshold_text(lang, current),
                t(lang, "col_margin"): layout.margin_text(lang, current),
                t(lang, "col_since"): [
                    month(lang, pd.Timestamp(p).date()) for p in current["since_month"]
                ],
                t(lang, "col_months"): current["months"],
                t(lang, "col_days"): [layout.count(v) for v in current["days_missed"]],
                t(lang, "col_breach_count"): [layout.count(v) for v in current["breach_count"]],
            }
        ),
        current,
        f"kpiwatch_breaches_{period_text}",
        lang,
        key="current",
    )

# --- history -------------------------------------------------------------------------------
left, right = st.columns([2, 3])
with left:
    st.subheader(t(lang, "breach_history"))
    history = marts.breach_history()
    if history.empty:
        st.info(t(lang, "no_data"))
    else:
        history = history.assign(
            month=[month(lang, pd.Timestamp(p).date()) for p in history["period_month"]],
            level=[t(lang, s) for s in history["severity"]],
        )
        st.altair_chart(
            charts.stacked(
                history,
                "month",
                "breaches",
                "level",
                [t(lang, s) for s in SEVERITY_ORDER],
                PALETTE,
            ),
            width="stretch",
        )
with right:
    st.subheader(t(lang, "past_breaches"))
    past = chosen(marts.past_breaches(period))
    if past.empty:
        st.info(t(lang, "no_data"))
    else:
        layout.table(
            pd.DataFrame(
                {
                    **layout.breach_columns(lang, names, past),
                    t(lang, "col_since"): [
                        month(lang, pd.Timestamp(p).date()) for p in past["since_month"]
                    ],
                    t(lang, "col_until"): [
                        month(lang, pd.Timestamp(p).date()) for p in past["until_month"]
                    ],
                    t(lang, "col_duration"): [
                        t(lang, "months_n", n=int(n)) for n in past["months"]
                    ],
                }
            ),
            past,
            f"kpiwatch_past_breaches_{period_text}",
            lang,
            key="past",
            height=300,
        )

# --- alert log -----------------------------------------------------------------------------
st.subheader(t(lang, "alert_log"))
if not marts.sees_operations():
    st.caption(t(lang, "operations_only"))
else:
    layout.audit_table(lang, marts.alerts(), t(lang, "alerts_what"), "audit.alerts", key="alerts")
