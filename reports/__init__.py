"""The monthly report: one month of the published marts as an Excel workbook and a PDF.

A wing beside ``dashboards/``: it reads the published warehouse through the read-only reader
(``kpiwatch.readers.reader``), never the working warehouse, and judges nothing itself. Values,
thresholds and compliance come from ``marts.kpi_compliance``; severity, episode start and
months in breach from ``marts.kpi_breaches`` (their one owner).

- ``data``: which month and provinces, and the queries (``MonthlyData``).
- ``workbook``: the Excel workbook (openpyxl).
- ``pdf``: the same report as an HTML page, printed to PDF by headless Chromium.
- ``produce``: both files for ``kpiwatch report``.
"""
