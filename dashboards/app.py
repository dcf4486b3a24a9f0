"""kpiwatch's executive dashboard: ``streamlit run dashboards/app.py`` (or ``kpiwatch dashboard``).

The home comes from ``KPIWATCH_HOME`` (else ``./data``); the app reads only its published
``warehouse.duckdb``, read-only. Chinese by default, English one click away; every filter
lives in the URL (see ``filters.py``). Nothing is read before the door (``door.py``) knows
who is looking; what they may see is then enforced by ``marts.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboards/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core.labels import LANGUAGE_NAMES, LANGUAGES, t  # noqa: E402
from dashboards import door, filters, layout, marts  # noqa: E402

PAGES = {
    "overview": ("views/overview.py", "page_overview", ":material/public:"),
    "province": ("views/province.py", "page_province", ":material/location_city:"),
    "kpi": ("views/kpi.py", "page_kpi", ":material/monitoring:"),
    "breaches": ("views/breaches.py", "page_breaches", ":material/notifications_active:"),
    "health": ("views/data_health.py", "page_health", ":material/health_and_safety:"),
    "definitions": ("views/definitions.py", "page_definitions", ":material/menu_book:"),
}

PAGE_ICON = ROOT / "dashboards" / "assets" / "page_icon.png"
"""Served by Streamlit itself: a ``:material/...:`` page icon would make every browser fetch
it from Google's font CDN, which an intranet may not reach (``tools/page_icon.py`` draws it).
The pages' own material icons are drawn from the font Streamlit ships."""

st.set_page_config(
    page_title="kpiwatch",
    page_icon=PAGE_ICON,
    layout="wide",
    initial_sidebar_state="collapsed",
)
st.markdown(
    """
    <style>
    .block-container {padding-top: 3.2rem; padding-bottom: 2rem;}
    [data-testid="stMetricValue"] {font-size: 1.9rem;}
    h1 {font-size: 1.7rem !important; margin-bottom: 0 !important;}
    h3 {font-size: 1.15rem !important;}
    </style>
    """,
    unsafe_allow_html=True,
)

state = filters.current()
lang = filters.language()

viewer = door.viewer(lang)

title, who, toggle = st.columns([5, 1.3, 1], vertical_alignment="bottom")
with toggle:
    filters.choose(
        "lang",
        t(lang, "language"),
        list(LANGUAGES),
        format_func=LANGUAGE_NAMES.get,
        widget="segmented_control",
        label_visibility="collapsed",
    )
lang = filters.language()
with title:
    st.title(t(lang, "app_title"))

pages = {
    slug: st.Page(path, title=t(lang, label), icon=icon, url_path=slug, default=slug == "overview")
    for slug, (path, label, icon) in PAGES.items()
}
page = st.navigation(list(pages.values()), position="top" if viewer else "hidden")
if viewer is None:  # the sign-in page: no menu, no header, not one query, no page run
    door.sign_in_page(lang)
    filters.write_url()
    st.stop()
with who:
    door.sign_out_control(lang, viewer)

# A link names its page with ?page=...: honour it once, when the session opens on it.
if not st.session_state.get("page_from_url_done"):
    st.session_state["page_from_url_done"] = True
    wanted = state.get("page")
    if wanted in pages and pages[wanted].url_path != page.url_path:
        st.switch_page(pages[wanted])
filters.put("page", next((s for s, p in pages.items() if p.url_path == page.url_path), "overview"))

publication = marts.publication()
if publication is None:
    st.warning(t(lang, "no_warehouse", path=marts.home().warehouse), icon=":material/hourglass:")
    filters.write_url()
    st.stop()

layout.header(lang, publication)
page.run()
filters.write_url()
