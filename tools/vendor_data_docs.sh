#!/usr/bin/env bash
# Refresh quality/data_docs_vendor/: the stylesheets, fonts and scripts Great Expectations'
# Data Docs link from public CDNs, copied from their npm packages (the same versions the
# pages name), so the pages render styled on a machine with no way out. A maintainer runs
# this when GX changes what it links (pytests/test_quality.py then says which link is new);
# quality/data_docs_offline.py maps each CDN address to its copy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=quality/data_docs_vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=(bootstrap@4.3.1 bootstrap-table@1.19.1 bootstrap-datepicker@1.9.0
          @fortawesome/fontawesome-free@6.6.0 jquery@3.7.1 popper.js@1.12.9
          @forevolve/bootstrap-dark@1.1.0 vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0)
(cd "$work" && npm pack --silent "${packages[@]}" >/dev/null)
take() {  # take PACKAGE-TARBALL FILE-IN-PACKAGE DESTINATION
    mkdir -p "$(dirname "$out/$3")"
    tar -xzOf "$work/$1" "package/$2" >"$out/$3"
}
rm -rf "$out" && mkdir -p "$out"
take bootstrap-4.3.1.tgz dist/css/bootstrap.min.css bootstrap/bootstrap.min.css
take bootstrap-4.3.1.tgz dist/js/bootstrap.min.js bootstrap/bootstrap.min.js
take bootstrap-4.3.1.tgz LICENSE bootstrap/LICENSE
take forevolve-bootstrap-dark-1.1.0.tgz dist/css/bootstrap-prefers-dark.min.css bootstrap-dark/bootstrap-prefers-dark.min.css
take forevolve-bootstrap-dark-1.1.0.tgz LICENSE bootstrap-dark/LICENSE
for f in bootstrap-table.min.css bootstrap-table.min.js \
         extensions/filter-control/bootstrap-table-filter-control.min.css \
         extensions/filter-control/bootstrap-table-filter-control.min.js; do
    take bootstrap-table-1.19.1.tgz "dist/$f" "bootstrap-table/$(basename "$f")"
done
take bootstrap-table-1.19.1.tgz LICENSE bootstrap-table/LICENSE
take bootstrap-datepicker-1.9.0.tgz dist/css/bootstrap-datepicker.min.css bootstrap-datepicker/bootstrap-datepicker.min.css
take bootstrap-datepicker-1.9.0.tgz dist/js/bootstrap-datepicker.min.js bootstrap-datepicker/bootstrap-datepicker.min.js
take bootstrap-datepicker-1.9.0.tgz LICENSE bootstrap-datepicker/LICENSE
# Font Awesome: every browser kpiwatch supports reads woff2, so the TrueType fallbacks
# (700 kB) are left out and the stylesheet no longer names them.
take fortawesome-fontawesome-free-6.6.0.tgz css/all.min.css font-awesome/css/all.min.css
sed -i -E 's/,url\(\.\.\/webfonts\/[a-z0-9-]+\.ttf\) format\("truetype"\)//g' "$out/font-awesome/css/all.min.css"
for f in fa-brands-400 fa-regular-400 fa-solid-900 fa-v4compatibility; do
    take fortawesome-fontawesome-free-6.6.0.tgz "webfonts/$f.woff2" "font-awesome/webfonts/$f.woff2"
done
take fortawesome-fontawesome-free-6.6.0.tgz LICENSE.txt font-awesome/LICENSE.txt
take jquery-3.7.1.tgz dist/jquery.min.js jquery/jquery.min.js
take jquery-3.7.1.tgz LICENSE.txt jquery/LICENSE.txt
take popper.js-1.12.9.tgz dist/umd/popper.min.js popper/popper.min.js
take vega-5.33.1.tgz build/vega.min.js vega/vega.min.js
take vega-lite-5.23.0.tgz build/vega-lite.min.js vega/vega-lite.min.js
take vega-lite-5.23.0.tgz LICENSE vega/LICENSE
take vega-embed-6.29.0.tgz build/vega-embed.min.js vega/vega-embed.min.js
cat >"$out/NOTICE.md" <<'NOTICE'
# Third-party files for offline Data Docs

Copied by `tools/vendor_data_docs.sh` from npm, unchanged except that Font Awesome's
stylesheet no longer names its TrueType fallbacks. Each folder keeps its package's licence
where the package ships one.

| folder | package | licence |
|---|---|---|
| `bootstrap/` | bootstrap 4.3.1 | MIT |
| `bootstrap-dark/` | @forevolve/bootstrap-dark 1.1.0 | MIT |
| `bootstrap-table/` | bootstrap-table 1.19.1 | MIT |
| `bootstrap-datepicker/` | bootstrap-datepicker 1.9.0 | Apache-2.0 |
| `font-awesome/` | @fortawesome/fontawesome-free 6.6.0 | CC-BY-4.0 (icons), OFL-1.1 (fonts), MIT (code) |
| `jquery/` | jquery 3.7.1 | MIT |
| `popper/` | popper.js 1.12.9 | MIT (Federico Zivolo and contributors) |
| `vega/` | vega 5.33.1, vega-lite 5.23.0, vega-embed 6.29.0 | BSD-3-Clause |
NOTICE
du -sh "$out"
