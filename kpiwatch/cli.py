"""The one command-line entry point: ``kpiwatch <command>``."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kpiwatch.contract import PROVINCE_CODES
from kpiwatch.home import Home, HomeError

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
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(2)


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

        manifest = run(target, first, days, codes, scale, seed, progress)
    seconds = time.perf_counter() - began
    _summary(manifest, target, seconds)
    console.print(f"manifest: {target / MANIFEST}")


def _summary(manifest: dict, target: Path, seconds: float) -> None:
    files = manifest["files"]
    rows = sum(f["rows"] or 0 for f in files if f["delivery"] == "original")
    table = Table(title=f"landing written to {target}")
    for col in ("source", "files", "rows", "invalid rows"):
        table.add_column(col, justify="right" if col != "source" else "left")
    invalid = manifest["invalid_rows"]["by_kind"]
    for source in manifest["truth"]["versions_and_keys"]:
        own = [f for f in files if f["source"] == source]
        table.add_row(
            source,
            str(len(own)),
            f"{sum(f['rows'] or 0 for f in own if f['delivery'] == 'original'):,}",
            f"{sum(invalid.get(source, {}).values()):,}",
        )
    console.print(table)
    deliveries: dict[str, int] = {}
    for f in files:
        deliveries[f["delivery"]] = deliveries.get(f["delivery"], 0) + 1
    late = sum(1 for f in files if f["late_days"])
    console.print(
        f"{len(files):,} files ({', '.join(f'{v} {k}' for k, v in sorted(deliveries.items()))}; "
        f"{late} late), {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
        f"{len(manifest['incidents'])} incidents planted, "
        f"{len(manifest['expected_breaches'])} breaches expected."
    )


@app.command()
def build(ctx: typer.Context) -> None:
    """Build the warehouse with dbt aside, test it, and publish it if the tests pass."""
    from kpiwatch.build import BuildError
    from kpiwatch.build import build as run

    home: Home = ctx.obj
    try:
        result = run(home)
    except (BuildError, HomeError) as exc:
        raise _fail(str(exc)) from exc
    console.print(
        f"published {result.published} ({result.nodes} dbt nodes, {result.seconds:.1f} s)"
    )
