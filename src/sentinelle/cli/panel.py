"""``sentinelle panel build | check | export``: unit-month panels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import (
    EngineOption,
    StoreOption,
    _,
    console,
    failures,
    job,
    labelled,
    number,
    store_open,
)
from sentinelle.cli._help import TranslatedCommand, TranslatedGroup
from sentinelle.i18n import N_

panel_app = typer.Typer(
    cls=TranslatedGroup,
    help=N_(
        "Unit-month panels: build, check, export.\n\n"
        "Example: [bold]sentinelle panel build --unit cm --from 2018-01 --to 2023-12[/]"
    ),
    no_args_is_help=True,
)

UnitOption = Annotated[str, typer.Option(help=N_("cm | pgm | admin1 | admin2"))]

BUILD_HELP = N_(
    "Build a complete unit-month panel (zeros where nothing happened) with causal "
    "features.\n\n"
    "Outcomes by violence type and civilian deaths; lags, rolling sums, time since the last "
    "event, spatial lags and peacekeeping presence, each from months before t.\n\n"
    "Example: [bold]sentinelle panel build --unit pgm --from 2012-01 --to 2020-10 "
    "--countries MLI[/]"
)


@panel_app.command("build", cls=TranslatedCommand, help=BUILD_HELP)
def panel_build(
    unit: UnitOption,
    start: Annotated[str, typer.Option("--from", help=N_("First month, YYYY-MM"))],
    end: Annotated[str, typer.Option("--to", help=N_("Last month, YYYY-MM"))],
    countries: Annotated[str | None, typer.Option(help=N_("ISO3 codes, e.g. MLI,BFA,NER"))] = None,
    source: Annotated[
        str,
        typer.Option(help=N_("ged (GED then Candidate) | acled | acled-hdx (admin aggregates)")),
    ] = "ged",
    cells: Annotated[Path | None, typer.Option(help=N_("JSON list of PRIO-GRID gids"))] = None,
    boundaries: Annotated[
        Path | None, typer.Option(help=N_("Admin boundary file (admin1/admin2)"))
    ] = None,
    engine: EngineOption = "duckdb",
    parquet: Annotated[Path | None, typer.Option(help=N_("Also export to this Parquet"))] = None,
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.panel import run_panel_build

    with job(store, f"panel {unit}") as (con, step):
        report = run_panel_build(
            con, unit, start, end, source=source, engine=engine, step=step,
            countries=countries.split(",") if countries else None, cells=cells,
            boundaries=boundaries, parquet=parquet,
        ).report  # fmt: skip
    built = _(
        "%(units)s units x %(months)s months = %(rows)s rows, %(columns)s columns, "
        "%(events)s events, built on %(engine)s in %(seconds)s s",
        units=number(report.n_units), months=number(report.last_month - report.first_month + 1),
        rows=number(report.n_rows), columns=number(len(report.columns)),
        events=number(report.events_used), engine=report.engine,
        seconds=number(report.seconds, 1),
    )  # fmt: skip
    console.print(labelled(f"[green]{report.table}[/]", built))
    if report.events_outside:
        outside = _(
            "%(events)s events (%(deaths)s deaths) fall outside the panel's units",
            events=number(report.events_outside),
            deaths=number(report.fatalities_outside),
        )
        console.print(f"[yellow]{outside}[/]")


CHECK_HELP = N_(
    "Check a panel: missing months, duplicate keys, negative counts, totals vs events.\n\n"
    "Example: [bold]sentinelle panel check --unit pgm[/]"
)


@panel_app.command("check", cls=TranslatedCommand, help=CHECK_HELP)
def panel_check(unit: UnitOption, store: StoreOption = None) -> None:
    from sentinelle.jobs.panel import run_panel_check

    with failures(), store_open(store, read_only=True) as con:
        found = run_panel_check(con, unit)
    checked = _(
        "%(units)s units, %(rows)s rows; missing %(missing)s, duplicate keys %(duplicates)s, "
        "negative counts %(negative)s, totals disagreeing with events %(mismatches)s",
        units=number(found.n_units), rows=number(found.n_rows),
        missing=number(found.missing_rows), duplicates=number(found.duplicate_keys),
        negative=number(sum(found.negative_counts.values())),
        mismatches=number(len(found.total_mismatches)),
    )  # fmt: skip
    console.print(labelled(found.table, checked))
    for note in found.notes:
        console.print("  " + labelled(_("note"), note))
    if not found.ok:
        raise typer.Exit(1)


EXPORT_HELP = N_(
    "Export a stored panel to Parquet.\n\n"
    "Example: [bold]sentinelle panel export --unit cm panel_cm.parquet[/]"
)


@panel_app.command("export", cls=TranslatedCommand, help=EXPORT_HELP)
def panel_export(
    unit: UnitOption,
    path: Annotated[Path, typer.Argument(help=N_("Parquet file to write"))],
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.panel import run_panel_export

    with failures(), store_open(store, read_only=True) as con:
        console.print(_("Written %(path)s", path=run_panel_export(con, unit, path)))
