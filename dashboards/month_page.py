"""How every page that shows one month starts: the reader's language, the names in it and
the published months, read once here rather than at the top of each page."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.labels import t
from dashboards import filters, marts
from dashboards.layout import Names


def start() -> tuple[str, Names, list[date]]:
    """The reader's language, the names in it, and the published months to choose among;
    with none, the page says there is no data yet and stops."""
    lang = filters.language()
    periods = marts.periods()
    if not periods:
        st.info(t(lang, "no_data"))
        st.stop()
    return lang, Names(lang), periods
