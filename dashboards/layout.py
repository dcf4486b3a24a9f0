"""What every page shares: names in the reader's language, tables with a CSV download,
the publication header, and the note shown where a table is not published yet."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
import streamlit as st

from core.labels import (
    fmt_change,
    fmt_threshold,
    fmt_value,
    month,
    name,
    segment,
    source,
    t,
)
from dashboards import marts


class Names:
    """Bilingual names of provinces and KPIs, read once per publication from the dims."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.provinces = marts.provinces()
        self.kpis = marts.kpis()
        self._province = {
            r.province_code: name(lang, r.name_zh, r.name_en) for r in self.provinces.itertuples()
        }
        self._short = {
            r.province_code: (r.short_name_zh if lang != "en" else r.name_en)
            for r in self.provinces.itertuples()
        }
        self._kpi = {r.kpi_key: name(lang, r.name_zh, r.name_en) for r in self.kpis.itertuples()}
        self._kpi_row = {r.kpi_key: r for r in self.kpis.itertuples()}

    def province(self, code: str) -> str:
        return self._province.get(code, code)

    def short(self, code: str) -> str:
        return self._short.get(code, code)

    def kpi(self, key: str) -> str:
        if key in self._kpi:
            return self._kpi[key]
        kpi_id, _, seg = key.partition(":")
        return f"{kpi_id} ({segment(self.lang, seg)})" if seg else kpi_id

    def kpi_row(self, key: str):
        return self._kpi_row.get(key)

    @property
    def province_codes(self) -> list[str]:
        return [c for c in self.provinces["province_code"] if c != marts.NATIONAL]

    @property
    def kpi_keys(self) -> list[str]:
        return list(self.kpis["kpi_key"])


def status(lang: str, is_compliant: object) -> str:
    if is_compliant is None or is_compliant is pd.NA or is_compliant != is_compliant:
        return "—"
    return ("✓ " if bool(is_compliant) else "✗ ") + t(lang, "met" if is_compliant else "missed")


def count(value: object) -> str:
    """A count with thousands separators; a dash where the mart publishes none."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    return f"{int(value):,}"


def _colour(cell: object) -> str:
    text = str(cell)
    if text.startswith("✗"):
        return "color: #c62828; font-weight: 600"
    if text.startswith("✓"):
        return "color: #2e7d32"
    return ""


def value_text(lang: str, frame: pd.DataFrame, column: str = "value") -> list[str]:
    return [fmt_value(lang, v, u) for v, u in zip(frame[column], frame["unit"], strict=True)]


def threshold_text(lang: str, frame: pd.DataFrame) -> list[str]:
    return [
        fmt_threshold(lang, c, v, u)
        for c, v, u in zip(frame["comparator"], frame["threshold"], frame["unit"], strict=True)
    ]


def margin_text(lang: str, frame: pd.DataFrame) -> list[str]:
    return [fmt_change(lang, m, u) for m, u in zip(frame["margin"], frame["unit"], strict=True)]


def breach_columns(
    lang: str, names: Names, breaches: pd.DataFrame, band: list[str] | None = None
) -> dict[str, object]:
    """The columns that say which breach a row is, first in every table of breaches: its
    severity (and, given, the band that judged it), province and KPI."""
    columns: dict[str, object] = {
        t(lang, "col_severity"): [t(lang, s) for s in breaches["severity"]]
    }
    if band is not None:
        columns[t(lang, "col_band")] = band
    columns[t(lang, "col_province")] = [names.province(c) for c in breaches["province_code"]]
    columns[t(lang, "col_kpi")] = [names.kpi(k) for k in breaches["kpi_key"]]
    return columns


def axis_format(unit_code: str | None) -> str | None:
    return ".0%" if unit_code == "share" else None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "table"


def table(
    frame: pd.DataFrame,
    download: pd.DataFrame | None,
    file_name: str,
    lang: str,
    key: str,
    height: int | str = "auto",
    **kwargs,
) -> None:
    """A table and, under it, a button that downloads it as CSV (UTF-8 with BOM, so that
    Excel on a Chinese Windows opens it right). ``download`` is the raw published values
    (defaults to the table as shown); the CSV is made only when the button is pressed."""
    marked = [
        c for c in frame.columns
        if frame[c].dtype == object and frame[c].astype(str).str.match(r"^[✓✗]").any()
    ]  # fmt: skip
    shown = frame.style.map(_colour, subset=marked) if marked else frame
    if height == "all":  # every row, no inner scrolling
        height = 38 + 35 * len(frame)
    st.dataframe(shown, hide_index=True, height=height, key=f"table_{key}", **kwargs)
    download_button(frame if download is None else download, file_name, lang, key)


def download_button(raw: pd.DataFrame, file_name: str, lang: str, key: str) -> None:
    """A CSV download of ``raw``; the file is made only when the button is pressed."""

    def csv() -> bytes:
        return raw.to_csv(index=False).encode("utf-8-sig")

    st.download_button(
        t(lang, "download_csv"),
        data=csv,
        file_name=f"{_slug(file_name)}.csv",
        mime="text/csv",
        key=f"download_{key}",
        icon=":material/download:",
        type="tertiary",
        on_click="ignore",
    )


def missing(lang: str, what: str, table_name: str) -> None:
    st.info(t(lang, "not_available", what=what, table=table_name), icon=":material/schedule:")


def audit_table(lang: str, rows: pd.DataFrame | None, what: str, table_name: str, key: str):
    """An audit table as its job wrote it (downloaded as kpiwatch_<table>): said to be missing
    where the job never ran (None), empty where it ran and found nothing."""
    if rows is None:
        missing(lang, what, table_name)
    elif rows.empty:
        st.info(t(lang, "no_data"))
    else:
        file_name = "kpiwatch_" + table_name.rpartition(".")[2]
        table(rows, None, file_name, lang, key=key, height=320)


def names_in(lang: str, frame: pd.DataFrame) -> list[str]:
    """Each row's name in the reader's language, from its ``name_zh`` and ``name_en``."""
    return [name(lang, z, e) for z, e in zip(frame["name_zh"], frame["name_en"], strict=True)]


def local(ts: object) -> str:
    """A timestamp as Beijing time, to the minute."""
    if ts is None or ts is pd.NaT or (isinstance(ts, float) and ts != ts):
        return "—"
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(marts.LOCAL_ZONE)
    return stamp.strftime("%Y-%m-%d %H:%M")


UNBROKEN = '<span style="white-space: nowrap">{}</span>'


def unbroken(text: str) -> str:
    """``text`` as HTML that never breaks across lines. Not non-breaking spaces: browsers
    also break after the hyphen of "10-24", which parted a date mid-way."""
    return UNBROKEN.format(html.escape(text))


def header(lang: str, pub: marts.Publication) -> None:
    """When the data was published, and how far each source's events reach. Each date with
    its time, and each source with its date, stays on one line however narrow the page."""
    parts = [
        f"**{t(lang, 'published')}** {unbroken(local(pub.published_at))} "
        f"({t(lang, 'beijing_time')})"
    ]
    try:
        fresh = marts.freshness()
    except Exception:  # a publication without facts yet: say only when it was published
        fresh = pd.DataFrame()
    if not fresh.empty:
        per_source = fresh.groupby("source", sort=False).agg(
            latest=("source_latest_at", "max"), loaded=("last_loaded_at", "max")
        )
        sources = " · ".join(
            unbroken(f"{source(lang, s)} {local(r.latest)[5:]}") for s, r in per_source.iterrows()
        )
        parts.append(f"**{t(lang, 'sources_up_to')}**: {sources}")
    st.caption("  |  ".join(parts), unsafe_allow_html=True)  # our own words and dates


def period_label(lang: str) -> Callable[[date], str]:
    return lambda p: month(lang, p)


def month_mid(period: object) -> datetime:
    """The middle of a month, where a chart draws that month's value."""
    start = pd.Timestamp(period)
    return (start + pd.offsets.MonthBegin(1) - start) / 2 + start


def sparkline(values: object) -> list[float | None]:
    if values is None or isinstance(values, float):
        return []
    return [None if v is None or v != v else float(v) for v in values]


def standing_table(lang: str, names: Names, standing: pd.DataFrame, file_name: str, key: str):
    """Every KPI of one place and month: value, threshold, status, change, daily sparkline."""
    order = {k: i for i, k in enumerate(names.kpi_keys)}
    standing = standing.assign(order=standing["kpi_key"].map(order)).sort_values("order")
    shown = pd.DataFrame(
        {
            t(lang, "col_kpi"): [names.kpi(k) for k in standing["kpi_key"]],
            t(lang, "col_value"): value_text(lang, standing),
            t(lang, "col_threshold"): threshold_text(lang, standing),
            t(lang, "col_status"): [status(lang, c) for c in standing["is_compliant"]],
            t(lang, "col_change"): [change_text(lang, r) for r in standing.itertuples()],
            t(lang, "col_trend"): [sparkline(v) for v in standing["daily_values"]],
            t(lang, "col_breach_count"): [count(v) for v in standing["breach_count"]],
            t(lang, "col_sample"): [count(v) for v in standing["sample_size"]],
        }
    )
    table(
        shown,
        standing.drop(columns=["order", "daily_values"]),
        file_name,
        lang,
        key=key,
        height="all",
        column_config={
            t(lang, "col_trend"): st.column_config.LineChartColumn(width="medium"),
            t(lang, "col_kpi"): st.column_config.TextColumn(width="large"),
        },
    )
    withheld = standing["previous_value"].notna() & standing["change"].isna()
    if withheld.any():
        st.caption(t(lang, "change_caption"))


def change_text(lang: str, row) -> str:
    """The change since the previous month, or why it is not shown: a month the data covers
    only in part is another population, and comparing it would mislead (``marts.standing``).
    """
    if row.previous_value is None or row.previous_value != row.previous_value:
        return "—"
    if not row.current_complete:
        return t(lang, "change_partial_current")
    if not row.previous_complete:
        return t(lang, "change_partial_previous")
    return fmt_change(lang, row.change, row.unit)
