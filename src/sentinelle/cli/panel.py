"""``sentinelle panel build | check | export``: unit-month panels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import StoreOption, console, failures, job, store_open

panel_app = typer.Typer(
    help="Unit-month panels: build, check, export.\n\n"
    "Example: [bold]sentinelle panel build --unit cm --from 2018-01 --to 2023-12[/]",
    no_args_is_help=True,
)

UnitOption = Annotated[str, typer.Option(help="cm | pgm | admin1 | admin2")]


@panel_app.command("build")
def panel_build(
    unit: UnitOption,
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM")],
    end: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM")],
    countries: Annotated[str | None, typer.Option(help="ISO3 codes, e.g. MLI,BFA,NER")] = None,
    source: Annotated[
        str, typer.Option(help="ged (GED then Candidate) | acled | acled-hdx (admin aggregates)")
    ] = "ged",
    cells: Annotated[Path | None, typer.Option(help="JSON list of PRIO-GRID gids")] = None,
    boundaries: Annotated[
        Path | None, typer.Option(help="Admin boundary file (admin1/admin2)")
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb | spark")] = "duckdb",
    parquet: Annotated[Path | None, typer.Option(help="Also export to this Parquet")] = None,
    store: StoreOption = None,
) -> None:
    """Build a complete unit-month panel (zeros where nothing happened) with causal features.

    Outcomes by violence type and civilian deaths; lags, rolling sums, time since the
    last event, spatial lags and peacekeeping presence, each from months before t.

    Example: [bold]sentinelle panel build --unit pgm --from 2012-01 --to 2020-10 --countries MLI[/]
    """
    from sentinelle.jobs.panel import run_panel_build

    with job(store, f"panel {unit}") as (con, step):
        report = run_panel_build(
            con, unit, start, end, source=source, engine=engine, step=step,
            countries=countries.split(",") if countries else None, cells=cells,
            boundaries=boundaries, parquet=parquet,
        ).report  # fmt: skip
    console.print(
        f"[green]{report.table}[/]: {report.n_units:,} units x "
        f"{report.last_month - report.first_month + 1} months = {report.n_rows:,} rows, "
        f"{len(report.columns)} columns, {report.events_used:,} events, "
        f"built on {report.engine} in {report.seconds:.1f} s"
    )
    if report.events_outside:
        console.print(
            f"[yellow]{report.events_outside:,} events ({report.fatalities_outside:,} deaths) "
            "fall outside the panel's units[/]"
        )


@panel_app.command("check")
def panel_check(unit: UnitOption, store: StoreOption = None) -> None:
    """Check a panel: missing months, duplicate keys, negative counts, totals vs events.

    Example: [bold]sentinelle panel check --unit pgm[/]
    """
    from sentinelle.jobs.panel import run_panel_check

    with failures(), store_open(store, read_only=True) as con:
        found = run_panel_check(con, unit)
    console.print(
        f"{found.table}: {found.n_units:,} units, {found.n_rows:,} rows; "
        f"missing {found.missing_rows:,}, duplicate keys {found.duplicate_keys:,}, "
        f"negative counts {sum(found.negative_counts.values()):,}, "
        f"totals disagreeing with events {len(found.total_mismatches):,}"
    )
    for note in found.notes:
        console.print(f"  note: {note}")
    if not found.ok:
        raise typer.Exit(1)


@panel_app.command("export")
def panel_export(
    unit: UnitOption,
    path: Annotated[Path, typer.Argument(help="Parquet file to write")],
    store: StoreOption = None,
) -> None:
    """Export a stored panel to Parquet.

    Example: [bold]sentinelle panel export --unit cm panel_cm.parquet[/]
    """
    from sentinelle.jobs.panel import run_panel_export

    with failures(), store_open(store, read_only=True) as con:
        console.print(f"Written {run_panel_export(con, unit, path)}")
