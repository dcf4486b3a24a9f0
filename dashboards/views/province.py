"""Province: one province's KPIs over time with the threshold drawn in, its cities side by
side, urban vs rural, VIP tiers, and from any KPI down to the cases that broke its limit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import fmt_value, month, name, segment, source, t
from dashboards import at_risk, charts, filters, layout, marts, month_page
from dashboards.opening import worst_breach

lang, names, periods = month_page.start()

c1, c2, c3 = st.columns([1, 1, 2])
with c1:
    period_text, period = filters.period(lang, periods)
scores = marts.province_scores(period)
worst_first = scores.sort_values(["share_met", "province_code"])["province_code"].tolist()
with c2:
    province = filters.choose(
        "province",
        t(lang, "province"),
        names.province_codes,
        format_func=names.province,
        default=worst_first[0] if worst_first else None,
    )
standing = marts.standing(period, province)
with c3:
    kpi_key = filters.choose(
        "kpi",
        t(lang, "kpi"),
        names.kpi_keys,
        format_func=names.kpi,
        default=worst_breach(standing, names.kpi_keys),  # opens on what is wrong here
    )
kpi = names.kpi_row(kpi_key)
where = names.province(province)

# --- every KPI of the province ---------------------------------------------------------
st.subheader(t(lang, "province_kpis", province=where))
layout.standing_table(
    lang,
    names,
    standing,
    f"kpiwatch_{province}_{period_text}",
    key="province_standing",
)

# --- the running month at risk ------------------------------------------------------------
at_risk.panel(lang, names, province, key="province_at_risk")

# --- where each breach's shortfall comes from (marts.kpi_breach_drivers) ---------------
drivers = marts.breach_drivers(period, province)
if not drivers.empty:
    st.subheader(t(lang, "drivers_title"))
    st.caption(t(lang, "drivers_caption"))
    label = "driver_label_en" if lang == "en" else "driver_label_zh"
    layout.table(
        pd.DataFrame(
            {
                t(lang, "col_kpi"): [names.kpi(k) for k in drivers["kpi_key"]],
                t(lang, "col_driver_rank"): drivers["driver_rank"],
                t(lang, "col_driver"): drivers[label],
            }
        ),
        drivers,
        f"kpiwatch_{province}_{period_text}_drivers",
        lang,
        key="drivers",
    )

# --- the chosen KPI over time --------------------------------------------------------
st.subheader(f"{t(lang, 'over_time')} · {names.kpi(kpi_key)}")
daily = marts.daily_series(province, kpi.kpi_id, kpi.segment)
daily = daily.assign(
    value_text=[fmt_value(lang, v, kpi.unit) for v in daily["value"]],
    threshold_text=[fmt_value(lang, v, kpi.unit) for v in daily["threshold"]],
)
monthly = marts.monthly_series(province, kpi.kpi_id, kpi.segment)
monthly = monthly.assign(
    period_mid=[layout.month_mid(p) for p in monthly["period_month"]],
    month=[month(lang, pd.Timestamp(p).date()) for p in monthly["period_month"]],
    value_text=[fmt_value(lang, v, kpi.unit) for v in monthly["value"]],
    status=[t(lang, "met" if c else "missed") for c in monthly["is_compliant"]],
)
st.altair_chart(charts.trend(lang, daily, monthly, layout.axis_format(kpi.unit)), width="stretch")

# --- cities, urban / rural, tiers ------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    st.subheader(t(lang, "cities"))
    cities = marts.city_values(period, province, kpi.kpi_id, kpi.segment)
    if cities.empty:
        st.info(t(lang, "no_city_grain") if kpi.source == "hotline_calls" else t(lang, "no_data"))
    else:
        cities = cities.assign(
            city=layout.names_in(lang, cities),
            value_text=layout.value_text(lang, cities),
            status=[t(lang, "met" if c else "missed") for c in cities["is_compliant"]],
        )
        ranked = cities.sort_values(["margin", "city_code"], ascending=[True, True])
        st.altair_chart(
            charts.bars(lang, ranked, "city", kpi.threshold, layout.axis_format(kpi.unit)),
            width="stretch",
        )
        layout.table(
            pd.DataFrame(
                {
                    t(lang, "col_city"): ranked["city"],
                    t(lang, "col_value"): ranked["value_text"],
                    t(lang, "col_status"): [layout.status(lang, c) for c in ranked["is_compliant"]],
                    t(lang, "col_breach_count"): [layout.count(v) for v in ranked["breach_count"]],
                    t(lang, "col_sample"): [layout.count(v) for v in ranked["sample_size"]],
                }
            ),
            ranked.drop(columns=["value_text", "status"]),
            f"kpiwatch_{province}_{kpi_key}_{period_text}_cities",
            lang,
            key="cities",
            height=min(38 + 35 * len(ranked), 420),
        )

with right:
    st.subheader(t(lang, "urban_rural"))
    st.caption(t(lang, "urban_rural_caption"))
    areas = marts.segments(period, province)
    if areas.empty:
        st.info(t(lang, "no_data"))
    else:
        layout.table(
            pd.DataFrame(
                {
                    t(lang, "col_kpi"): [
                        names.kpi(f"{k}:{s}")
                        for k, s in zip(areas["kpi_id"], areas["segment"], strict=True)
                    ],
                    t(lang, "col_segment"): [segment(lang, s) for s in areas["segment"]],
                    t(lang, "col_value"): layout.value_text(lang, areas),
                    t(lang, "col_threshold"): layout.threshold_text(lang, areas),
                    t(lang, "col_status"): [layout.status(lang, c) for c in areas["is_compliant"]],
                }
            ),
            areas,
            f"kpiwatch_{province}_{period_text}_urban_rural",
            lang,
            key="areas",
        )

    st.subheader(t(lang, "vip_tiers"))
    st.caption(t(lang, "vip_caption"))
    standing = standing.set_index("kpi_key")
    pairs = [
        ("hall_vip_wait_5m", "hall_wait_15m"),
        ("hall_appointment_no_wait", "hall_wait_15m"),
        ("hotline_vip_sl20", "hotline_sl20"),
    ]
    vip_rows = [
        {
            t(lang, "col_kpi"): names.kpi(vip_key),
            t(lang, "col_value"): fmt_value(
                lang, standing.loc[vip_key].value, standing.loc[vip_key].unit
            ),
            t(lang, "col_status"): layout.status(lang, standing.loc[vip_key].is_compliant),
            t(lang, "standard_kpi"): names.kpi(standard_key),
            t(lang, "standard_value"): fmt_value(
                lang, standing.loc[standard_key].value, standing.loc[standard_key].unit
            ),
        }
        for vip_key, standard_key in pairs
        if vip_key in standing.index and standard_key in standing.index
    ]
    if vip_rows:
        layout.table(
            pd.DataFrame(vip_rows), None, f"kpiwatch_{province}_{period_text}_vip", lang, key="vip"
        )
    by_tier = marts.cases_by_tier(period, province)
    if not by_tier.empty:
        tiers = marts.tiers()
        tier_names = {r.customer_tier: name(lang, r.name_zh, r.name_en) for r in tiers.itertuples()}
        # Columns in the catalogue's order, whatever the language (sorting by the shown
        # names put them in another order in each language).
        kpi_order = [k for k in names.kpi_keys if k in set(by_tier["kpi_id"])]
        pivot = (
            by_tier.pivot_table(
                index="customer_tier", columns="kpi_id", values="cases", aggfunc="sum"
            )
            .reindex(
                index=[c for c in tiers["customer_tier"] if c in set(by_tier["customer_tier"])],
                columns=kpi_order + sorted(set(by_tier["kpi_id"]) - set(kpi_order)),
            )
            .fillna(0)
            .astype(int)
        )
        pivot.index = [tier_names.get(c, c) for c in pivot.index]
        pivot.columns = [names.kpi(k) for k in pivot.columns]
        layout.table(
            pivot.rename_axis(t(lang, "col_tier")).reset_index(),
            by_tier,
            f"kpiwatch_{province}_{period_text}_cases_by_tier",
            lang,
            key="tiers",
        )

# --- down to the cases ---------------------------------------------------------------
st.subheader(f"{t(lang, 'cases_title')} · {names.kpi(kpi_key)}")
if kpi.case_limit is None or kpi.case_limit != kpi.case_limit:
    st.info(t(lang, "no_case_limit"))
else:
    total, cases = marts.breach_cases(period, province, kpi.kpi_id, kpi.segment)
    st.caption(t(lang, "cases_caption", kpi=f"{where} · {month(lang, period)}", total=total))
    if total:
        limit_unit = kpi.case_limit_unit
        shown = pd.DataFrame(
            {
                t(lang, "col_case"): cases["case_id"],
                t(lang, "col_city"): [
                    name(lang, z, e) if isinstance(z, str) else "—"
                    for z, e in zip(cases["city_zh"], cases["city_en"], strict=True)
                ],
                t(lang, "col_measured"): [
                    fmt_value(lang, v, limit_unit) if v == v and v is not None else "—"
                    for v in cases["measured_value"]
                ],
                t(lang, "col_limit"): [fmt_value(lang, v, limit_unit) for v in cases["case_limit"]],
                t(lang, "col_open"): [t(lang, "open_yes") if o else "" for o in cases["is_open"]],
                t(lang, "col_source"): [source(lang, s) for s in cases["source"]],
            }
        )
        if len(cases) < total:
            st.caption(t(lang, "rows_shown", shown=len(cases), total=total))
        layout.table(
            shown,
            cases,
            f"kpiwatch_cases_{province}_{kpi_key}_{period_text}",
            lang,
            key="cases",
            height=320,
        )
    else:
        st.success(t(lang, "no_breaches"))
