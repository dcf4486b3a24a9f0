"""Data Docs that render styled with no way out to the internet.

Great Expectations writes pages that load Bootstrap, Font Awesome, jQuery, bootstrap-table
and Vega from public CDNs, and its logo from a web-assets bucket with the project's id in
the address. On an operator's intranet those requests fail (the pages come out unstyled)
or leak that someone opened them. After each build, every page and stylesheet of the site
is rewritten to use the copies in ``data_docs_vendor/`` (``tools/vendor_data_docs.sh``
fetched them from npm, the versions the pages name), which are copied into the site's
``static/vendor/``; the logo becomes GX's own local copy. Links to web pages (``<a href>``)
are left alone: they request nothing until someone follows them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "data_docs_vendor"
SITE_VENDOR = Path("static") / "vendor"

LOCAL_COPIES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap/bootstrap.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (  # noqa: E501
        "bootstrap-dark/bootstrap-prefers-dark.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (  # noqa: E501
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (  # noqa: E501
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (  # noqa: E501
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (  # noqa: E501
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (  # noqa: E501
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "font-awesome/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper/popper.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
}
"""Each CDN address GX's templates use, and the vendored copy that replaces it."""

WEB_ASSET = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[\w.-]+(\?[^\"')\s]*)?"
)
"""GX's logo, fetched with the project's id in the query string: replaced by its local copy."""
LOGO = Path("static") / "images" / "logo-long.png"
SITE_STATIC = re.compile(r"""(?<=["'])(?:\./|(?:\.\./)+)?static/([\w./-]+)(?=["'])""")
"""A reference to the site's own ``static/`` folder, however deep GX thought the page was
(its validation pages name the favicon one level too shallow): made relative afresh."""

EXTERNAL_RESOURCE = re.compile(
    r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)\s*=\s*["'](?:https?:)?//[^"']+["']"""
    r"""|url\(\s*["']?(?:https?:)?//[^)]+\)""",
    re.I,
)
"""A reference a browser loads by itself (a stylesheet, script, image or CSS ``url()``)
that points off the machine; an ``<a href>`` is not one."""


def make_offline(site: Path) -> list[str]:
    """Rewrite the site under ``site`` to load nothing from outside; return what is left.

    What is left is every external resource no copy exists for (a GX upgrade that links
    something new): the pages still work where the network does, and the tests name it.
    """
    shutil.copytree(VENDOR, site / SITE_VENDOR, dirs_exist_ok=True)
    left: list[str] = []
    for path in sorted([*site.rglob("*.html"), *(site / "static" / "styles").glob("*.css")]):
        text = path.read_text(encoding="utf-8")
        offline = _rewritten(text, path.parent, site, page=path.suffix == ".html")
        if offline != text:
            path.write_text(offline, encoding="utf-8")
        left += [f"{path.relative_to(site)}: {m}" for m in EXTERNAL_RESOURCE.findall(offline)]
    return left


def _rewritten(text: str, folder: Path, site: Path, page: bool) -> str:
    def relative(target: Path) -> str:
        return Path(os.path.relpath(site / target, folder)).as_posix()

    for address, copy in LOCAL_COPIES.items():
        text = text.replace(address, relative(SITE_VENDOR / copy))
    text = WEB_ASSET.sub(lambda _: relative(LOGO), text)
    if not page:  # a stylesheet's own relative paths are right
        return text
    return SITE_STATIC.sub(lambda m: relative(Path("static") / m.group(1)), text)
