"""Both files of one monthly report, for ``kpiwatch report`` (and cron): the workbook first,
then the PDF, so a machine without Chromium still gets the workbook."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.home import Home
from core.readers import connect
from core.report.data import BEIJING, MonthlyData, Scope, load
from core.report.workbook import workbook
from reports.pdf import ChromiumMissing, html, pdf, require_chromium


@dataclass(frozen=True)
class Written:
    """What one run wrote; ``pdf_problem`` says why there is no PDF, when there is none."""

    workbook: Path
    pdf: Path | None
    pdf_problem: str | None = None


def read(home: Home, chosen: Scope) -> MonthlyData:
    """The report's figures from ``home``'s published warehouse (read-only)."""
    with connect(home) as con:  # SqlError (one line) when nothing is published
        published = datetime.fromtimestamp(os.stat(home.warehouse).st_mtime, BEIJING)
        return load(con, chosen, published)


def file_stem(chosen: Scope, lang: str) -> str:
    """``kpiwatch-report-2026-10-zh``, ``kpiwatch-report-2026-10-440000-en``."""
    return f"kpiwatch-report-{chosen.label}-{lang}"


def write(home: Home, chosen: Scope, lang: str, folder: Path, with_pdf: bool = True) -> Written:
    """Write ``<stem>.xlsx`` and ``<stem>.pdf`` into ``folder`` (made if missing). Each file
    is written under a temporary name and renamed, so a reader never opens half a file."""
    data = read(home, chosen)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / file_stem(chosen, lang)
    book = _replace(stem.with_suffix(".xlsx"), workbook(data, lang))
    if not with_pdf:
        return Written(book, None)
    try:
        require_chromium()
        printed = pdf(html(data, lang), f"kpiwatch · {chosen.label}")
    except ChromiumMissing as exc:
        return Written(book, None, str(exc))
    return Written(book, _replace(stem.with_suffix(".pdf"), printed))


def _replace(path: Path, content: bytes) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)
    return path
