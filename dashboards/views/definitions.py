"""Definitions: the KPI catalog as the standard states it, customer tiers, channels and the
remote-service matrix."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import REMOTE_GROUPS, fmt_threshold, name, segment, t
from dashboards import filters, layout, marts

lang = filters.language()

# --- the catalog -----------------------------------------------------------------------------
st.subheader(t(lang, "catalog"))
catalog = marts.catalog()


def _limit(value: object, unit: object) -> str:
    return f"{value:g} {unit}" if isinstance(value, float) and value == value else "—"


def _date(value: object) -> str:
    return str(pd.Timestamp(value).date()) if pd.notna(value) else ""


layout.table(
    pd.DataFrame(
        {
            t(lang, "col_kpi"): layout.names_in(lang, catalog),
            t(lang, "col_segment"): [segment(lang, s) for s in catalog["segment"]],
            t(lang, "source_text"): catalog["source_text_zh"],
            t(lang, "formula"): catalog["formula_en"],
            t(lang, "col_threshold"): [
                fmt_threshold(lang, c, v, u) if not info else t(lang, "information_only")
                for c, v, u, info in zip(
                    catalog["comparator"],
                    catalog["threshold"],
                    catalog["unit"],
                    catalog["is_information_only"],
                    strict=True,
                )
            ],
            t(lang, "case_limit"): [
                _limit(v, u)
                for v, u in zip(catalog["case_limit"], catalog["case_limit_unit"], strict=True)
            ],
            t(lang, "origin"): catalog["origin"],
            t(lang, "effective"): [
                f"{_date(a)} – {_date(b)}"
                for a, b in zip(catalog["effective_from"], catalog["effective_to"], strict=True)
            ],
            t(lang, "col_catalog_version"): catalog["catalog_version"],
        }
    ),
    catalog,
    "kpiwatch_kpi_catalog",
    lang,
    key="catalog",
    height=560,
    column_config={t(lang, "formula"): st.column_config.TextColumn(width="large")},
)

left, right = st.columns(2)
with left:
    st.subheader(t(lang, "tiers"))
    tiers = marts.tiers()
    layout.table(
        pd.DataFrame(
            {
                t(lang, "col_tier"): layout.names_in(lang, tiers),
                "VIP": ["✓" if v else "" for v in tiers["is_vip"]],
                "预约不等待" if lang != "en" else "Appointment without wait": [
                    "✓" if v else "" for v in tiers["has_appointment_no_wait"]
                ],
                "权益" if lang != "en" else "Benefits (Chinese)": tiers["benefits_zh"],
            }
        ),
        tiers,
        "kpiwatch_customer_tiers",
        lang,
        key="tiers",
    )
with right:
    st.subheader(t(lang, "channels"))
    channels = marts.channels()
    layout.table(
        pd.DataFrame(
            {
                t(lang, "channels"): layout.names_in(lang, channels),
                "类型" if lang != "en" else "Kind": channels["kind"],
                "服务承诺" if lang != "en" else "Commitment (Chinese)": channels[
                    "commitment_zh"
                ].fillna(""),
            }
        ),
        channels,
        "kpiwatch_channels",
        lang,
        key="channels",
    )

# --- remote services ---------------------------------------------------------------------------
st.subheader(t(lang, "remote_matrix"))
st.caption(t(lang, "remote_caption"))
remote = marts.remote_services()
channel_names = {r.channel_id: name(lang, r.name_zh, r.name_en) for r in channels.itertuples()}
symbols = {"full": "●", "consult_only": "◐", "none": "—"}
remote = remote.assign(
    group=[REMOTE_GROUPS.get(g, g) if lang == "en" else g for g in remote["service_group_zh"]],
    item=[
        name(lang, z, e)
        for z, e in zip(remote["service_item_zh"], remote["service_item_en"], strict=True)
    ],
    channel=[channel_names.get(c, c) for c in remote["channel_id"]],
    mark=[symbols.get(o, o) for o in remote["offering"]],
)
channel_order = [channel_names[c] for c in channels["channel_id"] if c in set(remote["channel_id"])]
matrix = (
    remote.pivot_table(
        index=["group", "item"], columns="channel", values="mark", aggfunc="first", sort=False
    )
    .reindex(columns=channel_order)
    .fillna("")
    .reset_index()
    .rename(columns={"group": " ", "item": "  "})
)
layout.table(matrix, remote, "kpiwatch_remote_services", lang, key="remote")
