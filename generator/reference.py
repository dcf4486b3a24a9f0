"""Reference data the generator draws from: the dbt seeds, never a second copy.

Provinces (population, urban share), their real prefecture-level cities, and the KPI
catalog's thresholds all come from ``seeds/``. The generator calibrates its baseline
below the catalog's ceilings and its planted incidents beyond them, so an operator who
changes a threshold in the catalog gets data planted against the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from core.home import PROJECT_DIR

SEEDS = PROJECT_DIR / "seeds"


@dataclass(frozen=True)
class Province:
    code: str
    population: int
    urban_share: float
    city_codes: tuple[str, ...]
    city_weights: tuple[float, ...]
    """Share of the province's activity per city: the capital weighs three times a city."""


@cache
def provinces() -> dict[str, Province]:
    prov = pl.read_csv(SEEDS / "provinces.csv", schema_overrides={"province_code": pl.String})
    cities = pl.read_csv(
        SEEDS / "cities.csv",
        schema_overrides={"city_code": pl.String, "province_code": pl.String},
    ).sort("city_code")
    out: dict[str, Province] = {}
    for row in prov.sort("province_code").iter_rows(named=True):
        own = cities.filter(pl.col("province_code") == row["province_code"])
        weights = [3.0 if cap else 1.0 for cap in own["is_capital"].to_list()]
        total = sum(weights)
        out[row["province_code"]] = Province(
            code=row["province_code"],
            population=int(row["population_2020"]),
            urban_share=float(row["urban_share_2020"]),
            city_codes=tuple(own["city_code"].to_list()),
            city_weights=tuple(w / total for w in weights),
        )
    return out


@cache
def _catalog() -> pl.DataFrame:
    return pl.read_csv(
        SEEDS / "kpi_catalog.csv",
        schema_overrides={"effective_from": pl.Date, "effective_to": pl.Date},
    )


def threshold(kpi_id: str, on: date, segment: str = "all") -> float:
    """The catalog's threshold for a KPI and segment in force on a date."""
    rows = _catalog().filter(
        (pl.col("kpi_id") == kpi_id)
        & (pl.col("segment") == segment)
        & (pl.col("effective_from") <= on)
        & (pl.col("effective_to").is_null() | (pl.col("effective_to") >= on))
    )
    if rows.height != 1:
        raise LookupError(f"kpi_catalog has {rows.height} versions of {kpi_id}/{segment} on {on}")
    return float(rows["threshold"][0])
