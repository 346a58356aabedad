"""``sentinelle impact`` (and ``impact compare``): what base closures did to violence nearby."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

from sentinelle.cli._common import (
    BadParameter,
    EngineOption,
    OutOption,
    SourceOption,
    StoreOption,
    _,
    console,
    job,
    labelled,
    number,
    print_frame,
)
from sentinelle.cli._help import TranslatedCommand, TranslatedGroup
from sentinelle.i18n import N_

impact_app = typer.Typer(cls=TranslatedGroup, invoke_without_command=True)

EventOption = Annotated[
    str | None,
    typer.Option(
        help=N_(
            "exit (base closures) | entry (base openings: treated from the first full "
            "period with the base) | both; with --missions both by default, with --mission exit"
        )
    ),
]
FromOption = Annotated[int | None, typer.Option("--from", help=N_("First year of the window"))]
ToOption = Annotated[int | None, typer.Option("--to", help=N_("Last year of the window"))]
MinTreatedOption = Annotated[
    int, typer.Option(help=N_("Treated cells a mission needs in a ring for its own estimate"))
]


def _events(event: str | None) -> tuple[str, ...]:
    from sentinelle.impact.staggered import EVENTS

    if event is None or event == "both":
        return EVENTS
    if event not in EVENTS:
        raise BadParameter(
            _("--event must be exit, entry or both, got %(event)s", event=repr(event))
        )
    return (event,)


def _years(first: int | None, last: int | None) -> tuple[int, int] | None:
    if first is None and last is None:
        return None
    return (first if first is not None else 1989, last if last is not None else 2100)


def _print_staggered(effects: pd.DataFrame, title: str) -> None:
    columns = ["mission", "event", "ring_label", "outcome", "estimate", "se", "lower", "upper"]
    print_frame(effects[[*columns, "n_treated"]], title, rows=80)


OutcomeOption = Annotated[
    str | None,
    typer.Option(
        help=N_(
            "Events: civilian_deaths (default) | one_sided | all; "
            "aggregates (acled-hdx): fatalities (default) | events | civilian_targeting"
        )
    ),
]

IMPACT_HELP = N_(
    "Estimate what base closures (or openings) did to violence nearby; write tables, "
    "plots, summaries.\n\n"
    "One mission (--mission): staggered difference-in-differences, synthetic control and km "
    "rings. Across missions (--missions, or --event entry): Callaway-Sant'Anna on PRIO-GRID "
    "cells by year or month as the data allow, the same cell and its 8 neighbours, pooled "
    "(stored as ALL:<region>) and per mission; EN/FR table and forest plot.\n\n"
    "Example: [bold]sentinelle impact --missions all --region africa --from 2000 --to 2017 "
    "--event exit --source ged_extract[/]"
)


@impact_app.callback(help=IMPACT_HELP)
def impact(
    ctx: typer.Context,
    mission: Annotated[str | None, typer.Option(help=N_("Geo-PKO mission, e.g. MINUSMA"))] = None,
    outcome: OutcomeOption = None,
    radius_km: Annotated[str, typer.Option(help=N_("Ring edges in km (cells)"))] = "25,50,100",
    unit: Annotated[
        str,
        typer.Option(
            help=N_("pgm (PRIO-GRID cells, rings in km) or admin2 (host unit, neighbours)")
        ),
    ] = "pgm",
    admin_file: Annotated[
        Path | None,
        typer.Option(help=N_("Admin-2 boundaries (GeoJSON, GeoPackage, shapefile)")),
    ] = None,
    source: SourceOption = None,
    country: Annotated[
        str | None, typer.Option(help=N_("ISO3: only the bases (and data) of this country"))
    ] = None,
    min_precision: Annotated[
        str,
        typer.Option(help=N_("Closures dated less precisely are left out: day | month | year")),
    ] = "month",
    missions: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "all, or comma-separated missions: entries and exits on PRIO-GRID cells "
                "(same cell, Queen neighbours), pooled and per mission"
            )
        ),
    ] = None,
    region: Annotated[str, typer.Option(help=N_("Region of the cells (--missions)"))] = "africa",
    first_year: FromOption = None,
    last_year: ToOption = None,
    event: EventOption = None,
    min_treated: MinTreatedOption = 10,
    engine: EngineOption = "duckdb",
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    if ctx.invoked_subcommand:
        return
    if missions or event in ("entry", "both"):
        chosen = missions or mission
        if not chosen:
            raise BadParameter(_("--missions is required (all, or e.g. MINUSMA,UNAMID)"))
        _run_staggered(
            chosen, region, _years(first_year, last_year), _events(event), source, outcome,
            min_treated, engine, out, store,
        )  # fmt: skip
        return
    if not mission:
        raise BadParameter(_("--mission (or --missions) is required (e.g. MINUSMA)"))
    from sentinelle.jobs.impact import run_impact

    radii = [float(r) for r in radius_km.split(",")]
    with job(store, "impact") as (con, step):
        run = run_impact(
            con, mission, out, outcome=outcome, radii_km=radii, unit=unit,
            admin_file=admin_file, event_source=source, min_precision=min_precision,
            country=country.upper() if country else None, step=step,
        )  # fmt: skip
    result = run.result
    print_frame(
        result.effects[["estimator", "ring_label", "estimate", "lower", "upper", "p_value"]],
        _(
            "%(mission)s: effect of base closures on %(outcome)s per unit-month",
            mission=mission, outcome=result.outcome,
        ),
    )  # fmt: skip
    if not result.bases.empty:
        print_frame(
            result.bases[["base", "unit_name", "closure_date", "before_12m", "after_12m"]],
            _(
                "%(mission)s: base by base (%(outcome)s in the host unit, 12 months)",
                mission=mission, outcome=result.outcome,
            ),
        )  # fmt: skip
    _print_notes(result.notes)
    _print_report(run.files.values())


def _print_notes(notes: Iterable[str]) -> None:
    word = _("note")
    for note in notes:
        console.print(labelled(f"[yellow]{word}[/]", note))


def _print_report(files: Iterable[Path]) -> None:
    console.print(labelled(_("Report"), ", ".join(str(p) for p in files)))


def _run_staggered(
    missions: str,
    region: str,
    years: tuple[int, int] | None,
    events: tuple[str, ...],
    source: str | None,
    outcome: str | None,
    min_treated: int,
    engine: str,
    out: Path,
    store: Path | None,
) -> None:
    from sentinelle.jobs.impact import run_impact_staggered

    names = None if missions.strip().lower() == "all" else missions.upper().split(",")
    with job(store, "impact") as (con, step):
        run = run_impact_staggered(
            con, out, missions=names, region=region, years=years, events=events,
            event_source=source, outcomes=outcome.split(",") if outcome else None,
            min_treated=min_treated, engine=engine, step=step,
        )  # fmt: skip
    result = run.result
    title = (
        _("%(label)s: effects per cell-year (%(source)s)", label=result.label,
          source=result.event_source)
        if result.precision == "year"
        else _("%(label)s: effects per cell-month (%(source)s)", label=result.label,
               source=result.event_source)
    )  # fmt: skip
    _print_staggered(result.effects, title)
    _print_notes(result.notes)
    few = result.skipped
    if not few.empty:
        skipped = _("%(count)s mission x event x ring (see caveats)", count=number(len(few)))
        word = _("not estimated")
        console.print(labelled(f"[yellow]{word}[/]", skipped))
    _print_report(run.files.values())


COMPARE_HELP = N_(
    "Entries and exits of several missions side by side (pooled and per mission).\n\n"
    "Writes the table in English and French (CSV, XLSX), forest plots (PNG) and the "
    "caveats; says why a mission could not be estimated.\n\n"
    "Example: [bold]sentinelle impact compare --missions MINUSMA,UNAMID,MONUSCO "
    "--source ged_extract[/]"
)


@impact_app.command("compare", cls=TranslatedCommand, help=COMPARE_HELP)
def impact_compare(
    missions: Annotated[str, typer.Option(help=N_("Comma-separated missions (deployments data)"))],
    outcome: Annotated[
        str | None,
        typer.Option(help=N_("any_civilian_deaths | civilian_deaths | ..._government | ..._rebel")),
    ] = None,
    source: SourceOption = None,
    first_year: FromOption = None,
    last_year: ToOption = None,
    event: EventOption = None,
    min_treated: MinTreatedOption = 10,
    engine: EngineOption = "duckdb",
    out: OutOption = Path("out/impact/compare"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.impact import run_impact_compare

    names = [m.strip().upper() for m in missions.split(",") if m.strip()]
    with job(store, "impact compare", read_only=True) as (con, step):
        comparison = run_impact_compare(
            con, names, out, outcome=outcome, event_source=source,
            years=_years(first_year, last_year), events=_events(event),
            min_treated=min_treated, engine=engine, step=step,
        )  # fmt: skip
    for mission, why in comparison.skipped.items():
        console.print(labelled(f"[yellow]{mission}[/]", why))
    _print_staggered(comparison.table, _("Entries and exits of bases across missions"))
    _print_report(comparison.files.values())
