"""The "at risk" panel of the overview and province pages: the running month's indicators
that marts.kpi_at_risk projects more likely than not to end non-compliant (or already lost),
with the value so far, the projected range and how much to trust it. Everything shown is
read from the mart; nothing is projected here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import fmt_value, month, t
from dashboards import layout, marts


def panel(lang: str, names: layout.Names, province: str | None, key: str, limit: int = 10) -> None:
    """One province's warnings, or (``province`` None) the worst ``limit`` of the nation and
    every province the viewer may see."""
    rows = marts.at_risk(province)
    st.subheader(t(lang, "at_risk_title"))
    if rows.empty:
        st.success(t(lang, "at_risk_none"))
        return
    rows = rows.head(limit)
    months = sorted({pd.Timestamp(m).date() for m in rows["period_month"]})
    st.caption(t(lang, "at_risk_caption", month=", ".join(month(lang, m) for m in months)))
    frame = pd.DataFrame(
        {
            t(lang, "col_province"): [names.province(c) for c in rows["province_code"]],
            t(lang, "col_kpi"): [names.kpi(k) for k in rows["kpi_key"]],
            t(lang, "at_risk_probability"): [
                t(lang, "at_risk_lost") if lost else f"{p:.0%}"
                for p, lost in zip(
                    rows["probability_non_compliant"], rows["is_already_lost"], strict=True
                )
            ],
            t(lang, "at_risk_so_far"): layout.value_text(lang, rows, "month_to_date_value"),
            t(lang, "at_risk_projected"): [
                f"{fmt_value(lang, low, u)} – {fmt_value(lang, high, u)}"
                for low, high, u in zip(
                    rows["projected_low"], rows["projected_high"], rows["unit"], strict=True
                )
            ],
            t(lang, "col_threshold"): layout.threshold_text(lang, rows),
            t(lang, "at_risk_days"): [
                f"{d} / {n}"
                for d, n in zip(rows["days_observed"], rows["days_in_month"], strict=True)
            ],
            t(lang, "at_risk_reliability"): [t(lang, f"at_risk_{r}") for r in rows["reliability"]],
        }
    )
    layout.table(frame, rows, f"kpiwatch_at_risk_{province or 'all'}", lang, key=key)
