"""Damage a generated landing the way real deliveries go wrong, for the checks' tests.

- a province stops sending: its files of the last three business days are removed;
- a partial export: one day of one province's hall tickets keeps half its records;
- a clock fault ingest cannot see: one hall ticket is called 30 days after it was taken
  (valid row by row, implausible as a queue).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq

PROVINCES = ["110000", "440000", "540000"]
SILENT = "540000"
SILENT_FROM = "2026-10-29"
THINNED = ("hall_tickets", "440000", "2026-10-27")
SLOW = ("hall_tickets", "110000", "2026-10-12")


def thin(path: Path, keep: float = 0.5) -> int:
    """Keep the first share of a file's records, in its own format; return records kept."""
    if path.name.endswith(".parquet"):
        table = pq.read_table(path)
        kept = table.slice(0, int(table.num_rows * keep))
        pq.write_table(kept, path)
        return kept.num_rows
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    header = 0 if ".jsonl" in path.name or ".ndjson" in path.name else 1
    records = lines[header:]
    kept_records = records[: int(len(records) * keep)]
    with opener(path, "wb") as handle:
        handle.write(b"".join(lines[:header] + kept_records))
    return len(kept_records)


def plant_slow_ticket(path: Path) -> None:
    """The first served ticket of a JSON Lines file is called 30 days after it was taken."""
    lines = path.read_bytes().decode("utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        keys = {k.lower(): k for k in record}
        if record.get(keys.get("called_at")) and record.get(keys.get("finished_at")):
            record[keys["called_at"]] = "2026-11-12 10:00:00"
            record[keys["finished_at"]] = "2026-11-12 10:05:00"
            lines[i] = json.dumps(record, ensure_ascii=False)
            path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
            return
    raise AssertionError(f"no served ticket in {path}")


def damage(landing: Path, manifest: dict) -> dict[str, object]:
    """Plant the three faults; return where they are."""
    planted: dict[str, object] = {"removed": 0}
    for f in manifest["files"]:
        path = landing / f["path"]
        key = (f["source"], f["province_code"], f["business_date"])
        if f["province_code"] == SILENT and f["business_date"] >= SILENT_FROM:
            path.unlink()
            planted["removed"] = int(planted["removed"]) + 1  # type: ignore[call-overload]
        elif key == THINNED and f["delivery"] in ("original", "duplicate"):
            planted["thinned_rows"] = (f["rows"], thin(path))
        elif key == SLOW and f["delivery"] == "original":
            assert f["format"] == "jsonl" and f["compression"] is None, f
            plant_slow_ticket(path)
            planted["slow"] = f["path"]
    return planted
