"""The monthly report as a print-ready PDF: an HTML page (Jinja2) printed by headless Chromium.

Chromium is the machine's own (Debian's ``/usr/bin/chromium``, or ``KPIWATCH_CHROMIUM``),
driven through Playwright; no browser is ever downloaded. The page asks for nothing over the
network: its styles are inline, its fonts are the system's CJK fonts (Noto CJK), and every
request the page would make is refused.
"""

from __future__ import annotations

import os
from datetime import datetime
from html import escape
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.contract import NATIONAL_CODE
from core.report.data import BEIJING, SEVERITIES, MonthlyData
from core.report.labels import fmt_threshold, fmt_value, month, reason, severity, t
from core.report.workbook import catalog_versions, headline, matrix_layout, scope_text, title
from reports.fonts import FAMILY, font_faces

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless on a server without a display or user namespaces, and silent: no update,
sync or background request leaves the machine."""
TEMPLATES = Path(__file__).parent / "templates"


class ChromiumMissing(RuntimeError):
    """No usable Chromium: the PDF cannot be printed (the workbook still can)."""


def chromium_path() -> Path:
    return Path(os.environ.get("KPIWATCH_CHROMIUM") or CHROMIUM)


def require_chromium() -> Path:
    """The Chromium to print with, or ChromiumMissing (checked before the page is made)."""
    executable = chromium_path()
    if not executable.exists():
        raise ChromiumMissing(
            f"no Chromium at {executable}: the PDF was not written "
            "(apt-get install chromium fonts-noto-cjk, or set KPIWATCH_CHROMIUM)"
        )
    return executable


def html(data: MonthlyData, lang: str, generated: datetime | None = None) -> str:
    """The report as one self-contained HTML page, its Chinese font embedded (``fonts``)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    template = environment.get_template("report.html")
    stamp = f"{generated or datetime.now(BEIJING):%Y-%m-%d %H:%M}"
    values = {**page(data, lang), "generated": stamp}
    plain = template.render(**values, font_faces="")
    return template.render(**values, font_faces=font_faces(plain))


def page(data: MonthlyData, lang: str) -> dict:
    """What the template shows, every figure already written as the reader will read it."""
    codes, keys = matrix_layout(data)
    cells = data.compliance.set_index(["province_code", "kpi_key"])
    kpis = data.kpis.set_index("kpi_key")
    matrix = []
    for code in codes:
        row = []
        for key in keys:
            if (code, key) in cells.index:
                cell = cells.loc[(code, key)]
                row.append(
                    {
                        "text": fmt_value(lang, cell["value"], cell["unit"]),
                        "met": bool(cell["is_compliant"]),
                    }
                )
            else:
                row.append(None)
        matrix.append({"name": short_name(data, lang, code), "cells": row})
    breaches = [
        {
            "severity": r.severity,
            "severity_text": severity(lang, r.severity),
            "reason": reason(lang, r.severity_reason),
            "province": data.province_name(lang, r.province_code),
            "kpi": data.kpi_name(lang, r.kpi_key),
            "value": fmt_value(lang, r.value, r.unit),
            "threshold": fmt_threshold(lang, r.comparator, r.threshold, r.unit),
            "relative_shortfall": f"{r.relative_shortfall:.1%}",
            "cases": "—" if pd.isna(r.cases_over_limit) else f"{int(r.cases_over_limit):,}",
            "since": f"{r.episode_start_month:%Y-%m}",
            "months": int(r.months_in_breach),
            "days": "—" if pd.isna(r.days_missed) else int(r.days_missed),
            "drivers": (r.drivers_en if lang == "en" else r.drivers_zh)
            if isinstance(r.drivers_en if lang == "en" else r.drivers_zh, str)
            else "—",
        }
        for r in data.breaches.itertuples()
    ]
    trend_values = data.trend_values.assign(
        month=[f"{pd.Timestamp(m):%Y-%m}" for m in data.trend_values["period_month"]]
    ).set_index(["province_code", "kpi_key", "month"])
    months = [f"{m:%Y-%m}" for m in data.trend_months]
    trends = []
    for code in sorted(set(data.trend_values["province_code"])):
        for key in keys:
            values = []
            for m in months:
                if (code, key, m) in trend_values.index:
                    found = trend_values.loc[(code, key, m)]
                    values.append(
                        {
                            "text": fmt_value(lang, found["value"], found["unit"]),
                            "met": bool(found["is_compliant"]),
                        }
                    )
                else:
                    values.append(None)
            trends.append(
                {
                    "province": data.province_name(lang, code),
                    "kpi": data.kpi_name(lang, key),
                    "values": values,
                }
            )
    return {
        "lang": lang,
        "family": FAMILY,
        "t": lambda key, **values: t(lang, key, **values),
        "title": title(data, lang),
        "heading": t(lang, "title"),
        "month": month(lang, data.scope.month),
        "scope": scope_text(data, lang),
        "versions": ", ".join(catalog_versions(data)),
        "published": f"{data.published_at:%Y-%m-%d %H:%M}" if data.published_at else None,
        "headline": [
            {"label": t(lang, key), "value": f"{value:,}", "out_of": out_of}
            for key, value, out_of in headline(data)
        ],
        "scores": [
            {
                "name": data.province_name(lang, r.province_code),
                "judged": int(r.kpis_judged),
                "met": int(r.kpis_met),
                "share": f"{int(r.kpis_met) / int(r.kpis_judged):.0%}",
                **{s: int(getattr(r, s)) for s in SEVERITIES},
            }
            for r in data.scores.itertuples()
        ],
        "severities": [(s, severity(lang, s)) for s in SEVERITIES],
        "kpi_names": [data.kpi_name(lang, k) for k in keys],
        "thresholds": [
            fmt_threshold(
                lang, kpis.loc[k, "comparator"], kpis.loc[k, "threshold"], kpis.loc[k, "unit"]
            )
            for k in keys
        ],
        "matrix": matrix,
        "breaches": breaches,
        "has_drivers": data.has_drivers,
        "months": months,
        "trend_counts": [
            {
                "month": f"{pd.Timestamp(r.period_month):%Y-%m}",
                "judged": int(r.kpis_judged),
                "met": int(r.kpis_met),
                **{s: int(getattr(r, s)) for s in SEVERITIES},
            }
            for r in data.trend_counts.itertuples()
        ],
        "trends": trends,
        "trend_caption": t(
            lang, "trend_values_nation" if data.scope.national else "trend_values_provinces"
        ),
        "catalog": [
            {
                "kpi": data.kpi_name(lang, r.kpi_key),
                "version": r.catalog_version,
                "effective_from": f"{pd.Timestamp(r.effective_from):%Y-%m-%d}",
                "threshold": fmt_threshold(lang, r.comparator, r.threshold, r.unit),
            }
            for r in data.kpis.itertuples()
        ],
    }


def short_name(data: MonthlyData, lang: str, code: str) -> str:
    """The short Chinese name (广东) in the matrix, where a column is narrow."""
    found = data.provinces[data.provinces["province_code"] == code]
    if lang == "en" or found.empty or code == NATIONAL_CODE:
        return data.province_name(lang, code)
    return found.iloc[0].short_name_zh or data.province_name(lang, code)


def pdf(page_html: str, footer: str = "") -> bytes:
    """``page_html`` printed to A4 landscape by headless Chromium (ChromiumMissing if none)."""
    executable = require_chromium()
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
                page.set_content(page_html, wait_until="load")
                return page.pdf(
                    format="A4",
                    landscape=True,
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=(
                        '<div style="font-size:7pt;width:100%;text-align:center;color:#666">'
                        f'{escape(footer)} · <span class="pageNumber"></span> / '
                        '<span class="totalPages"></span></div>'
                    ),
                    margin={"top": "12mm", "bottom": "14mm", "left": "10mm", "right": "10mm"},
                )
            finally:
                browser.close()
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ChromiumMissing(f"Chromium at {executable} could not print the PDF: {first}") from exc
