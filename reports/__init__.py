"""The monthly report: one month of the published marts as an Excel workbook and a PDF.

A wing beside ``dashboards/``: it reads the published warehouse through the read-only reader
(``core.readers.reader``), never the working warehouse, and judges nothing itself. Values,
thresholds and compliance come from ``marts.kpi_compliance``; severity, episode start and
months in breach from ``marts.kpi_breaches`` (their one owner).

- ``data``: which month and provinces, and the queries (``MonthlyData``).
- ``workbook``: the Excel workbook (openpyxl).
- ``pdf``: the same report as an HTML page (``templates/report.html``), printed to PDF by
  headless Chromium; ``fonts`` embeds the page's Chinese font.
- ``labels``: the report's words in zh / en (the dashboard's where it has them).
- ``produce``: both files for ``kpiwatch report``.
"""
