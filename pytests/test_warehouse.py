"""The warehouse publishes, from delivered landing files, exactly the KPIs the data has.

End to end: generate landing files, ingest them, ``kpiwatch build`` (dbt build and
publish), then read the published warehouse read-only and hold its marts against the
generator's independent reference (``truth_kpi_compliance.csv``, generator/truth.py) and
the incidents it planted (manifest.json ``expected_breaches``).

The reference is computed from timestamps as delivered: an exporter that writes whole
seconds has its instants truncated before the truth sees them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from national_month import national_month

from core.contract import NATIONAL_CODE
from core.home import PROJECT_DIR, Home
from generator.landing import MANIFEST, TRUTH, generate
from ingest.loader import ingest
from kpiwatch.build import build

KEYS = ["period_month", "province_code", "kpi_id", "segment"]
RELATIVE_TOLERANCE = 1e-9
DURATION_KPIS = {
    "mobile_repair_hours_avg",
    "mobile_repair_hours_max",
    "broadband_repair_hours_avg",
    "broadband_repair_hours_max",
    "install_days_avg",
    "install_days_max",
}
ACROSS_MONTH_END = dict(
    start=date(2026, 9, 20),
    days=20,
    provinces=["110000", "440000", "540000", "650000"],
    scale=0.002,
    seed=7,
)


@dataclasses.dataclass(frozen=True)
class Built:
    home: Home
    manifest: dict
    truth: pl.DataFrame

    def query(self, sql: str) -> pl.DataFrame:
        with duckdb.connect(str(self.home.warehouse), read_only=True) as con:
            return con.sql(sql).pl()


def _build(root: Path, window: dict) -> Built:
    home = Home.resolve(root).ensure()
    manifest = generate(home.landing, **window)
    report = ingest(home)
    assert report.rows_loaded > 0
    build(home, quiet=True)
    return _built(home, manifest)


def _built(home: Home, manifest: dict) -> Built:
    truth = pl.read_csv(
        home.landing / TRUTH,
        schema_overrides={
            "period_month": pl.Date,
            "province_code": pl.String,
            "catalog_version": pl.String,
            "sample_size": pl.Int64,
            "breach_count": pl.Int64,
        },
    )
    assert (home.landing / MANIFEST).exists()
    return Built(home, manifest, truth)


@pytest.fixture(scope="session")
def october(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A national month: 31 provinces, 2026-10, scale 0.002, seed 7 (``national_month``,
    built once per run and shared with test_docs)."""
    home = national_month(tmp_path_factory)
    return _built(home, json.loads((home.landing / MANIFEST).read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def across_month_end(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Four provinces from 20 September for 20 days: September ends while repairs and
    installations are open, and October is still running at the sources' as-of time."""
    return _build(tmp_path_factory.mktemp("across_month_end"), ACROSS_MONTH_END)


def _compliance(built: Built) -> pl.DataFrame:
    return built.query("select * from marts.kpi_compliance")


def _assert_equals_truth(built: Built) -> None:
    published = _compliance(built)
    truth = built.truth
    months = truth["period_month"].unique().to_list()
    in_window = published.filter(pl.col("period_month").is_in(months))
    joined = truth.join(in_window, on=KEYS, how="full", suffix="_wh", coalesce=True)
    missing = joined.filter(pl.col("sample_size_wh").is_null()).select(KEYS)
    extra = joined.filter(pl.col("sample_size").is_null()).select(KEYS)
    assert missing.height == 0, f"rows of the truth the warehouse lacks:\n{missing}"
    assert extra.height == 0, f"rows the truth does not have:\n{extra}"
    assert in_window.height == truth.height

    relative = (pl.col("value") - pl.col("value_wh")).abs() / pl.max_horizontal(
        pl.col("value").abs(), pl.lit(1e-300)
    )
    compared = joined.with_columns(relative.alias("relative_error"))
    differing = compared.filter(
        (pl.col("relative_error") > RELATIVE_TOLERANCE)
        | (pl.col("sample_size") != pl.col("sample_size_wh"))
        | pl.col("breach_count").ne_missing(pl.col("breach_count_wh"))
        | (pl.col("is_compliant") != pl.col("is_compliant_wh"))
        | (pl.col("threshold") != pl.col("threshold_wh"))
        | (pl.col("comparator") != pl.col("comparator_wh"))
        | (pl.col("catalog_version") != pl.col("catalog_version_wh"))
    )
    assert differing.height == 0, f"rows that differ from the truth:\n{differing}"

    # Outside the generated months the warehouse may only publish what events falling there
    # support: a repair restored minutes before the window starts (and the items open then).
    outside = published.filter(~pl.col("period_month").is_in(months))
    assert outside.filter(pl.col("period_month") > max(months)).height == 0
    assert set(outside["kpi_id"].to_list()) <= DURATION_KPIS


def _breaches(frame: pl.DataFrame) -> set[tuple[str, str, str, str]]:
    return {
        (str(r["period_month"]), r["province_code"], r["kpi_id"], r["segment"])
        for r in frame.iter_rows(named=True)
    }


# ---------------------------------------------------------------------------- a month


def test_kpi_compliance_equals_the_truth_row_for_row(october: Built) -> None:
    _assert_equals_truth(october)


def test_non_compliant_provinces_are_the_planted_incidents(october: Built) -> None:
    months = october.truth["period_month"].unique().to_list()
    published = _compliance(october).filter(
        pl.col("period_month").is_in(months)
        & ~pl.col("is_compliant")
        & (pl.col("province_code") != NATIONAL_CODE)
    )
    expected = {
        (b["period_month"], b["province_code"], b["kpi_id"], b["segment"])
        for b in october.manifest["expected_breaches"]
    }
    assert expected, "the generator planted no breach to find"
    assert _breaches(published) == expected


def test_every_indicator_is_published_for_every_province(october: Built) -> None:
    published = _compliance(october).filter(pl.col("period_month") == date(2026, 10, 1))
    per_kpi = published.group_by("kpi_id", "segment").agg(pl.col("province_code").n_unique())
    assert per_kpi.height == 17  # 14 of §1 (broadband twice) and dark hours
    assert per_kpi["province_code"].to_list() == [32] * per_kpi.height


def test_city_figures_add_up_to_their_province(october: Built) -> None:
    by_city = october.query(
        """
        select period_month, province_code, kpi_id, segment,
               sum(sample_size) as sample_size, sum(breach_count) as breach_count,
               max(value) as largest_value
        from marts.kpi_compliance_city
        group by all
        """
    )
    provinces = _compliance(october).filter(
        (pl.col("province_code") != NATIONAL_CODE) & ~pl.col("kpi_id").str.starts_with("hotline_")
    )
    joined = provinces.join(by_city, on=KEYS, how="full", coalesce=True, suffix="_city")
    assert joined.filter(pl.col("sample_size").ne_missing(pl.col("sample_size_city"))).is_empty()
    assert joined.filter(pl.col("breach_count").ne_missing(pl.col("breach_count_city"))).is_empty()
    maxima = joined.filter(pl.col("kpi_id").str.ends_with("_max"))
    assert (maxima["value"] == maxima["largest_value"]).all()
    hotline = "select count(*) from marts.kpi_compliance_city where kpi_id like 'hotline%'"
    assert october.query(hotline).item() == 0


def test_daily_figures_add_up_to_their_month(october: Built) -> None:
    by_day = october.query(
        """
        select cast(date_trunc('month', period_date) as date) as period_month, province_code,
               kpi_id, segment, sum(sample_size) as sample_size,
               sum(breach_count) as breach_count
        from marts.kpi_compliance_daily
        where not ends_with(kpi_id, '_max') and kpi_id <> 'hotline_24x7_dark_hours'
        group by all
        """
    )
    months = _compliance(october).filter(
        ~pl.col("kpi_id").str.ends_with("_max") & (pl.col("kpi_id") != "hotline_24x7_dark_hours")
    )
    joined = months.join(by_day, on=KEYS, how="full", coalesce=True, suffix="_days")
    assert joined.filter(pl.col("sample_size").ne_missing(pl.col("sample_size_days"))).is_empty()
    assert joined.filter(pl.col("breach_count").ne_missing(pl.col("breach_count_days"))).is_empty()
    # A month's dark hours are its days' (an hour lies in one day); each day's maximum
    # is measured over a population of its own, but none exceeds the month's when the
    # month is still running at the same as-of time.
    dark = october.query(
        """
        select province_code, sum(breach_count) as dark_hours
        from marts.kpi_compliance_daily
        where kpi_id = 'hotline_24x7_dark_hours'
        group by all
        """
    )
    monthly_dark = _compliance(october).filter(pl.col("kpi_id") == "hotline_24x7_dark_hours")
    assert dict(dark.iter_rows()) == dict(
        monthly_dark.select("province_code", "breach_count").iter_rows()
    )


def test_breach_cases_are_the_breach_counts(october: Built) -> None:
    cases = october.query(
        """
        select period_month, province_code, kpi_id, segment, count(*) as cases
        from marts.kpi_breach_cases group by all
        union all
        select period_month, '100000', kpi_id, segment, count(*)
        from marts.kpi_breach_cases group by all
        """
    )
    counted = _compliance(october).filter(
        pl.col("breach_count").is_not_null() & (pl.col("kpi_id") != "hotline_24x7_dark_hours")
    )
    joined = counted.join(cases, on=KEYS, how="full", coalesce=True)
    assert joined.filter(
        pl.col("breach_count").fill_null(0) != pl.col("cases").fill_null(0)
    ).is_empty()
    # Each listed case is a ticket, call or order of its source's fact table.
    orphans = october.query(
        """
        select cases.source, cases.case_id
        from marts.kpi_breach_cases as cases
        left join (
            select 'hall_tickets' as source, ticket_id as case_id from marts.fct_hall_tickets
            union all select 'hotline_calls', call_id from marts.fct_hotline_calls
            union all select 'mobile_repairs', ticket_id from marts.fct_mobile_repairs
            union all select 'broadband_faults', ticket_id from marts.fct_broadband_faults
            union all select 'install_orders', order_id from marts.fct_install_orders
        ) as facts using (source, case_id)
        where facts.case_id is null
        """
    )
    assert orphans.is_empty()


def test_no_personal_data_past_staging(october: Built) -> None:
    """The caller hash stays in the working warehouse's staging: nothing published has it."""
    published = october.query(
        "select table_schema, table_name, column_name from information_schema.columns"
    )
    assert set(published["table_schema"]) == {"marts", "intermediate", "audit"}
    assert published.filter(pl.col("column_name").str.contains("caller")).is_empty()
    with duckdb.connect(str(october.home.work), read_only=True) as con:
        staged = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema = 'staging'"
        ).pl()
    hashed = staged.filter(pl.col("column_name").str.contains("caller|hash"))
    assert hashed.select("table_schema", "table_name").rows() == [
        ("staging", "stg_landing__hotline_calls")
    ]


def test_marts_carry_their_documentation(october: Built) -> None:
    tables = october.query(
        "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
    )
    assert tables.height == len(list((PROJECT_DIR / "models" / "marts").rglob("*.sql")))
    assert tables.filter(pl.col("comment").is_null() | (pl.col("comment") == "")).is_empty()


# ------------------------------------------------------------ across a month end


def test_across_a_month_end_equals_the_truth(across_month_end: Built) -> None:
    _assert_equals_truth(across_month_end)
    months = sorted(across_month_end.truth["period_month"].unique().to_list())
    assert months == [date(2026, 9, 1), date(2026, 10, 1)]


def test_items_open_at_the_month_end_enter_the_maxima(across_month_end: Built) -> None:
    sizes = across_month_end.query(
        """
        select period_month, kpi_id, segment, sample_size
        from marts.kpi_compliance
        where province_code = '100000' and (ends_with(kpi_id, '_avg') or ends_with(kpi_id, '_max'))
        """
    ).with_columns(
        pl.col("kpi_id").str.slice(0, pl.col("kpi_id").str.len_chars() - 4).alias("kpi"),
        pl.col("kpi_id").str.slice(-3).alias("kind"),
    )
    wide = sizes.pivot(on="kind", index=["period_month", "kpi", "segment"], values="sample_size")
    # Completed items plus open ones: at September's end (measured at the period end) and
    # at the as-of time of October, still running, open items exist for every KPI.
    assert wide.height == 8
    assert (wide["max"] > wide["avg"]).all()


FACT = "publication.marts.fct_hall_tickets"
TAMPERINGS = {
    "business key lost": f"delete from {FACT} where ticket_id = {{key}}",
    "a business key kept twice": (
        f"insert into {FACT} select * from {FACT} where ticket_id = {{key}}"
    ),
    "an older version was kept": (
        f"update {FACT} set updated_at = updated_at - interval 1 day where ticket_id = {{key}}"
    ),
    "a kept version is no raw row": (
        f"update {FACT} set source_row_number = source_row_number + 1000000 "
        "where ticket_id = {key}"
    ),
}


def _hall_fact_test(home: Home, name: str) -> str:
    """The SQL of the generic test `name` on the hall fact, as the last build compiled it."""
    manifest = json.loads((home.dbt_target / "manifest.json").read_text())
    [check] = [
        node["compiled_code"]
        for node in manifest["nodes"].values()
        if node.get("test_metadata", {}).get("name") == name
        and node["attached_node"] == "model.kpiwatch.fct_hall_tickets"
    ]
    return check


@pytest.mark.parametrize("problem", sorted(TAMPERINGS))
def test_the_reconciliation_test_names_each_loss(home_copy: Home, problem: str) -> None:
    """The test that the hall fact reconciles with raw (every raw row kept or superseded)
    catches each way to lose a ticket."""
    check = _hall_fact_test(home_copy, "reconciles_with_raw")
    with duckdb.connect(str(home_copy.work)) as con:
        # the check reads raw from the working warehouse and the fact from the publication
        con.execute(f"attach '{home_copy.warehouse}' as publication")
        assert con.execute(check).fetchall() == []
        key = con.execute(f"select min(ticket_id) from {FACT}").fetchone()[0]
        con.execute(TAMPERINGS[problem].format(key=f"'{key}'"))
        found = {row[-1] for row in con.execute(check).fetchall()}
    assert problem in found


def test_the_unique_test_finds_a_key_kept_twice(home_copy: Home) -> None:
    """The project's `unique` (hash first, then the values whose hash repeats) gives dbt's
    result rows: each repeated value and how many times it occurs (copying a key's rows
    twice doubles them twice: 4)."""
    check = _hall_fact_test(home_copy, "unique")
    assert "hash(ticket_id)" in check
    with duckdb.connect(str(home_copy.work)) as con:
        con.execute(f"attach '{home_copy.warehouse}' as publication")
        assert con.execute(check).fetchall() == []
        first, second = (row[0] for row in con.execute(
            f"select ticket_id from {FACT} order by ticket_id limit 2"
        ).fetchall())  # fmt: skip
        con.execute(f"insert into {FACT} select * from {FACT} where ticket_id = '{first}'")
        for _ in range(2):
            con.execute(f"insert into {FACT} select * from {FACT} where ticket_id = '{second}'")
        assert sorted(con.execute(check).fetchall()) == [(first, 2), (second, 4)]
