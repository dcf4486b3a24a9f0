"""Run the suites on the batches loaded since the last validated one; build Data Docs.

Great Expectations keeps its project under ``<home>/quality/gx`` (a file data context:
suites, validation results) and writes Data Docs, a static site, to
``<home>/quality/data_docs/``; nothing goes into the repository. Usage statistics are off
and nothing is downloaded at run time, not even by the pages: their CDN stylesheets and
scripts are replaced by vendored copies (``data_docs_offline``).

Memory stays bounded whatever the volume: rows are read from DuckDB as pandas frames of at
most ``chunk_rows`` rows, whole files together when they are small, one file in row ranges
when it is big, and each frame is dropped once validated. Results are summed per source and
expectation, so ``audit.dq_results`` gets one row per check, not per chunk.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from core.audit.dq_results import CheckResult
from core.config.quality import QualitySettings
from core.contract import SOURCES
from core.home import Home
from quality.data_docs_offline import make_offline

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

DATASOURCE = "kpiwatch"
SITE = "kpiwatch"
SAMPLE = 10


def project_dir(home: Home) -> Path:
    return home.root / "quality"


def docs_dir(home: Home) -> Path:
    return project_dir(home) / "data_docs"


@dataclass
class _Tally:
    """One expectation's outcome summed over a run's batches."""

    label: str
    en: str
    zh: str
    severity: str
    checked: int = 0
    unexpected: int = 0
    failed: bool = False
    errors: list[str] = field(default_factory=list)
    observed: Any = None
    sample: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    file_ids: tuple[int, ...]
    rows: tuple[int, int] | None
    """A range of source_row_number within one big file; None = the whole files."""


def plan_chunks(files: list[tuple[int, int, int]], chunk_rows: int) -> Iterator[Chunk]:
    """Group (file_id, rows_loaded, rows_read) into batches of at most ``chunk_rows`` rows."""
    batch: list[int] = []
    size = 0
    for file_id, loaded, read in files:
        if loaded > chunk_rows:
            if batch:
                yield Chunk(tuple(batch), None)
                batch, size = [], 0
            for start in range(1, read + 1, chunk_rows):
                yield Chunk((file_id,), (start, start + chunk_rows - 1))
            continue
        if batch and size + loaded > chunk_rows:
            yield Chunk(tuple(batch), None)
            batch, size = [], 0
        batch.append(file_id)
        size += loaded
    if batch:
        yield Chunk(tuple(batch), None)


def _among(column: str, ids: tuple[int, ...]) -> str:
    listed = ", ".join(str(i) for i in ids)
    return f"({column} between {min(ids)} and {max(ids)} and {column} in ({listed}))"


class Validation:
    """The GX project of one home; one instance per run (it is not cheap to open)."""

    def __init__(self, home: Home, settings: QualitySettings) -> None:
        from quality.gx_import import great_expectations

        gx = great_expectations()  # 5 s to import: only when there is work
        from quality.suites import files_suite, rows_suite

        self.home = home
        self.settings = settings
        self.context = gx.get_context(mode="file", project_root_dir=str(project_dir(home)))
        self._configure()
        suites = [
            s for name in SOURCES for s in (rows_suite(name, settings), files_suite(name, settings))
        ]
        # Saving suites, assets and definitions rewrites GX's YAML and JSON files one by one
        # (seconds): only when the suites changed (contract, settings or GX version).
        fingerprint = hashlib.sha256(
            json.dumps(
                [gx.__version__, str(docs_dir(home))] + [s.to_json_dict() for s in suites],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        stamp = project_dir(home) / "gx" / "kpiwatch-suites.sha256"
        self.definitions: dict[str, Any] = {}
        if stamp.exists() and stamp.read_text() == fingerprint:
            for suite in suites:
                self.definitions[suite.name] = self.context.validation_definitions.get(suite.name)
            return
        source = self.context.data_sources.add_or_update_pandas(DATASOURCE)
        for suite in suites:
            asset = next((a for a in source.assets if a.name == suite.name), None)
            if asset is None:
                asset = source.add_dataframe_asset(suite.name)
            batch = next((b for b in asset.batch_definitions if b.name == "new"), None)
            if batch is None:
                batch = asset.add_batch_definition_whole_dataframe("new")
            saved = self.context.suites.add_or_update(suite)
            self.definitions[suite.name] = self.context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=saved)
            )
        stamp.write_text(fingerprint)

    def _configure(self) -> None:
        """Usage statistics off, no progress bars, one Data Docs site under the home."""
        from great_expectations.data_context.types.base import ProgressBarsConfig

        variables = self.context.variables
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir(self.home)),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        changed = False
        if variables.data_docs_sites != {SITE: site}:
            variables.data_docs_sites = {SITE: site}
            changed = True
        if variables.analytics_enabled is not False:
            variables.analytics_enabled = False
            changed = True
        bars = variables.progress_bars
        if isinstance(bars, dict):
            bars = ProgressBarsConfig(**bars)
        if not bars or bars.globally is not False:
            variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            changed = True
        if changed:
            variables.save()
            # The context reads its sites when it is created: reopen it with the new ones.
            import great_expectations as gx

            self.context = gx.get_context(mode="file", project_root_dir=str(project_dir(self.home)))

    # ------------------------------------------------------------------ validation

    def _run(self, suite: str, frame: Any, run_name: str, index: tuple[str, ...]) -> Any:
        from great_expectations.core.run_identifier import RunIdentifier

        with warnings.catch_warnings():
            # GX compares time-zone-aware columns through Series.values, which pandas 3
            # deprecates; the comparison itself is right (both sides are instants).
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            return self.definitions[suite].run(
                batch_parameters={"dataframe": frame},
                result_format={
                    "result_format": "SUMMARY",
                    "unexpected_index_column_names": list(index),
                    "partial_unexpected_count": SAMPLE,
                },
                run_id=RunIdentifier(run_name=run_name, run_time=datetime.now(UTC)),
            )

    @staticmethod
    def _tally(tallies: dict[str, _Tally], result: Any, paths: dict[int, str]) -> None:
        for outcome in result.results:
            config = outcome.expectation_config
            meta = config.meta or {}
            label = meta.get("check", config.type)
            severity = str(getattr(config.severity, "value", config.severity) or "critical")
            tally = tallies.setdefault(
                label, _Tally(label, meta.get("en", label), meta.get("zh", label), severity)
            )
            info = outcome.result or {}
            raised = (outcome.exception_info or {}).get("raised_exception")
            if raised:
                tally.failed = True
                message = (outcome.exception_info or {}).get("exception_message") or "error"
                tally.errors.append(str(message).splitlines()[0][:300])
                continue
            tally.failed |= not outcome.success
            tally.checked += int(info.get("element_count") or 0)
            tally.unexpected += int(info.get("unexpected_count") or 0)
            if "observed_value" in info and tally.observed is None:
                tally.observed = info["observed_value"]
            for row in info.get("partial_unexpected_index_list") or []:
                if len(tally.sample) >= SAMPLE:
                    break
                row = dict(row)
                file_id = row.pop("ingest_file_id", None) or row.pop("file_id", None)
                entry: dict[str, Any] = {"file": paths.get(int(file_id), file_id)}
                if "source_row_number" in row:
                    entry["row"] = row.pop("source_row_number")
                entry.update({k: str(v) for k, v in row.items()})
                tally.sample.append(entry)

    def validate(
        self, con: duckdb.DuckDBPyConnection, run_id: str, since: int, through: int
    ) -> tuple[list[CheckResult], dict[str, float]]:
        """Validate every file with ``since < file_id <= through``; (results, seconds per step)."""
        from quality.suites import FILES_QUERY, rows_query

        results: list[CheckResult] = []
        seconds = {"read": 0.0, "validate": 0.0}
        for source in SOURCES:
            files = con.execute(FILES_QUERY, [source, since, through]).df()
            if files.empty:
                continue
            paths = dict(zip(files["file_id"].astype(int), files["path"], strict=True))
            tallies: dict[str, _Tally] = {}
            began = time.perf_counter()
            self._tally(tallies, self._run(f"{source}.files", files, run_id, ("file_id",)), paths)
            seconds["validate"] += time.perf_counter() - began
            loaded = files[(files["status"] == "loaded") & (files["rows_loaded"] > 0)]
            triples = [
                (int(i), int(n), int(r))
                for i, n, r in zip(
                    loaded["file_id"], loaded["rows_loaded"], loaded["rows_read"], strict=True
                )
            ]
            query = rows_query(source)
            batches = 0
            for chunk in plan_chunks(triples, self.settings.chunk_rows):
                began = time.perf_counter()
                rows = "true"
                if chunk.rows:
                    rows = f"r.source_row_number between {chunk.rows[0]} and {chunk.rows[1]}"
                frame = con.execute(
                    query.format(files=_among("r.ingest_file_id", chunk.file_ids), rows=rows)
                ).df()
                seconds["read"] += time.perf_counter() - began
                if frame.empty:
                    continue
                began = time.perf_counter()
                self._tally(
                    tallies,
                    self._run(
                        f"{source}.rows", frame, run_id, ("ingest_file_id", "source_row_number")
                    ),
                    paths,
                )
                seconds["validate"] += time.perf_counter() - began
                batches += 1
                del frame
            results += self._results(source, tallies, run_id, files, batches)
        return results, seconds

    @staticmethod
    def _results(
        source: str, tallies: dict[str, _Tally], run_id: str, files: Any, batches: int
    ) -> list[CheckResult]:
        out = []
        first, last = int(files["file_id"].min()), int(files["file_id"].max())
        for tally in tallies.values():
            status = "pass"
            if tally.failed:
                status = "warn" if tally.severity == "warning" else "fail"
            unit = "files" if tally.label.startswith("file:") else "rows"
            details: dict[str, Any] = {
                "checked": tally.checked,
                "unexpected": tally.unexpected,
                "unit": unit,
                "file_ids": [first, last],
                "batches": batches,
                "sample": tally.sample,
            }
            if tally.errors:
                details["errors"] = tally.errors
            if tally.observed is not None:
                details["observed"] = tally.observed
            example = ""
            if tally.sample:
                s = tally.sample[0]
                example = f" (e.g. {s['file']}" + (f" row {s['row']}" if "row" in s else "") + ")"
            if tally.errors:
                what_en = f"could not check '{tally.en}': {tally.errors[0]}"
                what_zh = f"无法检查「{tally.zh}」:{tally.errors[0]}"
            else:
                what_en = f"{tally.unexpected:,} of {tally.checked:,} new {unit} break '{tally.en}'"
                noun = "个文件" if unit == "files" else "行"
                what_zh = (
                    f"新到 {tally.checked:,} {noun}中 {tally.unexpected:,} 不满足「{tally.zh}」"
                )
            out.append(
                CheckResult(
                    check_name=f"gx:{tally.label}",
                    subject=f"gx:{source}:{tally.label}:{run_id}",
                    status=status,  # type: ignore[arg-type]
                    source=source,
                    observed=float(tally.unexpected),
                    expected=tally.en,
                    details=details,
                    lifecycle="event",
                    summary_en=f"{source}: {what_en}{example}",
                    summary_zh=f"{source}:{what_zh}{example}",
                )
            )
        return out

    # ------------------------------------------------------------------ data docs

    def build_docs(self, now: datetime | None = None) -> Path:
        """Prune results older than ``docs_keep_days``, then rebuild the static site."""
        store = self.context.validation_results_store
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.settings.docs_keep_days)
        for key in store.list_keys():
            run_time = key.run_id.run_time
            if run_time is not None and run_time.tzinfo is None:
                run_time = run_time.replace(tzinfo=UTC)
            if run_time is not None and run_time < cutoff:
                store.remove_key(key)
        site = docs_dir(self.home)
        shutil.rmtree(site / "validations", ignore_errors=True)  # pages of pruned results
        self.context.build_data_docs(site_names=[SITE])
        make_offline(site)  # styled without the CDNs GX links (quality/data_docs_offline.py)
        return site / "index.html"
