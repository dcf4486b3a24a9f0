"""Caller numbers never reach a warehouse in clear, however they are delivered.

One module-scoped fixture plants numbers every way we could think of beside a small
generated landing (so dbt has something to build), runs ``kpiwatch ingest`` as an operator
does and a dbt build with publication, then the tests look for every planted number in
every column of every table and view of both warehouses, and in the raw bytes of every
file under the home (DuckDB files, WAL, dbt's target and logs). DuckDB compresses strings,
so a byte scan of its files can miss one: the warehouses are also copied uncompressed and
those copies scanned, with a control that such a scan does find what is stored.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile_landing import ingest_cli, plant

from core.home import Home
from generator import generate
from kpiwatch.build import build

KEY = "caller-numbers-test-key"
QUEUED = "2026-10-02 10:00:00"
HEADER = "call_id,province_code,caller_number,queue,queued_at"


def number(i: int) -> str:
    return f"1995550{i:04d}"


def caller_hash(value: str) -> str:
    return hashlib.sha256(f"{KEY}|{value}".encode()).hexdigest()


def _parquet(columns: dict[str, pa.Array] | pa.Table) -> bytes:
    table = columns if isinstance(columns, pa.Table) else pa.table(columns)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _calls(n: int) -> dict[str, pa.Array]:
    return {
        "call_id": pa.array([f"PQ{n}"]),
        "province_code": pa.array(["440000"]),
        "queue": pa.array(["standard"]),
        "queued_at": pa.array([QUEUED]),
    }


def plantings() -> tuple[dict[str, bytes], dict[str, str]]:
    """(files by path, number -> how it was planted). Each way uses numbers of its own."""
    files: dict[str, bytes] = {}
    ways: dict[str, str] = {}

    def n(way: str) -> str:
        value = number(len(ways))
        ways[value] = way
        return value

    def row(call: str, caller: str, queue: str = "standard") -> str:
        return f"{call},440000,{caller},{queue},{QUEUED}"

    base = "hotline_calls/zz_hostile/"
    files[base + "plain.csv"] = f"{HEADER}\n{row('P1', n('plain csv'))}\n".encode()
    files[base + "spaced.csv"] = (
        f"call_id, province_code, caller_number, queue, queued_at\n"
        f"{row('P2', n('header with a space after each comma'))}\n"
        f"P3,440000, {n('value with spaces')} ,vip,{QUEUED}\n"
    ).encode()
    files[base + "mixed_case.csv"] = (
        f"call_id,province_code, Caller_Number ,queue,queued_at\n{row('P4', n('Caller_Number'))}\n"
    ).encode()
    files[base + "upper.csv.gz"] = gzip.compress(
        f"{HEADER.upper()}\n{row('P5', n('CALLER_NUMBER in gzip'))}\n".encode()
    )
    files[base + "bom.csv"] = (
        "\ufeffcaller_number,call_id,province_code,queue,queued_at\n"
        f"{n('first column after a BOM')},P6,440000,standard,{QUEUED}\n"
    ).encode()
    files[base + "gb18030.csv"] = (
        f"CALL_ID,PROVINCE_CODE,CALLER_NUMBER,QUEUE,QUEUED_AT,REMARK\n"
        f"P7,440000,{n('GB18030 file')},standard,{QUEUED},回电\n"
    ).encode("gb18030")
    files[base + "no_queue.csv"] = (
        f"call_id,province_code,caller_number,queued_at\n"
        f"P8,440000,{n('file missing a required column')},{QUEUED}\n"
    ).encode()
    files[base + "bad_enum.csv"] = (
        f"{HEADER},remark\n"
        f"{row('P9', n('quarantined row'), 'urgent')},call back {n('extra column, bad row')}\n"
        f"{row('P10', n('loaded row with extra column'))},call back {n('extra column, good row')}\n"
    ).encode()
    files[base + "number_header.csv"] = (
        f"{HEADER},{n('a header named by a number')}\n{row('P11', n('beside it'))},x\n"
    ).encode()
    files[base + "twice.csv"] = (
        f"{HEADER}, caller_number\n{row('P12', n('duplicate column, first'))},"
        f"{n('duplicate column, second')}\n"
    ).encode()
    files[base + "twice_exact.csv"] = (
        f"{HEADER},caller_number\n{row('P13', n('same name twice, first'))},"
        f"{n('same name twice, second')}\n"
    ).encode()

    def jsonl(name: str, *objects: dict) -> None:
        """One file per spelling: a file keeps its keys from line to line."""
        files[base + name] = "".join(json.dumps(x) + "\n" for x in objects).encode()

    def call(i: int, **fields: object) -> dict:
        return {"call_id": f"J{i}", "province_code": "440000", "queue": "standard",
                "queued_at": QUEUED, **fields}  # fmt: skip

    jsonl("json_number.jsonl", call(1, Caller_Number=int(n("JSON number"))))
    jsonl("json_object.jsonl", call(2, caller_number={"n": n("JSON object")}))
    jsonl("json_list.jsonl", call(3, caller_number=[n("JSON list")]))
    jsonl("json_bom_key.jsonl", call(4, **{"\ufeffcaller_number": n("key with a BOM")}))
    jsonl(
        "json_nested.jsonl",
        call(5, contact={"caller_number": n("nested under an unknown key")}),
        call(6, caller_number=n("JSON, bad row"), queue="nope"),
    )
    jsonl(
        "json_twins.jsonl",
        call(7, caller_number=n("JSON key twins, lower"), CALLER_NUMBER=n("JSON key twins, upper")),
    )
    files[base + "int64.parquet"] = _parquet(
        {**_calls(1), "caller_number": pa.array([int(n("Parquet int64"))], pa.int64())}
    )
    files[base + "binary.parquet"] = _parquet(
        {**_calls(2), "caller_number": pa.array([n("Parquet binary").encode()], pa.binary())}
    )
    files[base + "struct.parquet"] = _parquet(
        {**_calls(3), "caller_number": pa.array([{"n": n("Parquet struct")}])}
    )
    twins = _calls(4)
    files[base + "twins.parquet"] = _parquet(
        pa.Table.from_arrays(
            [*twins.values(), pa.array([n("Parquet twin, lower")]),
             pa.array([n("Parquet twin, upper")])],
            names=[*twins, "caller_number", "CALLER_NUMBER"],
        )
    )  # fmt: skip
    files[base + "malformed.csv"] = (
        f"{HEADER}\n{row('P14', n('row before a broken one'))}\n"
        f'P15,440000,"{n("unterminated quote")},standard,{QUEUED}\n'
    ).encode()
    truncated = n("truncated gzip")
    files[base + "truncated.csv.gz"] = gzip.compress(
        f"{HEADER}\n".encode()
        + "".join(f"{row(f'P16_{i}', truncated)}\n" for i in range(2000)).encode()
    )[:-40]
    # Rows dbt would otherwise trip over: a city that does not exist, a year far ahead.
    files["hall_tickets/zz_hostile/city.csv"] = (
        b"ticket_id,hall_id,hall_type,province_code,city_code,taken_at\n"
        b"X1,H1,own_hall,440000,449999,2026-10-02 10:00:00\n"
        b"X2,H1,own_hall,440000,440100,2999-10-02 10:00:00\n"
    )
    return files, ways


@dataclass
class Planted:
    home: Home
    ways: dict[str, str]
    ingest_code: int
    output: str


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    root = tmp_path_factory.mktemp("callers")
    landing = root / "landing"
    generate(landing, date(2026, 10, 1), 2, ["440000"], 0.002, 3)
    files, ways = plantings()
    for path in landing.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(n.encode() in content for n in ways), path  # numbers are ours
    for relative, content in files.items():
        plant(landing, relative, content)
    home = Home.resolve(root / "home")
    done = ingest_cli(home.root, landing, {"KPIWATCH_PII_KEY": KEY})
    build(home, quiet=True)  # raises if any dbt test failed: nothing would be published
    return Planted(home, ways, done.code, done.stdout + done.stderr)


def _relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select database_name, schema_name, table_name from duckdb_tables() where not internal "
        "union all select database_name, schema_name, view_name from duckdb_views() "
        "where not internal"
    ).fetchall()
    return [".".join(f'"{part}"' for part in row) for row in rows]


def _found_in_warehouse(path: Path, numbers: list[str]) -> dict[str, list[str]]:
    """Relation -> planted numbers found in any of its columns (all types, as text)."""
    pattern = "|".join(numbers)
    found = {}
    with duckdb.connect(str(path), read_only=True) as con:
        relations = _relations(con)
        assert relations
        for relation in relations:
            hits = con.execute(
                f"select distinct unnest(regexp_extract_all(r::varchar, '{pattern}')) "
                f"from {relation} as r where regexp_matches(r::varchar, '{pattern}')"
            ).fetchall()
            if hits:
                found[relation] = sorted(h for (h,) in hits)
    return found


def test_ingest_ran_cleanly_and_the_build_published(planted: Planted) -> None:
    assert "Traceback" not in planted.output
    assert planted.ingest_code in (0, 1), planted.output  # 1: the broken files failed
    assert planted.home.warehouse.exists()
    with duckdb.connect(str(planted.home.warehouse), read_only=True) as con:
        latest = con.execute("select max(period_month) from marts.kpi_compliance").fetchone()[0]
        assert latest < date(2027, 1, 1)  # the year-2999 ticket opened no period
        cities = con.execute(
            "select count(*) from marts.fct_hall_tickets where city_code = '449999'"
        ).fetchone()[0]
        assert cities == 0


def test_no_planted_number_in_any_column_of_either_warehouse(planted: Planted) -> None:
    numbers = list(planted.ways)
    for path in (planted.home.work, planted.home.warehouse):
        found = _found_in_warehouse(path, numbers)
        named = {r: [planted.ways[n] for n in hits] for r, hits in found.items()}
        assert not named, (path, named)


def test_planted_numbers_are_there_as_hashes(planted: Planted) -> None:
    """The scans above would pass on a warehouse that lost the rows: they did land,
    hashed (loaded rows in raw, the others in the quarantine record)."""
    with duckdb.connect(str(planted.home.work), read_only=True) as con:
        hashes = {h for (h,) in con.execute("select caller_hash from raw.hotline_calls").fetchall()}
        records = " ".join(
            r
            for (r,) in con.execute(
                "select record::varchar from audit.quarantine where record is not null"
            ).fetchall()
        )
    by_way = {way: n for n, way in planted.ways.items()}
    for way in ("plain csv", "header with a space after each comma", "Caller_Number",
                "CALLER_NUMBER in gzip", "first column after a BOM", "GB18030 file",
                "loaded row with extra column", "beside it", "JSON number", "key with a BOM",
                "Parquet int64"):  # fmt: skip
        assert caller_hash(by_way[way]) in hashes, way
    assert caller_hash(by_way["value with spaces"]) in hashes  # trimmed, then hashed
    with duckdb.connect(str(planted.home.work), read_only=True) as con:
        nested = con.execute(
            "select call_id, caller_hash is not null from raw.hotline_calls "
            "where call_id in ('J2', 'J3') order by 1"
        ).fetchall()
    assert nested == [("J2", True), ("J3", True)]  # an object or a list: hashed whole
    for way in ("file missing a required column", "quarantined row", "JSON, bad row",
                "duplicate column, first", "duplicate column, second",
                "same name twice, first", "same name twice, second",
                "Parquet twin, lower", "Parquet twin, upper"):  # fmt: skip
        assert caller_hash(by_way[way]) in records, way


def _copy_uncompressed(source: Path, target: Path) -> None:
    with duckdb.connect() as con:
        con.execute("set force_compression = 'uncompressed'")
        con.execute(f"attach '{source}' as s (read_only)")
        con.execute(f"attach '{target}' as c")
        con.execute("copy from database s to c")
        con.execute("checkpoint c")


def test_no_planted_number_in_any_file_under_the_home(planted: Planted, tmp_path: Path) -> None:
    home = planted.home
    for path in (home.work, home.warehouse):  # fold the WAL into the file first
        with duckdb.connect(str(path)) as con:
            con.execute("checkpoint")
    copies = []
    for i, path in enumerate((home.work, home.warehouse)):
        copies.append(tmp_path / f"plain{i}.duckdb")
        _copy_uncompressed(path, copies[-1])
    files = [p for p in home.root.rglob("*") if p.is_file()] + copies
    assert any(p.suffix == ".log" for p in files) and any("target" in p.parts for p in files)
    numbers = {n.encode(): way for n, way in planted.ways.items()}
    leaks = []
    for path in files:
        content = path.read_bytes()
        leaks += [(str(path), way) for n, way in numbers.items() if n in content]
    assert not leaks
    # Control: the uncompressed copy does show stored strings (here, a caller hash).
    stored = caller_hash(next(n for n, w in planted.ways.items() if w == "plain csv"))
    assert stored.encode() in copies[0].read_bytes()
