"""``sentinelle impact`` (and ``impact compare``): what base closures did to violence nearby."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

from sentinelle.cli._common import (
    OutOption,
    SourceOption,
    StoreOption,
    console,
    job,
    print_frame,
)

impact_app = typer.Typer(invoke_without_command=True)

EventOption = Annotated[
    str | None,
    typer.Option(
        help="exit (base closures) | entry (base openings: treated from the first full "
        "period with the base) | both; with --missions both by default, with --mission exit"
    ),
]
FromOption = Annotated[int | None, typer.Option("--from", help="First year of the window")]
ToOption = Annotated[int | None, typer.Option("--to", help="Last year of the window")]
MinTreatedOption = Annotated[
    int, typer.Option(help="Treated cells a mission needs in a ring for its own estimate")
]


def _events(event: str | None) -> tuple[str, ...]:
    from sentinelle.impact.staggered import EVENTS

    if event is None or event == "both":
        return EVENTS
    if event not in EVENTS:
        raise typer.BadParameter(f"--event must be exit, entry or both, got {event!r}")
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
        help="Events: civilian_deaths (default) | one_sided | all; "
        "aggregates (acled-hdx): fatalities (default) | events | civilian_targeting"
    ),
]


@impact_app.callback()
def impact(
    ctx: typer.Context,
    mission: Annotated[str | None, typer.Option(help="Geo-PKO mission, e.g. MINUSMA")] = None,
    outcome: OutcomeOption = None,
    radius_km: Annotated[str, typer.Option(help="Ring edges in km (cells)")] = "25,50,100",
    unit: Annotated[
        str,
        typer.Option(help="pgm (PRIO-GRID cells, rings in km) or admin2 (host unit, neighbours)"),
    ] = "pgm",
    admin_file: Annotated[
        Path | None, typer.Option(help="Admin-2 boundaries (GeoJSON, GeoPackage, shapefile)")
    ] = None,
    source: SourceOption = None,
    country: Annotated[
        str | None, typer.Option(help="ISO3: only the bases (and data) of this country")
    ] = None,
    min_precision: Annotated[
        str, typer.Option(help="Closures dated less precisely are left out: day | month | year")
    ] = "month",
    missions: Annotated[
        str | None,
        typer.Option(
            help="all, or comma-separated missions: entries and exits on PRIO-GRID cells "
            "(same cell, Queen neighbours), pooled and per mission"
        ),
    ] = None,
    region: Annotated[str, typer.Option(help="Region of the cells (--missions)")] = "africa",
    first_year: FromOption = None,
    last_year: ToOption = None,
    event: EventOption = None,
    min_treated: MinTreatedOption = 10,
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    """Estimate what base closures (or openings) did to violence nearby; write tables,
    plots, summaries.

    One mission (--mission): staggered difference-in-differences, synthetic control and
    km rings. Across missions (--missions, or --event entry): Callaway-Sant'Anna on
    PRIO-GRID cells by year or month as the data allow, the same cell and its 8
    neighbours, pooled (stored as ALL:<region>) and per mission; EN/FR table and
    forest plot.

    Example: [bold]sentinelle impact --missions all --region africa --from 2000 --to 2017
    --event exit --source ged_extract[/]
    """
    if ctx.invoked_subcommand:
        return
    if missions or event in ("entry", "both"):
        chosen = missions or mission
        if not chosen:
            raise typer.BadParameter("--missions is required (all, or e.g. MINUSMA,UNAMID)")
        _run_staggered(
            chosen, region, _years(first_year, last_year), _events(event), source, outcome,
            min_treated, out, store,
        )  # fmt: skip
        return
    if not mission:
        raise typer.BadParameter("--mission (or --missions) is required (e.g. MINUSMA)")
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
        f"{mission}: effect of base closures on {result.outcome} per unit-month",
    )
    if not result.bases.empty:
        print_frame(
            result.bases[["base", "unit_name", "closure_date", "before_12m", "after_12m"]],
            f"{mission}: base by base ({result.outcome} in the host unit, 12 months)",
        )
    for note in result.notes:
        console.print(f"[yellow]note[/]: {note}")
    console.print(f"Report: {', '.join(str(p) for p in run.files.values())}")


def _run_staggered(
    missions: str,
    region: str,
    years: tuple[int, int] | None,
    events: tuple[str, ...],
    source: str | None,
    outcome: str | None,
    min_treated: int,
    out: Path,
    store: Path | None,
) -> None:
    from sentinelle.jobs.impact import run_impact_staggered

    names = None if missions.strip().lower() == "all" else missions.upper().split(",")
    with job(store, "impact") as (con, step):
        run = run_impact_staggered(
            con, out, missions=names, region=region, years=years, events=events,
            event_source=source, outcomes=outcome.split(",") if outcome else None,
            min_treated=min_treated, step=step,
        )  # fmt: skip
    result = run.result
    unit = "cell-year" if result.precision == "year" else "cell-month"
    _print_staggered(result.effects, f"{result.label}: effects per {unit} ({result.event_source})")
    for note in result.notes:
        console.print(f"[yellow]note[/]: {note}")
    few = result.skipped
    if not few.empty:
        console.print(f"[yellow]not estimated[/]: {len(few)} mission x event x ring (see caveats)")
    console.print(f"Report: {', '.join(str(p) for p in run.files.values())}")


@impact_app.command("compare")
def impact_compare(
    missions: Annotated[str, typer.Option(help="Comma-separated missions (deployments data)")],
    outcome: Annotated[
        str | None,
        typer.Option(help="any_civilian_deaths | civilian_deaths | ..._government | ..._rebel"),
    ] = None,
    source: SourceOption = None,
    first_year: FromOption = None,
    last_year: ToOption = None,
    event: EventOption = None,
    min_treated: MinTreatedOption = 10,
    out: OutOption = Path("out/impact/compare"),
    store: StoreOption = None,
) -> None:
    """Entries and exits of several missions side by side (pooled and per mission).

    Writes the table in English and French (CSV, XLSX), forest plots (PNG) and the
    caveats; says why a mission could not be estimated.

    Example: [bold]sentinelle impact compare --missions MINUSMA,UNAMID,MONUSCO
    --source ged_extract[/]
    """
    from sentinelle.jobs.impact import run_impact_compare

    names = [m.strip().upper() for m in missions.split(",") if m.strip()]
    with job(store, "impact compare", read_only=True) as (con, step):
        comparison = run_impact_compare(
            con, names, out, outcome=outcome, event_source=source,
            years=_years(first_year, last_year), events=_events(event),
            min_treated=min_treated, step=step,
        )  # fmt: skip
    for mission, why in comparison.skipped.items():
        console.print(f"[yellow]{mission}[/]: {why}")
    _print_staggered(comparison.table, "Entries and exits of bases across missions")
    console.print(f"Report: {', '.join(str(p) for p in comparison.files.values())}")
