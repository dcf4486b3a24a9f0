"""Data health: the ingest log, quarantine by reason and source, freshness by province and
source, data-quality results, and the Great Expectations Data Docs.

The records behind the counts (failed files with their errors, the file list, quarantined
rows as delivered) are for the operations role; everyone else sees the counts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import STATUSES, pick, source, t
from dashboards import charts, data_docs, filters, layout, marts

lang = filters.language()
names = layout.Names(lang)
has_audit = marts.has_table("audit.ingest_files")
operations = marts.sees_operations()

# --- ingest log ------------------------------------------------------------------------
st.subheader(t(lang, "ingest_log"))
if not has_audit:
    layout.missing(lang, t(lang, "ingest_log"), "audit.ingest_files")
else:
    summary = marts.ingest_summary()
    totals = summary.groupby("status")["files"].sum()
    m = st.columns(4)
    m[0].metric(pick(lang, STATUSES["loaded"]), f"{int(totals.get('loaded', 0)):,}", border=True)
    m[1].metric(
        pick(lang, STATUSES["skipped_duplicate"]),
        f"{int(totals.get('skipped_duplicate', 0)):,}",
        border=True,
    )
    unreadable = int(totals.get("failed", 0)) + int(totals.get("refused", 0))
    m[2].metric(pick(lang, STATUSES["failed"]), f"{unreadable:,}", border=True)
    m[3].metric(
        t(lang, "quarantined_rows"),
        f"{int(summary['rows_quarantined'].sum()):,}",
        border=True,
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t(lang, 'ingest_summary')}**")
        layout.table(
            pd.DataFrame(
                {
                    t(lang, "col_source"): [source(lang, s) for s in summary["source"]],
                    t(lang, "status"): [pick(lang, STATUSES.get(s), s) for s in summary["status"]],
                    t(lang, "files"): summary["files"],
                    t(lang, "rows"): [layout.count(v) for v in summary["rows_loaded"]],
                    t(lang, "quarantined_rows"): [
                        layout.count(v) for v in summary["rows_quarantined"]
                    ],
                    t(lang, "loaded"): [layout.local(v) for v in summary["last_loaded_at"]],
                }
            ),
            summary,
            "kpiwatch_ingest_summary",
            lang,
            key="ingest_summary",
        )
    with right:
        st.markdown(f"**{t(lang, 'failed_files')}**")
        failed = marts.failed_files() if operations else None
        if failed is None:
            st.caption(t(lang, "operations_only"))
        elif failed.empty:
            st.success("✓")
        else:
            layout.table(
                pd.DataFrame(
                    {
                        t(lang, "col_source"): [source(lang, s) for s in failed["source"]],
                        t(lang, "file"): failed["path"],
                        t(lang, "status"): [pick(lang, STATUSES[v]) for v in failed["status"]],
                        t(lang, "error"): failed["error"],
                    }
                ),
                failed,
                "kpiwatch_failed_files",
                lang,
                key="failed",
                height=250,
            )
    if operations:
        with st.expander(t(lang, "recent_files")):
            recent = marts.recent_files()
            layout.table(recent, None, "kpiwatch_recent_files", lang, key="recent", height=300)

    # --- quarantine ------------------------------------------------------------------------
    st.subheader(t(lang, "quarantine"))
    reasons = marts.quarantine_by_reason()
    if reasons.empty:
        st.success("✓")
    else:
        reasons = reasons.assign(source_name=[source(lang, s) for s in reasons["source"]])
        left, right = st.columns([3, 2])
        with left:
            st.altair_chart(
                charts.stacked(reasons, "source_name", "rows", "reason", [], []),
                width="stretch",
            )
        with right:
            pivot = (
                reasons.pivot_table(
                    index="reason", columns="source_name", values="rows", aggfunc="sum"
                )
                .fillna(0)
                .astype(int)
                .rename_axis(t(lang, "reason"))
                .reset_index()
            )
            layout.table(pivot, reasons, "kpiwatch_quarantine_by_reason", lang, key="reasons")
        if operations:
            with st.expander(t(lang, "quarantine_sample")):
                layout.table(
                    marts.quarantine_sample(), None, "kpiwatch_quarantine", lang,
                    key="quarantined", height=300,
                )  # fmt: skip
        else:
            st.caption(t(lang, "operations_only"))

# --- freshness -----------------------------------------------------------------------------
st.subheader(t(lang, "freshness"))
st.caption(t(lang, "freshness_caption"))
fresh = marts.freshness() if marts.has_table("marts.source_freshness") else None
if fresh is None:  # a publication built before marts.source_freshness existed
    layout.missing(lang, t(lang, "freshness"), "marts.source_freshness")
elif fresh.empty:
    st.info(t(lang, "no_data"))
else:
    fresh = fresh.assign(
        province=[names.short(c) for c in fresh["province_code"]],
        source_name=[source(lang, s) for s in fresh["source"]],
    )
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(
            charts.heat(
                fresh,
                "source_name",
                "province",
                "hours_behind",
                [source(lang, s) for s in marts.SOURCE_ORDER],
                [names.short(c) for c in names.province_codes],
                t(lang, "hours_behind"),
            ),
            width="stretch",
        )
    with right:
        wide = fresh.pivot_table(
            index="province", columns="source_name", values="hours_behind", aggfunc="max"
        ).round(1)
        wide = wide.reindex([names.short(c) for c in names.province_codes]).dropna(how="all")
        layout.table(
            wide.rename_axis(t(lang, "col_province")).reset_index(),
            fresh.drop(columns=["province", "source_name"]),
            "kpiwatch_freshness",
            lang,
            key="freshness",
            height=420,
        )
        latest = fresh.groupby("source", sort=False).agg(
            latest=("source_latest_at", "max"), loaded=("last_loaded_at", "max")
        )
        layout.table(
            pd.DataFrame(
                {
                    t(lang, "col_source"): [source(lang, s) for s in latest.index],
                    t(lang, "latest_event"): [layout.local(v) for v in latest["latest"]],
                    t(lang, "loaded"): [layout.local(v) for v in latest["loaded"]],
                }
            ),
            latest.reset_index(),
            "kpiwatch_source_freshness",
            lang,
            key="sources",
        )

# --- data quality ----------------------------------------------------------------------------
st.subheader(t(lang, "dq_results"))
layout.audit_table(lang, marts.dq_results(), t(lang, "dq_what"), "audit.dq_results", key="dq")

st.subheader(t(lang, "data_docs"))
folder = marts.data_docs()
index = folder / "index.html"
if not index.exists():
    st.info(t(lang, "data_docs_missing", path=folder), icon=":material/schedule:")
else:
    url = data_docs.url(folder)
    st.link_button(t(lang, "data_docs_open"), url, icon=":material/open_in_new:")
    st.caption(str(index))
