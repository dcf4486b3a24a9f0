"""The one command-line entry point: ``kpiwatch <command>``."""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from core.contract import PROVINCE_CODES, SOURCES
from core.home import Home, HomeError
from kpiwatch.messages import plain, say

app = typer.Typer(
    help="Prove, province by province, whether the operator keeps its service standard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(stderr=True)

HomeOption = Annotated[
    str | None,
    typer.Option("--home", envvar="KPIWATCH_HOME", help="Folder for everything kpiwatch writes."),
]


@app.callback()
def main(ctx: typer.Context, home: HomeOption = None) -> None:
    ctx.obj = Home.resolve(home)


def _fail(message: str) -> typer.Exit:
    say(console, message, "error:", "bold red")
    return typer.Exit(2)


EXIT_BUSY = 75
"""Another process writes the working warehouse (EX_TEMPFAIL: nothing was done, try later);
the same code for every command that writes (ingest, build, run, docs, lake export)."""


def _busy(exc: Exception) -> typer.Exit:
    console.print(f"busy: {exc}", soft_wrap=True, markup=False, highlight=False)
    return typer.Exit(EXIT_BUSY)


def _provinces(value: str) -> list[str]:
    if value.strip().lower() == "all":
        return list(PROVINCE_CODES)
    codes = [c.strip() for c in value.split(",") if c.strip()]
    unknown = [c for c in codes if c not in PROVINCE_CODES]
    if unknown:
        raise typer.BadParameter(
            f"not mainland province codes: {', '.join(unknown)} (GB/T 2260, e.g. 110000,440000)"
        )
    return codes


@app.command()
def generate(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Landing folder to write (default: <home>/landing).")
    ] = None,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First day, Asia/Shanghai.")
    ] = datetime(2026, 10, 1),
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 31,
    provinces: Annotated[
        str, typer.Option(help="Comma-separated GB/T 2260 codes, or 'all'.")
    ] = "all",
    scale: Annotated[
        float, typer.Option(min=0.0001, help="1.0 = one national operator's volumes.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 7,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes to generate with (default: the number of cores). "
            "The output is the same bytes for a seed at any number.",
        ),
    ] = None,
) -> None:
    """Write realistic landing files (and a manifest of what was planted) for testing."""
    from generator import MANIFEST
    from generator import generate as run

    home: Home = ctx.obj
    try:
        target = out or home.ensure().landing
    except HomeError as exc:
        raise _fail(str(exc)) from exc
    codes = _provinces(provinces)
    first: date = start.date()
    began = time.perf_counter()
    with Progress(
        TextColumn("[bold]generate[/] {task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(label: str, step: int, total: int) -> None:
            bar.update(task, description=label, completed=step - 1, total=total)

        manifest = run(target, first, days, codes, scale, seed, progress, workers)
    seconds = time.perf_counter() - began
    _summary(manifest, target, seconds)
    say(console, f"manifest: {target / MANIFEST}")


def _summary(manifest: dict, target: Path, seconds: float) -> None:
    """What was written, in the terms ``kpiwatch ingest`` will report, so the two reconcile:
    the rows column is the rows ingest will read (a file missing a column is read, and its
    rows quarantined; a duplicate file is skipped unread; an unreadable file fails)."""
    from generator.expected import expected, total

    files = manifest["files"]
    per_source = expected(manifest)
    whole = total(per_source)
    table = Table(title=plain(f"landing written to {target}"))
    for col in ("source", "files", "rows to read", "invalid rows"):
        table.add_column(col, justify="right" if col != "source" else "left")
    for source, e in per_source.items():
        table.add_row(source, f"{e.files:,}", f"{e.rows_read:,}", f"{e.invalid_rows:,}")
    table.add_section()
    table.add_row("all", f"{whole.files:,}", f"{whole.rows_read:,}", f"{whole.invalid_rows:,}")
    console.print(table)
    late = sum(1 for f in files if f["late_days"])
    rows = whole.original_rows
    console.print(
        f"{whole.files:,} files ({whole.loaded_files - _missing(files):,} original, "
        f"{_missing(files)} missing a column, {whole.duplicate_files} duplicate, "
        f"{whole.unreadable_files} unreadable; {late} late); "
        f"{rows:,} rows in the original files, in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
        f"{len(manifest['incidents'])} incidents planted, "
        f"{len(manifest['expected_breaches'])} breaches expected."
    )
    console.print(
        f"kpiwatch ingest will read {whole.rows_read:,} rows ({rows:,} + "
        f"{whole.missing_column_rows:,} in files missing a column), load "
        f"{whole.rows_loaded:,} and quarantine {whole.invalid_rows:,}; it skips the "
        f"{whole.duplicate_files} duplicate files unread ({whole.duplicate_rows:,} rows) "
        f"and fails the {whole.unreadable_files} unreadable ones."
    )


def _missing(files: list[dict]) -> int:
    return sum(1 for f in files if f["delivery"] == "missing_column")


@app.command()
def build(
    ctx: typer.Context,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb: build and publish the embedded warehouse. spark: build the same "
            "models on a local Spark from the lake (KPIWATCH_LAKE, else <home>/lake).",
        ),
    ] = "duckdb",
    unit_tests: Annotated[
        bool,
        typer.Option(
            "--unit-tests",
            help="Also run dbt's unit tests (fixed inputs in the project: for development "
            "and CI; the Spark engine always runs them).",
        ),
    ] = False,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Recompute every mart from every raw row instead of starting from the "
            "published warehouse (docs/incremental.md).",
        ),
    ] = False,
) -> None:
    """Build the warehouse with dbt aside, test it, and publish it if the tests pass."""
    from core.warehouse import WriterBusy, exclusive
    from kpiwatch.build import BuildError
    from kpiwatch.build import build as run

    home: Home = ctx.obj
    if engine not in ("duckdb", "spark"):
        raise _fail(f"unknown engine {engine!r}: choose duckdb or spark")
    try:
        if engine == "spark":
            from kpiwatch.spark import build_on_spark, spark_dir

            began = time.perf_counter()
            with exclusive(home.ensure()):
                nodes = build_on_spark(home, full_refresh=full_refresh)
            say(
                console,
                f"built on Spark: {nodes} dbt nodes in {time.perf_counter() - began:.1f} s; "
                f"tables under {spark_dir(home) / 'warehouse'}",
            )
            return
        result = run(home, unit_tests=unit_tests, full_refresh=full_refresh)
    except WriterBusy as exc:
        raise _busy(exc) from exc
    except (BuildError, HomeError) as exc:
        raise _fail(str(exc)) from exc
    began_from = (
        f"incremental: {result.start.reason}"
        if result.start and result.start.incremental
        else f"full rebuild: {result.start.reason if result.start else 'requested'}"
    )
    say(
        console,
        f"published {result.published} ({began_from}; {result.nodes} dbt nodes, "
        f"{result.seconds:.1f} s, of which publishing {result.publish_seconds:.1f} s)",
    )


@app.command("compare-engines")
def compare_engines(ctx: typer.Context) -> None:
    """Match every mart Spark built with the published DuckDB warehouse, row for row.

    Exit 0 when all agree (floating-point values within 1e-9), 1 when any differs.
    """
    from kpiwatch.spark import compare_engines as compare

    home: Home = ctx.obj
    if not home.warehouse.exists():
        raise _fail(f"no published warehouse at {home.warehouse}: run `kpiwatch build` first")
    results = compare(home)
    for result in results:
        colour = "green" if result.agrees else "red"
        say(console, result.describe(), "agree" if result.agrees else "DIFFER", colour)
    if not all(r.agrees for r in results):
        raise typer.Exit(1)


@app.command()
def sql(
    ctx: typer.Context,
    command: Annotated[
        str | None, typer.Option("-c", "--command", help="Run these statements and exit.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("-f", "--file", help="Run the statements of this file.")
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="table, csv or json (JSON Lines).")
    ] = "table",
) -> None:
    """SQL on the published warehouse, read-only: a shell, or -c / -f for scripts.

    Dot-commands (.tables, .describe NAME, .mode, .help) work in scripts too, each on a
    line of its own. Exit 0 when everything ran, 1 when a statement failed or was refused
    (a script stops there; the shell goes on, and exits 1 at the end only when its input
    was not a terminal), 2 for usage: bad arguments, no published warehouse, an unusable
    kpiwatch.toml.
    """
    from core.config import ConfigError
    from core.readers import SqlError, connect
    from kpiwatch.sql import FORMATS, Session, error, script, shell

    def usage(message: str) -> typer.Exit:
        error(console, message)
        return typer.Exit(2)

    home: Home = ctx.obj
    if output not in FORMATS:
        raise usage(f"--format must be one of {', '.join(FORMATS)}, not {output!r}")
    if command is not None and file is not None:
        raise usage("give -c or -f, not both")
    if file is not None and not file.is_file():
        raise usage(f"no such SQL file: {file}")
    try:
        text = file.read_text(encoding="utf-8") if file is not None else command
    except (OSError, UnicodeDecodeError) as exc:
        raise usage(f"cannot read {file}: {exc}") from exc
    try:
        con = connect(home)
    except (SqlError, ConfigError) as exc:
        raise usage(str(exc)) from exc
    with con:
        session = Session(con, Console(), output)
        if text is None:
            failures = shell(session, console, home.root / ".sql_history")
            if failures and not sys.stdin.isatty():
                raise typer.Exit(1)
            return
        try:
            script(session, text)
        except SqlError as exc:
            error(console, str(exc))
            raise typer.Exit(1) from exc


@app.command()
def docs(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8580,
    serve: Annotated[bool, typer.Option(help="Serve the site after generating it.")] = True,
) -> None:
    """Generate dbt's docs (every model, column and the lineage) and serve them locally."""
    from core.static_site import server
    from core.warehouse import WriterBusy
    from kpiwatch.build import BuildError
    from kpiwatch.children import Stopped, stopping_raises
    from kpiwatch.docs import generate

    home: Home = ctx.obj
    try:
        site = generate(home)
    except WriterBusy as exc:
        raise _busy(exc) from exc
    except (BuildError, HomeError) as exc:
        raise _fail(str(exc)) from exc
    say(console, f"dbt docs written to {site}")
    if serve:
        httpd = server(site, port)
        console.print(f"serving on http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C to stop)")
        with httpd, contextlib.suppress(Stopped), stopping_raises():
            httpd.serve_forever()  # SIGTERM or Ctrl-C: the socket closes, exit 0


LakeOption = Annotated[
    bool | None,
    typer.Option(
        "--lake/--no-lake",
        help="Also write the raw rows and audit tables as Parquet to the lake "
        "(KPIWATCH_LAKE, else <home>/lake). On by default when KPIWATCH_LAKE is set.",
    ),
]


def _lake(home: Home, wanted: bool | None):
    from ingest.lake import Lake

    if wanted is None:
        return Lake.from_env(home)
    return Lake.resolve(home) if wanted else None


@app.command()
def ingest(
    ctx: typer.Context,
    landing: Annotated[
        Path | None, typer.Argument(help="Landing folder (default: <home>/landing).")
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Load every landing file not loaded before into the raw layer; quarantine bad rows."""
    from core.config import ConfigError
    from core.warehouse import WriterBusy
    from ingest.lake import LakeError
    from ingest.landing_file import LandingError
    from ingest.loader import FileOutcome
    from ingest.loader import ingest as run

    home: Home = ctx.obj
    sink = _lake(home, lake)
    with Progress(
        TextColumn("{task.description}", markup=False),  # a file's name, as it is
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        current: dict[str, int] = {}

        def progress(file, fraction: float) -> None:
            task = current.get(file.relative)
            if task is None:
                task = current[file.relative] = bar.add_task(file.relative, total=1.0)
            bar.update(task, completed=fraction)

        def on_file(outcome: FileOutcome) -> None:
            task = current.pop(outcome.file.relative, None)
            if task is not None:
                bar.remove_task(task)
            if outcome.status in ("failed", "refused"):
                say(console, f"{outcome.file.relative}: {outcome.error}", outcome.status, "red")

        try:
            report = run(home, landing, progress, on_file, sink)
        except WriterBusy as exc:
            raise _busy(exc) from exc
        except (LandingError, HomeError, LakeError, ConfigError) as exc:
            raise _fail(str(exc)) from exc
    _ingest_summary(report)
    if report.lake is not None:
        _lake_summary(report.lake)
    if not report.ok:
        raise typer.Exit(1)


def _lake_summary(report) -> None:
    if report.error is not None:
        say(
            console,
            f"the lake {report.root} could not be written ({report.error}); "
            "the warehouse is complete, and the next run with the lake writes what it misses",
            "error:",
            "red",
        )
        return
    audit = "audit tables replaced" if report.audit_written else "audit tables unchanged"
    say(
        console,
        f"lake {report.root}: {report.files_written} landing files written "
        f"({report.parquet_files} Parquet files, {report.rows:,} rows), {audit}, "
        f"{report.seconds:.1f} s",
    )


def _ingest_summary(report) -> None:
    for folder in report.unknown_folders:
        say(
            console,
            f"{report.landing / folder} is not a source folder; expected one of "
            f"{', '.join(SOURCES)} (its files were not loaded)",
            "error:",
            "red",
        )
    table = Table(title=plain(f"ingest of {report.landing}"))
    for col in ("source", "loaded", "skipped", "failed", "rows loaded", "quarantined"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for source in SOURCES:
        own = [o for o in report.outcomes if o.file.source == source]
        table.add_row(
            source,
            str(sum(o.status == "loaded" for o in own)),
            str(sum(o.status == "skipped_duplicate" for o in own)),
            str(sum(o.status == "failed" for o in own)),
            f"{sum(o.rows_loaded for o in own):,}",
            f"{sum(o.rows_quarantined for o in own):,}",
        )
    console.print(table)
    unchanged = report.count("unchanged")
    rate = report.rows_read / report.seconds if report.seconds else 0.0
    console.print(
        f"{report.count('loaded')} files loaded, {report.count('skipped_duplicate')} duplicates "
        f"skipped, {report.count('failed')} failed, {report.count('refused')} refused, "
        f"{unchanged} unchanged since the last run; "
        f"{report.rows_read:,} rows read ({report.rows_loaded:,} loaded + "
        f"{report.rows_quarantined:,} quarantined) in {report.seconds:.1f} s "
        f"({rate:,.0f} rows/s)"
    )


lake_app = typer.Typer(
    help="The lake: the raw layer and its audit tables as Parquet, for Spark.",
    no_args_is_help=True,
)
app.add_typer(lake_app, name="lake")


@lake_app.command("export")
def lake_export(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="Lake folder (default: KPIWATCH_LAKE, else <home>/lake)."),
    ] = None,
) -> None:
    """Write the whole lake from the warehouse's raw and audit tables (a backfill, or a
    warehouse moving to Spark); the same files `kpiwatch ingest --lake` writes."""
    from core.warehouse import WriterBusy
    from ingest.lake import Lake, LakeError, export

    home: Home = ctx.obj
    try:
        report = export(home, Lake.resolve(home, directory))
    except WriterBusy as exc:
        raise _busy(exc) from exc
    except (LakeError, HomeError) as exc:
        raise _fail(str(exc)) from exc
    removed = f", {report.removed} stale files removed" if report.removed else ""
    say(
        console,
        f"lake {report.root}: {report.files_written} landing files "
        f"({report.parquet_files} Parquet files, {report.rows:,} rows) and the audit tables "
        f"written in {report.seconds:.1f} s{removed}",
    )


FailOn = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on",
        help="Exit non-zero for: dq (a check failed: 1), breach (a breach is open: 3). Repeatable.",
    ),
]


@app.command("run")
def run_(
    ctx: typer.Context,
    landing: Annotated[
        Path | None, typer.Argument(help="Landing folder (default: <home>/landing).")
    ] = None,
    fail_on: FailOn = None,
    rebuild: Annotated[bool, typer.Option(help="Run dbt even if nothing changed.")] = False,
    send: Annotated[
        bool, typer.Option(help="Deliver the outbox (--no-send: only write it).")
    ] = True,
) -> None:
    """Ingest, build, check, alert, publish, deliver; exit 0 ok, 1 dq (--fail-on dq),
    2 usage/config, 3 breach (--fail-on breach), 4 delivery failed, 5 build failed, 75 busy."""
    from kpiwatch.pipeline import main as run_main

    raise typer.Exit(run_main(ctx.obj, landing, fail_on or [], console, rebuild, send))


@app.command()
def schedule(
    ctx: typer.Context,
    cron: Annotated[
        str, typer.Option(help="Cron expression in Asia/Shanghai time, e.g. '0 * * * *'.")
    ],
    landing: Annotated[
        Path | None, typer.Argument(help="Landing folder (default: <home>/landing).")
    ] = None,
    fail_on: FailOn = None,
    max_runs: Annotated[int, typer.Option(min=0, help="Stop after this many runs (0: never).")] = 0,
) -> None:
    """Run `kpiwatch run` on a cron schedule; runs never overlap."""
    from kpiwatch.schedule import main as schedule_main

    raise typer.Exit(schedule_main(ctx.obj, cron, landing, fail_on or [], console, max_runs))


@app.command()
def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8501,
    address: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Any non-loopback address (e.g. 0.0.0.0) needs a "
            "sign-in method: `kpiwatch users add` or [dashboard.oidc] (docs/dashboard-access.md).",
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the executive dashboard over the published warehouse (read-only) until Ctrl-C."""
    import os
    import sys

    from core.home import PROJECT_DIR
    from kpiwatch.children import serve
    from kpiwatch.door import DoorError, streamlit_args

    home: Home = ctx.obj
    try:
        door = streamlit_args(home, address)
    except DoorError as exc:
        raise _fail(str(exc)) from exc
    if not home.warehouse.exists():
        say(
            console,
            f"nothing published yet at {home.warehouse}; the dashboard "
            "will say so until `kpiwatch build` publishes it.",
            "note:",
            "yellow",
        )
    command = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / "dashboards" / "app.py"),
        "--server.headless", "true",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--theme.primaryColor", "#1f4e79",
        "--client.toolbarMode", "minimal",  # no Deploy button, no menu (nothing left in it)
        *door,
    ]  # fmt: skip
    host = f"[{address}]" if ":" in address else address
    print(f"kpiwatch dashboard: http://{host}:{port}  (home {home.root}; Ctrl-C to stop)")
    sys.stdout.flush()
    # Streamlit ends with this command, by Ctrl-C, SIGTERM or even SIGKILL of kpiwatch.
    raise typer.Exit(serve(command, env={**os.environ, "KPIWATCH_HOME": str(home.root)}))


EXIT_NO_PDF = 3
"""``kpiwatch report`` wrote the workbook but not the PDF (no usable Chromium)."""


@app.command()
def report(
    ctx: typer.Context,
    month: Annotated[str, typer.Option(help="The month to report, YYYY-MM.")],
    province: Annotated[
        str | None, typer.Option(help="One province (GB/T 2260 code); default the whole country.")
    ] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en.")] = "zh",
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default: <home>/reports).")
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also print the PDF (needs Chromium).")] = True,
) -> None:
    """Write the monthly report from the published marts: an Excel workbook and a PDF.

    Exit 0 when both were written, 2 for usage (bad --month or --province, a month with no
    published figures, no published warehouse), 3 when the workbook was written but the PDF
    could not be (no usable Chromium; the message says why).
    """
    from core.config import ConfigError
    from core.readers import SqlError
    from core.report.data import ReportError, parse_month, scope
    from core.report.labels import LANGUAGES
    from reports.produce import write

    home: Home = ctx.obj
    try:
        if lang not in LANGUAGES:
            raise ReportError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
        chosen = scope(parse_month(month), [province] if province else None)
        written = write(home, chosen, lang, out or home.root / "reports", with_pdf=pdf)
    except (ReportError, SqlError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"cannot write the report: {exc.filename}: {exc.strerror}") from exc
    say(console, written.workbook, "workbook:", "green")
    if written.pdf is not None:
        say(console, written.pdf, "pdf:", "green")
    elif written.pdf_problem is not None:
        say(console, written.pdf_problem, "no pdf:", "bold yellow")
        raise typer.Exit(EXIT_NO_PDF)


users_app = typer.Typer(
    help="The dashboard's local users (<home>/secrets/dashboard-users.json), for sign-in "
    "without single sign-on.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _password(from_stdin: bool) -> str:
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise _fail("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="national, provincial or operations.")],
    province: Annotated[
        list[str] | None,
        typer.Option(help="A province this provincial user sees (GB/T 2260; repeatable)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
) -> None:
    """Add a user (or replace one of the same name); asks for the password twice."""
    from dashboards import users

    home: Home = ctx.obj
    try:
        home.ensure()
        users.check_name(name)
        new = users.add(home, name, role, province or [], _password(password_stdin))
    except (users.AccessError, HomeError, OSError) as exc:
        raise _fail(str(exc)) from exc
    console.print(
        f"{'added' if new else 'replaced'} {name} ({role}) in {users.path(home)}",
        markup=False,
        soft_wrap=True,
    )


@users_app.command("remove")
def users_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Sign-in name.")]
) -> None:
    """Remove a user: their next sign-in is refused (a session already open ends on reload)."""
    from dashboards import users

    home: Home = ctx.obj
    try:
        users.remove(home, name)
    except (users.UsersError, OSError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"removed {name} from {users.path(home)}", markup=False, soft_wrap=True)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every user with their role and provinces (never their password hashes)."""
    from dashboards import users

    home: Home = ctx.obj
    try:
        found = users.listed(home)
    except users.UsersError as exc:
        raise _fail(str(exc)) from exc
    table = Table(title=str(users.path(home)))
    for column in ("name", "role", "provinces", "added"):
        table.add_column(column)
    for user in found:
        cells = (user.name, user.role, ", ".join(user.provinces) or "all", user.added_at)
        table.add_row(*(Text(c) for c in cells))
    Console().print(table)
