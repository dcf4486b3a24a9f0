"""The view's filters, kept in the URL so that a link reproduces what its sender saw.

``?page=province&period=2026-10&province=440000&kpi=hotline_sl20&lang=en`` opens the
province page for Guangdong, October 2026, the hotline service level, in English. The
truth lives in ``st.session_state["filters"]`` (read from the URL once per browser
session, so switching pages keeps every choice), and every rerun writes it back to the
URL, so the address bar always names the current view, defaults included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import streamlit as st

from core.labels import DEFAULT_LANGUAGE, LANGUAGES, month, t

KEYS = ("page", "lang", "period", "province", "kpi", "map")
ALL = "all"  # the value of a filter that keeps every option (one_or_all)
_STATE = "filters"


def current() -> dict[str, str]:
    """The filters of this browser session, seeded from the URL on its first run."""
    if _STATE not in st.session_state:
        params = st.query_params
        st.session_state[_STATE] = {k: params[k] for k in KEYS if params.get(k)}
    return st.session_state[_STATE]


def get(key: str, default: str | None = None) -> str | None:
    return current().get(key, default)


def put(key: str, value: str | None) -> None:
    if value is None:
        current().pop(key, None)
    else:
        current()[key] = value


def language() -> str:
    lang = get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
        put("lang", lang)
    return lang


def write_url() -> None:
    """Make the address bar name the current view (only the keys this app owns)."""
    wanted = {k: v for k, v in current().items() if k in KEYS and v}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def period_text(value: date) -> str:
    return value.strftime("%Y-%m")


def period(lang: str, periods: Sequence[date]) -> tuple[str, date]:
    """The month a dated page shows, chosen among the published ``periods``: its text as the
    URL and file names carry it, and its first day."""
    text = choose(
        "period",
        t(lang, "period"),
        [period_text(p) for p in periods],
        format_func=lambda p: month(lang, date.fromisoformat(f"{p}-01")),
    )
    return text, date.fromisoformat(f"{text}-01")


def one_or_all(
    key: str, label: str, options: Sequence[str], format_func: Callable[[Any], str], all_label: str
) -> str | None:
    """A filter that offers, first and by default, every option at once (``ALL``)."""
    return choose(
        key,
        label,
        [ALL, *options],
        format_func=lambda v: all_label if v == ALL else format_func(v),
        default=ALL,
    )


def choose(
    key: str,
    label: str,
    options: Sequence[str],
    format_func: Callable[[Any], str] = str,
    default: str | None = None,
    where: Any = st,
    widget: str = "selectbox",
    **kwargs: Any,
) -> str | None:
    """A widget bound to one URL filter: its value starts from the URL and goes back there.

    An unknown value (an old link, a province not published) falls back to ``default``.
    """
    if not options:
        return None
    value = get(key)
    if value not in options:
        value = default if default in options else options[0]
        put(key, value)
    widget_key = f"filter_{key}"
    st.session_state[widget_key] = value

    def changed() -> None:
        chosen = st.session_state[widget_key]
        if chosen is not None:
            put(key, chosen)

    if widget == "segmented_control":
        where.segmented_control(
            label, options, format_func=format_func, key=widget_key, on_change=changed, **kwargs
        )
    elif widget == "radio":
        where.radio(
            label, options, format_func=format_func, key=widget_key, on_change=changed, **kwargs
        )
    else:
        where.selectbox(
            label, options, format_func=format_func, key=widget_key, on_change=changed, **kwargs
        )
    return get(key)
