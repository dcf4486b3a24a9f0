"""What ``kpiwatch ingest`` should report for a generated landing, from its manifest.

The generator's row count and ingest's differ for good reasons, and a reader comparing
the two outputs must be able to see them: a file missing a column is delivered (ingest
reads its rows and quarantines them all), a duplicate file is skipped without being read,
an unreadable file fails whole. ``expected`` turns the manifest into ingest's own terms
(files loaded, skipped, failed; rows read, loaded, quarantined), so ``kpiwatch generate``
can print the figures ``kpiwatch ingest`` will print.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Expected:
    """One source's files and rows as ingest will count them."""

    files: int = 0
    loaded_files: int = 0
    """original and missing-column files: read and recorded as loaded."""
    duplicate_files: int = 0
    duplicate_rows: int = 0
    """Rows in duplicate files: never read (the same bytes were loaded before)."""
    unreadable_files: int = 0
    original_rows: int = 0
    missing_column_rows: int = 0
    """Rows in files missing a required column: read, and every one quarantined."""
    invalid_rows: int = 0
    """Rows planted invalid (missing-column rows included): quarantined by ingest."""

    @property
    def rows_read(self) -> int:
        return self.original_rows + self.missing_column_rows

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.invalid_rows

    def add(self, other: Expected) -> Expected:
        return Expected(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


def expected(manifest: dict) -> dict[str, Expected]:
    """Per source, in the manifest's order: what ingest will load, skip, fail and read."""
    invalid = manifest["invalid_rows"]["by_kind"]
    found = {source: Expected() for source in manifest["truth"]["versions_and_keys"]}
    for f in manifest["files"]:
        e = found.setdefault(f["source"], Expected())
        e.files += 1
        rows = f["rows"] or 0
        delivery = f["delivery"]
        if delivery == "duplicate":
            e.duplicate_files += 1
            e.duplicate_rows += rows
        elif delivery == "unreadable":
            e.unreadable_files += 1
        else:
            e.loaded_files += 1
            if delivery == "missing_column":
                e.missing_column_rows += rows
            else:
                e.original_rows += rows
    for source, e in found.items():
        e.invalid_rows = sum(invalid.get(source, {}).values())
    return found


def total(per_source: dict[str, Expected]) -> Expected:
    whole = Expected()
    for e in per_source.values():
        whole = whole.add(e)
    return whole
