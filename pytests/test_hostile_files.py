"""Hostile landing files: one bad line costs one line, one bad file costs one file.

Every case plants one kind of bad file (or line) beside a good file, runs ``kpiwatch
ingest`` as an operator would (its own process, its own peak memory), and checks through
``hostile_landing.check``: no traceback, the documented exit code, each file's status and
reason, and rows read = loaded + quarantined against the case's own count. The good file
always loads whole.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from hostile_landing import (
    INGEST_OK,
    INGEST_SOME_FAILED,
    KPIWATCH,
    Expect,
    check,
    ingest_cli,
    plant,
    query,
)

from kpiwatch.exit_codes import EXIT_OK

MALFORMED = frozenset({"malformed_line"})
MISSING_COLUMN = frozenset({"missing_column"})
GB = 1024**3
MEMORY_LIMIT = "1GB"
MEMORY_MARGIN = 512 * 1024**2
"""Peak RSS allowed beyond KPIWATCH_MEMORY_LIMIT: the interpreter, DuckDB, pyarrow and
polars loaded, plus the loader's bounded reads (a few 4 MiB chunks)."""
HEADER = "ticket_id,hall_id,hall_type,province_code,city_code,business_type,taken_at,caller_number"


def hall_line(n: int, business: str = "话费缴纳") -> str:
    return f"T{n},H440100001,own_hall,440000,440100,{business},2026-10-01 09:00:00,1380013{n:04d}"


def hall_csv(rows: int, business: str = "话费缴纳", first: int = 1) -> str:
    lines = (hall_line(n, business) + "\n" for n in range(first, first + rows))
    return HEADER + "\n" + "".join(lines)


def hall_json(n: int) -> str:
    row = dict(zip(HEADER.split(","), hall_line(n).split(","), strict=True))
    return json.dumps(row, ensure_ascii=False)


GOOD_ROWS = 4


@dataclass(frozen=True)
class Case:
    plant: Callable[[Path, Path], dict[str, Expect]]
    """(landing, scratch outside the landing) -> what each bad file must become."""
    code: int
    memory: bool = False
    """Run with KPIWATCH_MEMORY_LIMIT=1GB and bound the peak RSS."""


def _bytes(relative: str, content: bytes, expect: Expect):
    def planted(landing: Path, _: Path) -> dict[str, Expect]:
        plant(landing, relative, content)
        return {relative: expect}

    return planted


def _failed(words: str | None) -> Expect:
    return Expect("failed", error=words)


def _gzip_bomb(landing: Path, _: Path) -> dict[str, Expect]:
    """A header, then 2 GiB of NUL bytes as one gzip member of ~2 MB.

    Deflating 2 GiB takes half a minute; after a full flush, deflate turns each further
    MiB of zeros into the same bytes, so those are repeated instead (the CRC is computed
    over the zeros all the same: the member is valid gzip to its end)."""
    path = landing / "hall_tickets" / "bomb.csv.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    zeros = bytes(1024 * 1024)
    header = (HEADER + "\n").encode()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(header)
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # gzip header, no name
        out.write(deflate.compress(header) + deflate.compress(zeros))
        out.write(deflate.flush(zlib.Z_FULL_FLUSH))
        block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
        assert block == deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
        out.write(block * 2046)
        out.write(deflate.compress(zeros) + deflate.flush())
        for _ in range(2048):
            crc = zlib.crc32(zeros, crc)
        size = len(header) + 2048 * len(zeros)
        out.write(struct.pack("<II", crc, size & 0xFFFFFFFF))
    assert path.stat().st_size < 4 * 1024 * 1024
    return {"hall_tickets/bomb.csv.gz": _failed("line 2 is longer than")}


def _oversize_line(landing: Path, _: Path) -> dict[str, Expect]:
    text = hall_csv(2) + hall_line(3, "x" * 3_000_000) + "\n" + hall_line(4) + "\n"
    plant(landing, "hall_tickets/long_line.csv", text.encode())
    return {"hall_tickets/long_line.csv": _failed("line 4 is longer than 1048576 bytes")}


def _truncated_gzip(landing: Path, _: Path) -> dict[str, Expect]:
    random.seed(3)
    text = hall_csv(2000, business="".join(random.choices("办理话费缴纳补换卡", k=40)))
    whole = gzip.compress(text.encode())
    plant(landing, "hall_tickets/cut.csv.gz", whole[: len(whole) // 2])
    return {"hall_tickets/cut.csv.gz": _failed("truncated gzip")}


def _empty_parquet_and_jsonl(landing: Path, _: Path) -> dict[str, Expect]:
    """Both are 0 bytes (the same content hash) but belong to different sources."""
    plant(landing, "hall_tickets/empty.jsonl", b"")
    plant(landing, "hotline_calls/empty.parquet", b"")
    return {
        "hall_tickets/empty.jsonl": Expect("loaded"),
        "hotline_calls/empty.parquet": _failed("empty file"),
    }


def _extra_field(landing: Path, _: Path) -> dict[str, Expect]:
    lines = hall_csv(5).splitlines()
    lines[3] += ",surplus"  # data record 3
    plant(landing, "hall_tickets/extra.csv", ("\n".join(lines) + "\n").encode())
    return {"hall_tickets/extra.csv": Expect("loaded", 5, 4, 1, MALFORMED)}


def _missing_field(landing: Path, _: Path) -> dict[str, Expect]:
    lines = hall_csv(5).splitlines()
    lines[2] = lines[2].rsplit(",", 2)[0]  # data record 2 lacks two fields
    plant(landing, "hall_tickets/short.csv", ("\n".join(lines) + "\n").encode())
    return {"hall_tickets/short.csv": Expect("loaded", 5, 4, 1, MALFORMED)}


def _unbalanced_quote(landing: Path, _: Path) -> dict[str, Expect]:
    text = hall_csv(4) + '"T5,H440100001,own_hall,440000,440100,x,2026-10-01 09:00:00,1\n'
    plant(landing, "hall_tickets/quote.csv", text.encode())
    return {"hall_tickets/quote.csv": Expect("loaded", 5, 4, 1, MALFORMED)}


def _jsonl_not_objects(landing: Path, _: Path) -> dict[str, Expect]:
    lines = ["this is not json", hall_json(1), "[1, 2, 3]", hall_json(2), '{"cut": ', hall_json(3)]
    plant(landing, "hall_tickets/lines.jsonl", ("\n".join(lines) + "\n").encode())
    return {"hall_tickets/lines.jsonl": Expect("loaded", 6, 3, 3, MALFORMED)}


def _binary_garbage(landing: Path, _: Path) -> dict[str, Expect]:
    noise = random.Random(11).randbytes(200_000)
    plant(landing, "hall_tickets/noise.csv", noise)
    return {"hall_tickets/noise.csv": _failed(None)}


def _mixed_encoding(landing: Path, _: Path) -> dict[str, Expect]:
    text = hall_csv(3, business="办理").encode("utf-8") + hall_line(4, "办理").encode("gb18030")
    plant(landing, "hall_tickets/mixed.csv", text + b"\n")
    return {"hall_tickets/mixed.csv": _failed("mixed encodings")}


def _pure_gb18030(landing: Path, _: Path) -> dict[str, Expect]:
    plant(landing, "hall_tickets/gb.csv", hall_csv(3, business="补(换)卡办理").encode("gb18030"))
    return {"hall_tickets/gb.csv": Expect("loaded", 3, 3)}


def _utf8_bom(landing: Path, _: Path) -> dict[str, Expect]:
    plant(landing, "hall_tickets/bom.csv", b"\xef\xbb\xbf" + hall_csv(3).encode())
    return {"hall_tickets/bom.csv": Expect("loaded", 3, 3)}


def _crlf(landing: Path, _: Path) -> dict[str, Expect]:
    plant(landing, "hall_tickets/crlf.csv", hall_csv(3).replace("\n", "\r\n").encode())
    return {"hall_tickets/crlf.csv": Expect("loaded", 3, 3)}


def _nul_byte(landing: Path, _: Path) -> dict[str, Expect]:
    lines = hall_csv(4).splitlines()
    lines[2] = lines[2].replace("own_hall", "own\0hall")
    plant(landing, "hall_tickets/nul.csv", ("\n".join(lines) + "\n").encode())
    return {"hall_tickets/nul.csv": Expect("loaded", 4, 3, 1, MALFORMED)}


def _symlink_file(landing: Path, outside: Path) -> dict[str, Expect]:
    secret = outside / "secret.csv"
    secret.write_text(hall_csv(2, business="SECRET-OUTSIDE"))
    link = landing / "hall_tickets" / "link.csv"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    return {"hall_tickets/link.csv": Expect("refused", error="outside the landing folder")}


def _symlink_folder(landing: Path, outside: Path) -> dict[str, Expect]:
    (outside / "day").mkdir()
    (outside / "day" / "secret.csv").write_text(hall_csv(2, business="SECRET-OUTSIDE"))
    (landing / "hall_tickets").mkdir(parents=True, exist_ok=True)
    (landing / "hall_tickets" / "2026-10-02").symlink_to(outside / "day")
    dotted = landing / "hotline_calls" / "up"
    dotted.parent.mkdir(parents=True, exist_ok=True)
    dotted.symlink_to(Path("..") / ".." / outside.name)  # a relative link climbing out
    return {
        "hall_tickets/2026-10-02": Expect("refused", error="outside the landing folder"),
        "hotline_calls/up": Expect("refused", error="outside the landing folder"),
    }


def _symlink_loops(landing: Path, _: Path) -> dict[str, Expect]:
    """Links that lead nowhere, in circles: never read, never recorded, and the run goes on
    (resolving one raised before)."""
    folder = landing / "hall_tickets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "self.csv").symlink_to("self.csv")
    (folder / "ping.csv").symlink_to("pong.csv")
    (folder / "pong.csv").symlink_to("ping.csv")
    (folder / "2026-10-03").symlink_to("2026-10-03")
    return {}


def _odd_names(landing: Path, _: Path) -> dict[str, Expect]:
    names = ['hall_tickets/it\'s "odd" 名字 a.csv', "hall_tickets/..x..; drop table t.csv"]
    for i, name in enumerate(names):
        plant(landing, name, hall_csv(2, first=10 * (i + 1)).encode())
    return {name: Expect("loaded", 2, 2) for name in names}


def _two_sources(landing: Path, _: Path) -> dict[str, Expect]:
    """The same bytes delivered to two sources are two deliveries, not a duplicate: the
    hotline copy lacks its required columns, so all its rows are quarantined."""
    content = hall_csv(3, first=50).encode()
    plant(landing, "hall_tickets/same.csv", content)
    plant(landing, "hotline_calls/same.csv", content)
    return {
        "hall_tickets/same.csv": Expect("loaded", 3, 3),
        "hotline_calls/same.csv": Expect("loaded", 3, 0, 3, MISSING_COLUMN),
    }


def _gb18030_with_a_bad_line(landing: Path, _: Path) -> dict[str, Expect]:
    """The line-by-line reading works on the transcoded copy too."""
    lines = hall_csv(4, business="补(换)卡").splitlines()
    lines[4] += ",多余"
    plant(landing, "hall_tickets/gb_bad.csv", ("\n".join(lines) + "\n").encode("gb18030"))
    return {"hall_tickets/gb_bad.csv": Expect("loaded", 4, 3, 1, MALFORMED)}


def _jsonl_gz_bad_line(landing: Path, _: Path) -> dict[str, Expect]:
    lines = [hall_json(1), hall_json(2), "{not json", hall_json(4)]
    content = gzip.compress(("\n".join(lines) + "\n").encode())
    plant(landing, "hall_tickets/lines.jsonl.gz", content)
    return {"hall_tickets/lines.jsonl.gz": Expect("loaded", 4, 3, 1, MALFORMED)}


CASES: dict[str, Case] = {
    "oversize_header_field": Case(
        _bytes(
            "hall_tickets/wide_header.csv",
            ("x" * 200_000 + "," + HEADER + "\n" + hall_line(1) + "\n").encode(),
            _failed("header line is longer than 65536 bytes"),
        ),
        INGEST_SOME_FAILED,
        memory=True,
    ),
    "oversize_data_line": Case(_oversize_line, INGEST_SOME_FAILED, memory=True),
    "gzip_bomb": Case(_gzip_bomb, INGEST_SOME_FAILED, memory=True),
    "truncated_gzip": Case(_truncated_gzip, INGEST_SOME_FAILED),
    "not_gzip": Case(
        _bytes("hall_tickets/plain.csv.gz", hall_csv(2).encode(), _failed("not gzip data")),
        INGEST_SOME_FAILED,
    ),
    "not_parquet": Case(
        _bytes("hall_tickets/fake.parquet", hall_csv(2).encode(), _failed("not a Parquet file")),
        INGEST_SOME_FAILED,
    ),
    "empty_csv": Case(
        _bytes("hall_tickets/empty.csv", b"", _failed("empty file")), INGEST_SOME_FAILED
    ),
    "header_only_csv": Case(
        _bytes("hall_tickets/header.csv", (HEADER + "\n").encode(), Expect("loaded")), INGEST_OK
    ),
    "empty_parquet_and_jsonl_of_two_sources": Case(_empty_parquet_and_jsonl, INGEST_SOME_FAILED),
    "duplicate_header_columns": Case(
        # Which of the two columns is meant is unknown: every record is kept, quarantined.
        _bytes(
            "hall_tickets/twice.csv",
            hall_csv(2).replace("hall_id,", "TICKET_ID,", 1).encode(),
            Expect("loaded", 2, 0, 2, frozenset({"duplicate_column", "missing_column"})),
        ),
        INGEST_OK,
    ),
    "extra_field_in_one_line": Case(_extra_field, INGEST_OK),
    "missing_fields_in_one_line": Case(_missing_field, INGEST_OK),
    "unbalanced_quote_in_one_line": Case(_unbalanced_quote, INGEST_OK),
    "jsonl_lines_not_json_objects": Case(_jsonl_not_objects, INGEST_OK),
    "binary_garbage": Case(_binary_garbage, INGEST_SOME_FAILED),
    "nameless_header_column": Case(
        _bytes(
            "hall_tickets/nameless.csv",
            hall_csv(2).replace(",caller_number", ",").encode(),
            _failed("column 8 of the header has no name"),
        ),
        INGEST_SOME_FAILED,
    ),
    "gb18030_with_a_malformed_line": Case(_gb18030_with_a_bad_line, INGEST_OK),
    "jsonl_gz_with_a_malformed_line": Case(_jsonl_gz_bad_line, INGEST_OK),
    "utf8_with_one_gb18030_row": Case(_mixed_encoding, INGEST_SOME_FAILED),
    "pure_gb18030": Case(_pure_gb18030, INGEST_OK),
    "utf8_with_bom": Case(_utf8_bom, INGEST_OK),
    "crlf_line_endings": Case(_crlf, INGEST_OK),
    "nul_byte_in_a_line": Case(_nul_byte, INGEST_OK),
    "symlink_to_a_file_outside": Case(_symlink_file, INGEST_SOME_FAILED),
    "symlinked_folders_outside": Case(_symlink_folder, INGEST_SOME_FAILED),
    "symlink_loops": Case(_symlink_loops, INGEST_OK),
    "odd_names_quotes_dots_chinese": Case(_odd_names, INGEST_OK),
    "same_content_in_two_sources": Case(_two_sources, INGEST_OK),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_costs_itself_only(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    landing, outside, home = tmp_path / "landing", tmp_path / "outside", tmp_path / "home"
    outside.mkdir()
    expected = case.plant(landing, outside)
    good = "hall_tickets/0000_good.csv"
    plant(landing, good, hall_csv(GOOD_ROWS, first=900).encode())
    expected[good] = Expect("loaded", GOOD_ROWS, GOOD_ROWS)
    env = {"KPIWATCH_MEMORY_LIMIT": MEMORY_LIMIT} if case.memory else None
    done = ingest_cli(home, landing, env)
    check(done, home, expected, case.code)
    if case.memory:
        assert done.peak_rss < GB + MEMORY_MARGIN, done.peak_rss
    # What a failed file says is ours: no line of its content, no caller number.
    for row in done.files.values():
        assert "1380013" not in (row["error"] or ""), row
        assert "Original Line" not in (row["error"] or ""), row
    for text in (done.stdout, done.stderr):
        assert "1380013" not in text and "SECRET-OUTSIDE" not in text
    everything = str(query(home, "select * from audit.quarantine"))
    everything += str(query(home, "select * from raw.hall_tickets"))
    assert "SECRET-OUTSIDE" not in everything  # nothing outside the landing was read
    # A rerun changes nothing: every file is recognised, refused ones too.
    again = ingest_cli(home, landing, env)
    assert "Traceback" not in again.stderr
    assert again.files == done.files


def test_malformed_lines_keep_every_row_number_and_leak_nothing(tmp_path: Path) -> None:
    """The quarantined lines carry their line number and no content; the good rows after
    them keep their own position in the file."""
    landing, home = tmp_path / "landing", tmp_path / "home"
    lines = hall_csv(8).splitlines()
    lines[2] += ",surplus"  # record 2
    lines[3] += ",surplus"  # record 3
    lines[6] = lines[6].rsplit(",", 3)[0]  # record 6
    plant(landing, "hall_tickets/a.csv", ("\n".join(lines) + "\n").encode())
    bad_json = [hall_json(1), "nope", hall_json(3)]
    plant(landing, "hall_tickets/b.jsonl", ("\n".join(bad_json) + "\n").encode())
    done = ingest_cli(home, landing)
    check(
        done,
        home,
        {
            "hall_tickets/a.csv": Expect("loaded", 8, 5, 3, MALFORMED),
            "hall_tickets/b.jsonl": Expect("loaded", 3, 2, 1, MALFORMED),
        },
        INGEST_OK,
    )
    rows = query(
        home,
        "select path, row_number, messages, record from audit.quarantine order by path, 2",
    )
    assert [(p, n) for p, n, _, _ in rows] == [
        ("hall_tickets/a.csv", 2),
        ("hall_tickets/a.csv", 3),
        ("hall_tickets/a.csv", 6),
        ("hall_tickets/b.jsonl", 2),
    ]
    assert rows[0][2] == ["line 3: more fields than the header has columns"]
    assert rows[2][2] == ["line 7: fewer fields than the header has columns"]
    assert rows[3][2] == ["line 2: is not valid JSON"]
    assert all(record is None for *_, record in rows)
    assert "1380013" not in str(rows)
    numbered = query(
        home,
        "select r.ticket_id, r.source_row_number from raw.hall_tickets r "
        "join audit.ingest_files f on f.file_id = r.ingest_file_id "
        "where f.path = 'hall_tickets/a.csv' order by 2",
    )
    assert numbered == [("T1", 1), ("T4", 4), ("T5", 5), ("T7", 7), ("T8", 8)]


def test_gb18030_and_mixed_files_never_garble(tmp_path: Path) -> None:
    landing, home = tmp_path / "landing", tmp_path / "home"
    plant(landing, "hall_tickets/gb.csv", hall_csv(3, business="办理").encode("gb18030"))
    plant(
        landing,
        "hall_tickets/gb.csv.gz",
        gzip.compress(hall_csv(2, business="开/关国际漫游", first=20).encode("gb18030")),
    )
    _mixed_encoding(landing, tmp_path)
    done = ingest_cli(home, landing)
    assert done.code == INGEST_SOME_FAILED
    assert done.files["hall_tickets/mixed.csv"]["status"] == "failed"
    values = query(home, "select distinct business_type from raw.hall_tickets order by 1")
    assert values == [("办理",), ("开/关国际漫游",)]
    both = ("hall_tickets/gb.csv", "hall_tickets/gb.csv.gz")
    assert {done.files[p]["encoding"] for p in both} == {"gb18030"}


def test_kpiwatch_run_survives_an_unreadable_file(tmp_path: Path) -> None:
    """``kpiwatch run`` over a landing with an oversize header: the file is failed, the
    good one loads, the run ends with its normal exit code and no traceback."""
    landing, home = tmp_path / "landing", tmp_path / "home"
    plant(landing, "hall_tickets/wide_header.csv", ("x" * 200_000 + "," + HEADER + "\n").encode())
    pl.DataFrame(
        {"ticket_id": ["R1"], "hall_id": ["H440100001"], "hall_type": ["own_hall"],
         "province_code": ["440000"], "city_code": ["440100"],
         "taken_at": ["2026-10-01 09:00:00"]}
    ).write_csv(landing / "hall_tickets" / "good.csv")  # fmt: skip
    done = subprocess.run(
        [KPIWATCH, "--home", str(home), "run", str(landing), "--no-send"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode == EXIT_OK, (done.returncode, done.stderr[-3000:])
    statuses = dict(query(home, "select path, status from audit.ingest_files"))
    assert statuses == {"hall_tickets/wide_header.csv": "failed", "hall_tickets/good.csv": "loaded"}


def test_unread_entries_load_once_they_are_fixed(tmp_path: Path, monkeypatch) -> None:
    """A refused link, or a file the system will not let us read, is recorded unread (no
    content hash); once replaced by a readable file in the landing, the next run loads it."""
    import ingest.loader as loader
    from core.home import Home
    from ingest.landing_file import inspect

    landing, outside, home = tmp_path / "landing", tmp_path / "outside", tmp_path / "home"
    outside.mkdir()
    _symlink_file(landing, outside)
    plant(landing, "hall_tickets/locked.csv", hall_csv(2, first=70).encode())

    def no_permission(file):
        if file.relative == "hall_tickets/locked.csv":
            raise PermissionError(13, "Permission denied")
        return inspect(file)

    monkeypatch.setattr(loader, "inspect", no_permission)
    first = loader.ingest(Home.resolve(home), landing)
    outcomes = {o.file.relative: o for o in first.outcomes}
    assert {path: o.status for path, o in outcomes.items()} == {
        "hall_tickets/link.csv": "refused",
        "hall_tickets/locked.csv": "failed",
    }
    assert "outside the landing folder" in (outcomes["hall_tickets/link.csv"].error or "")
    assert outcomes["hall_tickets/locked.csv"].error == "cannot be read (Permission denied)"
    assert not first.ok
    monkeypatch.setattr(loader, "inspect", inspect)
    (landing / "hall_tickets" / "link.csv").unlink()
    plant(landing, "hall_tickets/link.csv", hall_csv(3, first=80).encode())
    done = ingest_cli(home, landing)
    assert done.code == INGEST_OK, done.stderr
    rows = query(
        home,
        "select path, status, content_hash <> '' from audit.ingest_files order by file_id",
    )
    assert rows == [
        ("hall_tickets/link.csv", "refused", False),
        ("hall_tickets/locked.csv", "failed", False),
        ("hall_tickets/link.csv", "loaded", True),
        ("hall_tickets/locked.csv", "loaded", True),
    ]


def test_line_lengths_are_measured_exactly_whatever_the_pieces() -> None:
    """The inspection finds the first line over the limit, and its number, however the
    stream is cut into pieces (it measures windows, not every line)."""
    import ingest.landing_file as landing_file

    class Small(landing_file._TextScan):
        WINDOW = 5

        def _limit(self, line: int) -> int:
            return 10

    rng = random.Random(1)
    for _ in range(5000):
        lengths = [rng.choice([0, 1, 5, 9, 10, 11, 12, 25]) for _ in range(rng.randint(1, 8))]
        data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if rng.random() < 0.5 else b"")
        first = next((i for i, n in enumerate(lengths, start=1) if n > 10), None)
        scan, found, at = Small(header=False), None, 0
        try:
            while at < len(data):
                step = rng.randint(1, 30)
                scan.feed(data[at : at + step])
                at += step
            scan.finish()
        except landing_file.Unreadable as exc:
            found = exc
        if first is None:
            assert found is None, (lengths, found)
        else:
            assert str(found).startswith(f"line {first} is longer"), (lengths, found)
