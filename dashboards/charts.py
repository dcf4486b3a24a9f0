"""Altair charts: the map of China, the province × KPI matrix, trends, rankings, distributions.

Charts only draw what a page hands them (values read from the marts); they compute no KPI.
The map uses ``assets/china_provinces.geojson`` as it is: China's official boundaries, with
Taiwan, Hong Kong and Macao drawn grey (no data: outside the operator's service area) and
the South China Sea maritime line drawn — nothing is downloaded at run time.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import cache
from itertools import pairwise
from pathlib import Path

import altair as alt
import pandas as pd

from core.labels import UNSERVED_NAMES_EN, t

GEOJSON = Path(__file__).with_name("assets") / "china_provinces.geojson"
MET = "#2e7d32"
MISSED = "#c62828"
THRESHOLD = "#c62828"
UNSERVED = "#d4d4d4"
LINE = "#1f4e79"
DAY_FORMAT = {"zh": "%-m月%-d日", "en": "%b %-d"}
"""A day on a time axis: Vega's own labels are English month names ("Oct", "October")."""
PROJECTION = {"type": "conicEqualArea", "rotate": [-105, 0], "parallels": [25, 47]}
"""Albers equal-area conic on 105° E with standard parallels 25° N and 47° N, as China's
national atlases draw the country."""

alt.data_transformers.disable_max_rows()


@cache
def _features() -> tuple[dict, ...]:
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    return tuple({**f, "geometry": _for_d3(f["geometry"])} for f in features)


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2


def _for_d3(geometry: dict) -> dict:
    """The same boundaries, wound the way Vega's d3-geo reads them.

    d3-geo takes a ring's winding as meaning (clockwise: the inside; counter-clockwise: the
    rest of the globe), so a tiny island simplified into a counter-clockwise or degenerate
    ring would paint the whole sphere. Exterior rings are made clockwise, holes
    counter-clockwise, and rings with no area (simplification left 1–2 points) dropped.
    """

    def polygon(rings: list) -> list | None:
        kept = []
        for i, ring in enumerate(rings):
            area = _signed_area(ring)
            if len({tuple(p) for p in ring}) < 3 or area == 0:
                if i == 0:
                    return None
                continue
            clockwise = area < 0
            kept.append(ring if clockwise == (i == 0) else ring[::-1])
        return kept

    if geometry["type"] == "Polygon":
        return {**geometry, "coordinates": polygon(geometry["coordinates"]) or []}
    if geometry["type"] == "MultiPolygon":
        polygons = [p for p in map(polygon, geometry["coordinates"]) if p]
        return {**geometry, "coordinates": polygons}
    return geometry


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return ring[0][0], ring[0][1], 0.0
    return cx / (3 * area), cy / (3 * area), abs(area) / 2


@cache
def label_points() -> dict[str, tuple[float, float]]:
    """Where to write each province's name: the centroid of its largest polygon, except
    where names would collide. Beijing and Tianjin are small and Hebei surrounds both: at
    their centroids the three names overlap, so each is placed by hand inside its own
    province (Beijing up-left, Tianjin down-right, Hebei south, around Hengshui)."""
    points: dict[str, tuple[float, float]] = {}
    placed = {"110000": (116.2, 40.45), "120000": (117.45, 39.05), "130000": (115.5, 37.7)}
    nudges = {"340000": (0.0, -0.4), "620000": (-2.5, 2.0)}
    for feature in _features():
        code = feature["properties"]["province_code"]
        rings = _rings(feature["geometry"])
        if code and rings:
            x, y, _ = max((_ring_centroid(r) for r in rings), key=lambda c: c[2])
            dx, dy = nudges.get(code, (0.0, 0.0))
            points[code] = placed.get(code, (x + dx, y + dy))
    return points


def china_map(
    lang: str,
    values: pd.DataFrame,
    field: str,
    legend: str,
    tooltip: list[tuple[str, str]],
    diverging: bool,
    height: int = 600,
    value_format: str | None = None,
) -> dict:
    """A choropleth of ``values`` (one row per province_code) on the official map.

    ``field`` colours the served provinces (diverging around 0 for a margin, else 0..1 for
    a share); ``tooltip`` lists (column, title) pairs of text columns already formatted.
    Returns a Vega-Lite spec for ``st.vega_lite_chart``.
    """
    rows = values.set_index("province_code").to_dict("index")
    served, unserved, lines = [], [], []
    for feature in _features():
        props = feature["properties"]
        code = props["province_code"]
        if feature["geometry"]["type"] == "MultiLineString":
            lines.append(feature)
            continue
        name = (
            props["name_zh"]
            if lang != "en"
            else props.get("name_en") or UNSERVED_NAMES_EN.get(code, props["name_zh"])
        )
        extra = {"name": name}
        if props.get("served") and code in rows:
            extra.update({k: v for k, v in rows[code].items() if _is_plain(v)})
            served.append({**feature, "properties": {**props, **extra}})
        else:
            extra["note"] = t(lang, "unserved") if not props.get("served") else t(lang, "no_data")
            unserved.append({**feature, "properties": {**props, **extra}})

    domain, palette = colour_bins(values[field], diverging)
    scale = alt.Scale(type="threshold", domain=domain, range=palette)
    legend_format = ".0%" if not diverging else (value_format or alt.Undefined)

    def base(dataset: str) -> alt.Chart:
        return alt.Chart(alt.Data(name=dataset)).properties(height=height).project(**PROJECTION)

    fill = (
        base("served")
        .mark_geoshape(stroke="white", strokeWidth=0.6)
        .encode(
            color=alt.Color(
                f"properties.{field}:Q",
                scale=scale,
                legend=alt.Legend(title=legend, orient="bottom-left", format=legend_format),
            ),
            tooltip=[alt.Tooltip("properties.name:N", title=t(lang, "province"))]
            + [alt.Tooltip(f"properties.{c}:N", title=title) for c, title in tooltip],
        )
    )
    grey = (
        base("unserved")
        .mark_geoshape(fill=UNSERVED, stroke="white", strokeWidth=0.6)
        .encode(
            tooltip=[
                alt.Tooltip("properties.name:N", title=t(lang, "province")),
                alt.Tooltip("properties.note:N", title=" "),
            ]
        )
    )
    maritime = (
        base("maritime")
        .mark_geoshape(filled=False, stroke="#5f6b7a", strokeWidth=1.1)
        .encode(tooltip=alt.value(t(lang, "maritime_line")))
    )

    def names(dataset: str, colour: str) -> list[alt.Chart]:
        """A name in ``colour`` over a halo of the opposite ink: readable where it spills
        over a neighbour's fill or the sea (Beijing and Tianjin are smaller than their
        names). One layer per ink, each of one colour: a colour field would share the
        fill's colour scale in the layered chart, which Vega cannot draw."""
        halo = LIGHT_INK if colour == DARK_INK else DARK_INK
        font = {"fontSize": 10 if lang != "en" else 9, "fontWeight": 600}
        where = {"longitude": "lon:Q", "latitude": "lat:Q", "text": "label:N"}
        return [
            alt.Chart(alt.Data(name=dataset))
            .mark_text(
                **font, color=halo, stroke=halo, strokeWidth=2.5, strokeJoin="round", opacity=0.7
            )
            .encode(**where)
            .project(**PROJECTION),
            alt.Chart(alt.Data(name=dataset))
            .mark_text(**font, color=colour)
            .encode(**where)
            .project(**PROJECTION),
        ]

    dark, light = names("labels_dark", DARK_INK), names("labels_light", LIGHT_INK)
    spec = alt.layer(fill, grey, maritime, *dark, *light)
    spec = spec.configure_view(stroke=None).to_dict(validate=False)
    # The geometry goes into the spec as named GeoJSON datasets, not through Altair's
    # validation and copies of ~16 000 points on every rerun.
    spec["datasets"] = {
        "served": served,
        "unserved": unserved,
        "maritime": lines,
        "labels_dark": [],
        "labels_light": [],
    }
    for code, (x, y) in label_points().items():
        if code in rows:
            colour = ink(bin_colour(rows[code][field], domain, palette))
            dataset = "labels_dark" if colour == DARK_INK else "labels_light"
            spec["datasets"][dataset].append(
                {"lon": x, "lat": y, "label": str(rows[code].get("short_name", ""))}
            )
    return spec


SHARE_BINS = [0.75, 0.9, 1.0]
SHARE_PALETTE = ["#a50f15", "#ef6548", "#fdd49e", "#1b7837"]
"""Share of KPIs met: below 75 %, 75–90 %, 90–100 %, all met. Four equal legend entries:
on a continuous scale "all met" (the one green) was a sliver at the end of the legend."""
MARGIN_PALETTE = ["#a50f15", "#ef6548", "#fcbba1", "#c7e9c0", "#74c476", "#1b7837"]
"""A margin: three reds below 0 (missed), three greens from 0 up (met)."""
DARK_INK, LIGHT_INK = "#1a1a1a", "#ffffff"


def colour_bins(series: pd.Series, diverging: bool) -> tuple[list[float], list[str]]:
    """The map's colour steps: thresholds (``domain``) and one colour per step."""
    if not diverging:
        return SHARE_BINS, SHARE_PALETTE
    reach = _symmetric(series)[1]
    return [-2 * reach / 3, -reach / 3, 0.0, reach / 3, 2 * reach / 3], MARGIN_PALETTE


def bin_colour(value: object, domain: list[float], palette: list[str]) -> str:
    """The colour a threshold scale gives ``value`` (as Vega does: below the first
    threshold the first colour, from a threshold up to the next one the next colour)."""
    if not isinstance(value, int | float) or value != value:
        return UNSERVED
    return palette[bisect_right(domain, float(value))]


def luminance(colour: str) -> float:
    """Relative luminance of a ``#rrggbb`` colour (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21; 4.5 is enough for small text)."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink(fill: str) -> str:
    """The label colour that reads best on ``fill``: white on dark fills, dark on light."""
    return max((DARK_INK, LIGHT_INK), key=lambda c: contrast(c, fill))


def _axis(number_format: str | None, **options) -> alt.Axis:
    return alt.Axis(format=number_format, **options) if number_format else alt.Axis(**options)


def _is_plain(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _symmetric(series: pd.Series) -> list[float]:
    reach = float(series.abs().max()) if len(series) else 1.0
    reach = reach if reach > 0 else 1.0
    return [-reach, reach]


def matrix(lang: str, cells: pd.DataFrame, kpi_order: list[str], province_order: list[str]):
    """Province × KPI: green met, red missed, shaded by the margin relative to the threshold."""
    shade = alt.Scale(
        domain=[-0.3, -0.0001, 0.0, 0.3],
        range=["#a50f15", "#fc9272", "#c7e9c0", "#1b7837"],
        clamp=True,
    )
    base = alt.Chart(cells).encode(
        x=alt.X(
            "province:N",
            sort=province_order,
            title=None,
            axis=alt.Axis(
                labelAngle=-60 if lang == "en" else 0,
                labelFontSize=10,
                orient="top",
                labelOverlap=False,
            ),
        ),
        y=alt.Y(
            "kpi:N",
            sort=kpi_order,
            title=None,
            axis=alt.Axis(labelLimit=280, labelOverlap=False, labelFontSize=11),
        ),
    )
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("relative_margin:Q", scale=shade, legend=None),
        tooltip=[
            alt.Tooltip("province:N", title=t(lang, "col_province")),
            alt.Tooltip("kpi:N", title=t(lang, "col_kpi")),
            alt.Tooltip("value_text:N", title=t(lang, "col_value")),
            alt.Tooltip("threshold_text:N", title=t(lang, "col_threshold")),
            alt.Tooltip("status:N", title=t(lang, "col_status")),
        ],
    )
    marks = base.mark_text(fontSize=10, color="white", fontWeight="bold").encode(
        text=alt.Text("mark:N")
    )
    return (rect + marks).properties(height=max(240, 26 * len(kpi_order)))


def trend(
    lang: str,
    daily: pd.DataFrame,
    monthly: pd.DataFrame,
    axis_format: str | None,
    height: int = 300,
):
    """A KPI's daily values (line) and monthly values (points) with the threshold (dashed)."""
    layers = []
    if not daily.empty:
        layers.append(
            alt.Chart(daily)
            .mark_line(color=LINE, strokeWidth=1.6, point=alt.OverlayMarkDef(size=12))
            .encode(
                x=alt.X("period_date:T", title=None, axis=alt.Axis(format=DAY_FORMAT[lang])),
                y=alt.Y(
                    "value:Q",
                    title=None,
                    scale=alt.Scale(zero=False),
                    axis=_axis(axis_format),
                ),
                tooltip=[
                    alt.Tooltip("period_date:T", title=t(lang, "daily"), format="%Y-%m-%d"),
                    alt.Tooltip("value_text:N", title=t(lang, "col_value")),
                ],
            )
        )
        layers.append(
            alt.Chart(daily)
            .mark_line(
                color=THRESHOLD, strokeDash=[6, 4], strokeWidth=1.5, interpolate="step-after"
            )
            .encode(
                x="period_date:T",
                y="threshold:Q",
                tooltip=[alt.Tooltip("threshold_text:N", title=t(lang, "col_threshold"))],
            )
        )
    if not monthly.empty:
        layers.append(
            alt.Chart(monthly)
            .mark_point(size=110, filled=True, shape="diamond")
            .encode(
                x="period_mid:T",
                y="value:Q",
                color=alt.Color(
                    "status:N",
                    scale=alt.Scale(
                        domain=[t(lang, "met"), t(lang, "missed")], range=[MET, MISSED]
                    ),
                    legend=alt.Legend(title=t(lang, "monthly"), orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("month:N", title=t(lang, "col_period")),
                    alt.Tooltip("value_text:N", title=t(lang, "col_value")),
                    alt.Tooltip("status:N", title=t(lang, "col_status")),
                ],
            )
        )
    return alt.layer(*layers).properties(height=height)


def bars(
    lang: str,
    frame: pd.DataFrame,
    category: str,
    threshold: float | None,
    axis_format: str | None,
    height: int | None = None,
):
    """Horizontal bars of ``value`` per ``category`` (in frame order), met green, missed red,
    with the threshold as a dashed rule."""
    order = list(frame[category])
    chart = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X(
                "value:Q",
                title=None,
                scale=alt.Scale(zero=False),
                axis=_axis(axis_format),
            ),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=[t(lang, "met"), t(lang, "missed")], range=[MET, MISSED]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=" "),
                alt.Tooltip("value_text:N", title=t(lang, "col_value")),
                alt.Tooltip("status:N", title=t(lang, "col_status")),
            ],
        )
    )
    if threshold is not None:
        rule = (
            alt.Chart(pd.DataFrame({"threshold": [threshold]}))
            .mark_rule(color=THRESHOLD, strokeDash=[6, 4], strokeWidth=1.5)
            .encode(x="threshold:Q")
        )
        chart = chart + rule
    return chart.properties(height=height or max(160, 18 * len(frame)))


def distribution(lang: str, frame: pd.DataFrame, threshold: float | None, axis_format: str | None):
    """How the provinces' values spread, with the threshold as a dashed rule."""
    hist = (
        alt.Chart(frame)
        .mark_bar(color=LINE, opacity=0.85)
        .encode(
            x=alt.X(
                "value:Q",
                bin=alt.Bin(maxbins=20),
                title=t(lang, "col_value"),
                axis=_axis(axis_format),
            ),
            y=alt.Y("count():Q", title=t(lang, "provinces_n")),
        )
    )
    if threshold is not None:
        hist = hist + (
            alt.Chart(pd.DataFrame({"threshold": [threshold]}))
            .mark_rule(color=THRESHOLD, strokeDash=[6, 4], strokeWidth=2)
            .encode(x="threshold:Q")
        )
    return hist.properties(height=260)


def stacked(
    frame: pd.DataFrame,
    x: str,
    y: str,
    colour: str,
    domain: list[str],
    palette: list[str],
    x_title: str | None = None,
    x_type: str = "N",
    height: int = 260,
):
    """Stacked bars (quarantine reasons per source, breaches per month by severity)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:{x_type}", title=x_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"sum({y}):Q", title=None),
            color=alt.Color(
                f"{colour}:N",
                scale=alt.Scale(domain=domain, range=palette) if palette else alt.Undefined,
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[f"{x}:{x_type}", f"{colour}:N", alt.Tooltip(f"sum({y}):Q", title="n")],
        )
        .properties(height=height)
    )


def heat(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    x_order: list[str],
    y_order: list[str],
    title: str,
):
    """A grid of hours behind (freshness by province and source)."""
    return (
        alt.Chart(frame)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(f"{x}:N", sort=x_order, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y(f"{y}:N", sort=y_order, title=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                f"{value}:Q",
                scale=alt.Scale(scheme="orangered", domainMin=0),
                legend=alt.Legend(title=title, orient="right"),
            ),
            tooltip=[f"{x}:N", f"{y}:N", alt.Tooltip(f"{value}:Q", format=".1f", title=title)],
        )
        .properties(height=max(200, 21 * len(y_order)))
    )
