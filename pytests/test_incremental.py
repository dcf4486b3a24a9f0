"""Incremental builds equal a full rebuild of the same raw layer (docs/incremental.md).

Each build here is a real ``dbt build`` (10-40 s on a busy machine), so the landing is tiny
(one province, scale 0.0005, three days across the end of October) and generated once, the
first build of a sequence is not compared (it is a full build itself), the data tests run
on one build only (the deliveries test's last incremental one: equal tables pass the same
tests), and every build of a sequence and every full rebuild reuses one home, so that dbt
parses the project once per home.
Hypothesis draws 3 sequences of 2 deliveries by default; ``KPIWATCH_HYPOTHESIS_PROFILE=
thorough`` draws 40 of 2-4 (about an hour on a quiet machine).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from incremental_world import deliver, differences, full_rebuild_of, ingest_and_build
from versioned_catalog import changed_catalog_text, project_copy

from core import build_state
from core.home import PROJECT_DIR, Home
from generator import generate
from ingest import store
from kpiwatch import build_basis
from kpiwatch.build import build, marts_fingerprint, seeds_loaded_by_last_build

TINY = dict(start=date(2026, 10, 30), days=3, provinces=["110000"], scale=0.0005, seed=3)
STAMP = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny landing with the generator's own late files, re-exports, re-sent counters
    and duplicates, each in the folder of the day it is delivered."""
    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(out, **TINY)
    return out


def _files(generated: Path) -> list[Path]:
    return sorted(p for p in generated.rglob("*.*") if p.parent != generated)


def _delivery_days(generated: Path) -> list[str]:
    return sorted({p.parent.name for p in _files(generated)})


def re_export(
    generated: Path, landing: Path, day: str, shift: timedelta, wins: bool, rows: int
) -> Path:
    """A hand-made re-export of the first ``rows`` hall tickets taken on 31 October: taken,
    called and finished ``shift`` later (across the month end for a day or more), updated one
    second after the original (it wins) or before it (it loses, though it comes later)."""
    source = generated / "hall_tickets" / "2026-11-01" / "hall_tickets_110000_20261031.csv"
    text = source.read_bytes().decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for row in list(reader)[:rows]:
        for column in ("taken_at", "called_at", "finished_at"):
            if row[column]:
                row[column] = (datetime.strptime(row[column], STAMP) + shift).strftime(STAMP)
        updated = datetime.strptime(row["updated_at"], STAMP)
        moved = updated + shift + timedelta(seconds=1) if wins else updated - timedelta(seconds=1)
        row["updated_at"] = moved.strftime(STAMP)
        writer.writerow(row)
    suffix = f"r{int(shift.total_seconds()) // 3600}h{'w' if wins else 'l'}"
    target = landing / "hall_tickets" / day / f"hall_tickets_110000_20261031_{suffix}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.getvalue().encode("gb18030"))
    return target


REPAIR_HEADER = (
    "ticket_id,province_code,city_code,area_type,reported_at,restored_at,suspended_minutes,"
    "cause,updated_at\n"
)


def repair_version(landing: Path, day: str, restored_at: str, updated_at: str) -> Path:
    """A version of repair ticket M1126102000001, reported on 20 October at 08:00: still
    open (``restored_at`` empty) or restored then, delivered in the folder of ``day``."""
    target = landing / "mobile_repairs" / day / f"mobile_repairs_110000_20261020_{day[5:]}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        REPAIR_HEADER + "M1126102000001,110000,110100,urban,2026-10-20T08:00:00+08:00,"
        f"{restored_at},0,network,{updated_at}\n"
    )
    return target


def _assert_equal_to_full_rebuild(home: Home, full_home: Path, project: Path = PROJECT_DIR) -> None:
    assert differences(home.warehouse, full_rebuild_of(home, full_home, project)) == {}


def _fresh_home(root: Path) -> Home:
    """An empty home at ``root``, keeping only dbt's folder (its parsed project)."""
    if root.exists():
        for child in root.iterdir():
            if child.name != "dbt":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    return Home.resolve(root)


def test_each_delivery_builds_incrementally_to_what_a_full_rebuild_gives(
    generated: Path, tmp_path: Path
) -> None:
    """Three deliveries (late files, v2 re-exports, re-sent counters and duplicates among
    them): the second with a repair ticket reported in October and still open, the last
    with its restoration on 2 December (the as-of time moves into December: November ends,
    every open item ages) and a hand-made re-export that moves tickets into November. After
    each, the build starts from the published warehouse and every mart and intermediate
    table is the full rebuild's, row for row."""
    home = Home.resolve(tmp_path / "home")
    landing = tmp_path / "landing"
    days = _delivery_days(generated)
    groups = [days[:2], days[2:3], days[3:]]
    for number, group in enumerate(groups):
        deliver([p for p in _files(generated) if p.parent.name in group], generated, landing)
        if number == 1:
            repair_version(landing, "2026-11-02", "", "2026-10-20T08:05:00+08:00")
        if number == 2:
            repair_version(landing, "2026-12-02", "2026-12-02T10:00:00+08:00",
                           "2026-12-02T10:05:00+08:00")  # fmt: skip
            re_export(generated, landing, "2026-11-06", timedelta(days=1), wins=True, rows=5)
        # the data tests run once, on the last incremental build (the full ones are tested
        # elsewhere, and equal tables pass the same tests)
        result = ingest_and_build(home, landing, data_tests=number == len(groups) - 1)
        assert result.start is not None and result.start.incremental == (number > 0)
        if number > 0:
            _assert_equal_to_full_rebuild(home, tmp_path / "full")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        moved = con.execute(
            "select count(*) from marts.fct_hall_tickets "
            "where taken_month = date '2026-11-01' and ticket_id like '%-20261031-%'"
        ).fetchone()[0]
        maxima = dict(
            con.execute(
                "select period_month, value from marts.kpi_compliance "
                "where province_code = '110000' and kpi_id = 'mobile_repair_hours_max'"
            ).fetchall()
        )
    with duckdb.connect(str(home.work), read_only=True) as con:
        (staging,) = con.execute(
            "select sql from duckdb_views() where view_name = 'stg_landing__hall_tickets'"
        ).fetchone()
    assert "ingest_file_id >" in staging  # staging ranked only the versions of arrived keys
    # the last build's data tests read only what it rewrote: the facts' arrived keys (raw
    # too, in the reconciliation) and the marts' affected periods, not the whole history
    through = result.start.through
    generic = [  # generic tests compile under the folder of the yml that declares them
        p.read_text() for p in (home.dbt_target / "compiled").rglob("*.sql") if ".yml" in str(p)
    ]
    hall = [sql for sql in generic if '"fct_hall_tickets"' in sql]
    daily = [sql for sql in generic if '"kpi_compliance_daily"' in sql]
    assert len(hall) >= 4 and any("a business key kept twice" in sql for sql in hall)
    assert all(f"ingest_file_id > {through}" in sql for sql in hall)
    assert daily and all('"int_periods_affected"' in sql for sql in daily)
    ran = json.loads((home.dbt_target / "run_results.json").read_text())["results"]
    assert not [r for r in ran if r["unique_id"].startswith("seed.")]  # seeds stayed loaded
    # so did the dimensions read from them, and the tests that read nothing else; a test
    # that also reads a fact (a relationship to a dimension) still ran
    ids = {r["unique_id"] for r in ran}
    assert not [i for i in ids if i.startswith("model.kpiwatch.dim_")]
    on_dimensions = ("unique_dim_", "not_null_dim_", "relationships_dim_", "assert_exactly_31")
    assert not [i for i in ids if i.split(".")[2].startswith(on_dimensions)]
    assert [i for i in ids if i.startswith("test.kpiwatch.relationships_fct_hall_tickets_")]
    # a fact's unique test is left out: its reconciliation read the same keys and ran
    assert not [i for i in ids if ".unique_fct_" in i or "unique_combination_of_columns_fct_" in i]
    assert len([i for i in ids if ".reconciles_with_raw_fct_" in i]) == 6
    assert moved == 5  # the re-export did move them: the comparison above is not vacuous
    # the October ticket, open at the end of October (280 h old) and of November (1,000 h),
    # restored in December after 1,034 h, is the oldest item of each month
    assert maxima[date(2026, 10, 1)] >= 280
    assert (maxima[date(2026, 11, 1)], maxima[date(2026, 12, 1)]) == (1000, 1034)

    # and the comparison can fail: one value off by the smallest step of a double is found
    full = tmp_path / "full" / "warehouse.duckdb"
    with duckdb.connect(str(full)) as con:
        con.execute(
            "update marts.kpi_compliance set value = nextafter(value, 1e9) "
            "where rowid = (select min(rowid) from marts.kpi_compliance where value is not null)"
        )
    found = differences(home.warehouse, full)
    assert list(found) == ["marts.kpi_compliance"] and found["marts.kpi_compliance"][:2] == (1, 1)


def _affected(home: Home) -> dict[str, set[date]]:
    """The days and months the last published build recomputed (int_periods_affected)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select distinct period_grain, period_start from intermediate.int_periods_affected"
        ).fetchall()
    affected: dict[str, set[date]] = {"day": set(), "month": set()}
    for grain, start in rows:
        affected[grain].add(start)
    return affected


def test_a_changed_catalog_row_recomputes_its_periods_without_a_full_rebuild(
    generated: Path, tmp_path: Path
) -> None:
    """A KPI catalog change is not a full rebuild: the build starts from the published
    warehouse, compares the catalog with the one it was built with, and recomputes the
    periods from the changed version's effective date. A new version of hotline_sl20 from
    1 November (threshold 0.75, an example) recomputes November and December (the hotline
    runs into December) and no day or month of October; a new case limit of hall_wait_15m
    from 1 November also reaches back into October, whose days are counted against the
    limits of the three months after them too (the early warning reads them as history); a
    threshold edited in place recomputes every period. Each equals a full rebuild with the
    changed catalog."""
    project = project_copy(tmp_path / "project")
    catalog = project / "seeds" / "kpi_catalog.csv"
    home = Home.resolve(tmp_path / "home")
    landing = tmp_path / "landing"
    deliver(_files(generated), generated, landing)
    first = ingest_and_build(home, landing, data_tests=False, project=project)
    assert first.start is not None and not first.start.incremental
    assert _affected(home)["month"] == {date(2026, 11, 1), date(2026, 12, 1)}  # running

    november = date(2026, 11, 1)
    catalog.write_text(
        changed_catalog_text(
            "hotline_sl20", "all", november, threshold="0.75", catalog_version="2026.11"
        ),
        encoding="utf-8",
    )
    result = build(home, quiet=True, project=project, data_tests=False)
    assert result.start is not None and result.start.incremental, result.start
    assert result.start.reason.startswith("files after id")
    ran = json.loads((home.dbt_target / "run_results.json").read_text())["results"]
    assert "seed.kpiwatch.kpi_catalog" in {r["unique_id"] for r in ran}  # loaded again
    affected = _affected(home)
    assert affected["month"] == {november, date(2026, 12, 1)}
    assert min(affected["day"]) == november and len(affected["day"]) > 30
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        judged = dict(
            con.execute(
                "select period_month, (threshold, catalog_version) from marts.kpi_compliance "
                "where kpi_id = 'hotline_sl20' and province_code = '110000'"
            ).fetchall()
        )
    assert judged[date(2026, 10, 1)] == (0.70, "2009.1")
    assert judged[november] == (0.75, "2026.11")
    _assert_equal_to_full_rebuild(home, tmp_path / "full", project)

    catalog.write_text(
        changed_catalog_text("hall_wait_15m", "all", november, case_limit="600",
                             catalog_version="2026.11"),
        encoding="utf-8",
    )  # fmt: skip
    result = build(home, quiet=True, project=project, data_tests=False)
    assert result.start is not None and result.start.incremental, result.start
    assert date(2026, 10, 1) in _affected(home)["month"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        limits = con.execute(
            "select list(distinct case_limit order by case_limit) "
            "from intermediate.int_kpi_measures_aggregated "
            "where kpi_id = 'hall_wait_15m' and period_month = date '2026-10-01'"
        ).fetchone()[0]
        (november_limit,) = con.execute(
            "select distinct case_limit from marts.kpi_breach_cases "
            "where kpi_id = 'hall_wait_15m' and period_month = date '2026-11-01'"
        ).fetchone() or (None,)
    assert limits == [600, 900]  # October's own limit, and November's for its history
    assert november_limit in (None, 600)
    _assert_equal_to_full_rebuild(home, tmp_path / "full", project)

    # a threshold edited in place judges every period since 2009 differently: all of them
    catalog.write_text(
        changed_catalog("threshold", "mobile_repair_hours_max", november), encoding="utf-8"
    )
    result = build(home, quiet=True, project=project, data_tests=False)
    assert result.start is not None and result.start.incremental, result.start
    assert min(_affected(home)["month"]) == date(2026, 10, 1)
    _assert_equal_to_full_rebuild(home, tmp_path / "full", project)


# Random delivery sequences: each file of the tiny landing goes to one of 2 deliveries (2-4
# when thorough) or is held back, and hand-made re-exports (winning or losing, across the
# month end or not) join a random delivery; every file may also be sent twice (a duplicate,
# skipped by ingest); and the KPI catalog may change before one incremental build (a new
# version with another threshold or case limit, or a threshold edited in place).

HYPOTHESIS_PROFILE = "KPIWATCH_HYPOTHESIS_PROFILE"
"""The environment variable that picks how many sequences hypothesis draws (below)."""

for _name, _examples, _phases in (
    # a failure is reported as drawn: shrinking it would cost dozens of builds
    ("default", 3, (Phase.explicit, Phase.reuse, Phase.generate)),
    ("thorough", 40, tuple(Phase)),
):
    settings.register_profile(
        f"kpiwatch-incremental-{_name}",
        max_examples=_examples,
        phases=_phases,
        deadline=None,  # a build takes seconds, and more on a busy machine
        database=None,  # each example is cheap to draw again and costly to keep
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _profile() -> settings:
    return settings.get_profile(f"kpiwatch-incremental-{_profile_name()}")


def _profile_name() -> str:
    return os.environ.get(HYPOTHESIS_PROFILE, "default")


MOST_DELIVERIES = 4 if _profile_name() == "thorough" else 2
"""Deliveries per sequence: a first build and one incremental by default (3 builds)."""


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every example, so that each reuses the homes (and parsed projects)
    of the last, and one copy of the dbt project whose KPI catalog an example may change."""
    folder = tmp_path_factory.mktemp("sequences")
    project_copy(folder / "project")
    return folder


CATALOG_CHANGES = {
    # kpi_id: (segment, another threshold, another case limit): examples, not the standard's
    "hall_wait_15m": ("all", "0.95", "600"),
    "hotline_sl20": ("all", "0.80", "15"),
    "mobile_repair_hours_max": ("all", "40", "30"),
    "broadband_repair_hours_avg": ("urban", "20", "30"),
}
"""KPIs whose catalog row a random sequence may change: a share, a max KPI (its open items
too) and a mean, on four sources."""


def changed_catalog(kind: str, kpi: str, on: date) -> str:
    """The shipped catalog with one change: a new version from ``on`` with another
    threshold (``version``) or another case limit (``case_limit``), or the threshold of the
    open version edited in place (``threshold``: every period since 2009)."""
    segment, threshold, case_limit = CATALOG_CHANGES[kpi]
    if kind == "threshold":
        return changed_catalog_text(kpi, segment, None, threshold=threshold)
    changes = {"threshold": threshold} if kind == "version" else {"case_limit": case_limit}
    return changed_catalog_text(kpi, segment, on, catalog_version="2026.11", **changes)


@settings(_profile())
@given(data=st.data())
def test_random_delivery_sequences_build_incrementally_to_the_full_rebuild(
    generated: Path, scratch: Path, data: st.DataObject
) -> None:
    files = _files(generated)
    count = data.draw(st.integers(min_value=2, max_value=MOST_DELIVERIES), label="deliveries")
    delivery_of_a_file = st.integers(min_value=0, max_value=count)  # count: never delivered
    plan = data.draw(
        st.lists(delivery_of_a_file, min_size=len(files), max_size=len(files)), label="plan"
    )
    plan[data.draw(st.integers(0, len(files) - 1), label="first file")] = 0  # a first build
    re_exports = data.draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.sampled_from([0, 1, 2]), st.booleans()),
            max_size=2,
        ),
        label="re-exports (delivery, days later, wins)",
    )
    twice = data.draw(st.sets(st.integers(0, len(files) - 1), max_size=3), label="sent twice")
    # the October repair ticket: its open version and its December restoration each come in
    # one delivery (the same, either order) or never (count)
    opened, restored = data.draw(
        st.tuples(st.integers(0, count), st.integers(0, count)), label="repair (open, restored)"
    )
    # a change of the KPI catalog before one incremental build, or none
    kind = data.draw(
        st.sampled_from(["none", "version", "threshold", "case_limit"]), label="catalog change"
    )
    catalog_change = (
        None
        if kind == "none"
        else (
            data.draw(st.integers(1, count - 1), label="catalog change: delivery"),
            kind,
            data.draw(st.sampled_from(sorted(CATALOG_CHANGES)), label="catalog change: kpi"),
            data.draw(
                st.sampled_from([date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 15)]),
                label="catalog change: effective from",
            ),
        )
    )
    project = scratch / "project"
    catalog = project / "seeds" / "kpi_catalog.csv"
    catalog.write_bytes((PROJECT_DIR / "seeds" / "kpi_catalog.csv").read_bytes())
    home = _fresh_home(scratch / "home")
    landing = scratch / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    for delivery in range(count):
        if catalog_change is not None and catalog_change[0] == delivery:
            catalog.write_text(changed_catalog(*catalog_change[1:]), encoding="utf-8")
        chosen = [f for f, d in zip(files, plan, strict=True) if d == delivery]
        deliver(chosen, generated, landing)
        for index in twice & {files.index(f) for f in chosen}:
            source, _, name = files[index].relative_to(generated).parts
            copy = landing / source / f"2026-11-2{delivery}" / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files[index], copy)
        for number, (at, days, wins) in enumerate(re_exports):
            if at == delivery:
                day = f"2026-11-1{number}"
                re_export(generated, landing, day, timedelta(days=days, hours=1), wins, rows=4)
        if opened == delivery:
            repair_version(landing, f"2026-11-0{delivery + 2}", "", "2026-10-20T08:05:00+08:00")
        if restored == delivery:
            repair_version(landing, f"2026-12-0{delivery + 2}", "2026-12-02T10:00:00+08:00",
                           "2026-12-02T10:05:00+08:00")  # fmt: skip
        result = ingest_and_build(home, landing, data_tests=False, project=project)
        assert result.start is not None and result.start.incremental == (delivery > 0)
        if delivery > 0:
            _assert_equal_to_full_rebuild(home, scratch / "full", project)


def _working_warehouse(path: Path, files: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    store.create(con)
    for file_id in range(1, files + 1):
        con.execute(
            "insert into audit.ingest_files (file_id, source, path, content_hash, status, "
            "rows_loaded, loaded_at) values (?, 'hall_tickets', ?, ?, 'loaded', 10, now())",
            [file_id, f"f{file_id}.csv", f"h{file_id}"],
        )
    return con


def test_only_a_matching_basis_lets_a_build_start_from_the_published_warehouse(
    tmp_path: Path,
) -> None:
    """A different project or reference data, engine, or set of files the last build saw
    (a working warehouse rebuilt from scratch reuses file ids) means a full rebuild."""
    con = _working_warehouse(tmp_path / "work.duckdb", 3)
    last = build_basis.current(con, PROJECT_DIR)
    con.execute(
        "insert into audit.ingest_files (file_id, source, path, content_hash, status, "
        "rows_loaded, loaded_at) values (4, 'hall_tickets', 'f4.csv', 'h4', 'loaded', 1, now())"
    )
    now = build_basis.current(con, PROJECT_DIR)
    assert now.built_through_file_id == 4
    assert build_basis.why_not_incremental(last, now, con) == ""
    assert "no basis" in build_basis.why_not_incremental(None, now, con)
    changed = build_basis.Basis(3, last.files_digest, "another", last.engine)
    assert "project" in build_basis.why_not_incremental(changed, now, con)
    older = build_basis.Basis(3, last.files_digest, last.project_fingerprint, "duckdb 0.1")
    assert "engine" in build_basis.why_not_incremental(older, now, con)
    ahead = build_basis.Basis(9, last.files_digest, last.project_fingerprint, last.engine)
    assert "fewer files" in build_basis.why_not_incremental(ahead, now, con)
    con.close()
    again = _working_warehouse(tmp_path / "again.duckdb", 4)  # same ids, loaded anew
    assert "no longer the same" in build_basis.why_not_incremental(
        last, build_basis.current(again, PROJECT_DIR), again
    )
    again.close()


def test_the_kpi_catalog_is_left_out_of_the_basis_but_not_of_whether_to_build(
    tmp_path: Path,
) -> None:
    """A changed catalog row keeps the build incremental (the models compare the catalog
    row by row), but still makes ``kpiwatch run`` build and load the seeds again; any other
    seed still means a full rebuild."""
    project = project_copy(tmp_path / "project")
    home = Home.resolve(tmp_path / "home")
    basis = build_state.project_fingerprint(project, with_catalog=False)
    marts = marts_fingerprint(home, project)
    (project / "seeds" / "kpi_catalog.csv").write_text(
        changed_catalog("version", "hall_wait_15m", date(2026, 11, 1)), encoding="utf-8"
    )
    assert build_state.project_fingerprint(project, with_catalog=False) == basis
    assert marts_fingerprint(home, project) != marts
    with (project / "seeds" / "cities.csv").open("a", encoding="utf-8") as cities:
        cities.write("\n")
    assert build_state.project_fingerprint(project, with_catalog=False) != basis


def test_seeds_are_loaded_again_unless_the_last_build_passed_with_this_project(
    tmp_path: Path,
) -> None:
    """An incremental build leaves the seeds out only when the last build passed with the
    project as it is: a failed or killed build may have loaded other seeds."""
    home = Home.resolve(tmp_path / "home")
    assert not seeds_loaded_by_last_build(home)  # never built
    fingerprint = marts_fingerprint(home)
    build_state.record(home, build_state.PUBLISHED, fingerprint=fingerprint)
    assert seeds_loaded_by_last_build(home)
    build_state.record(home, build_state.PASSED, fingerprint=fingerprint)
    assert seeds_loaded_by_last_build(home)
    build_state.record(home, build_state.PUBLISHED, fingerprint="another project")
    assert not seeds_loaded_by_last_build(home)
    for unfinished in (build_state.FAILED, build_state.BUILDING):
        build_state.record(home, unfinished, fingerprint=fingerprint)
        assert not seeds_loaded_by_last_build(home)
