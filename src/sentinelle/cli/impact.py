"""``sentinelle impact`` (and ``impact compare``): what base closures did to violence nearby."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import (
    OutOption,
    SourceOption,
    StoreOption,
    console,
    job,
    print_frame,
)

impact_app = typer.Typer(invoke_without_command=True)

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
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    """Estimate what base closures did to violence nearby; write tables, plots, summaries.

    Staggered difference-in-differences event study, synthetic control and spillover
    rings; summaries in English and French.

    Example: [bold]sentinelle impact --mission MINUSMA --unit admin2 --source acled-hdx
    --admin-file mli_adm2_cercles_ocha_pcodes.geojson[/]
    """
    if ctx.invoked_subcommand:
        return
    if not mission:
        raise typer.BadParameter("--mission is required (e.g. MINUSMA)")
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


@impact_app.command("compare")
def impact_compare(
    missions: Annotated[str, typer.Option(help="Comma-separated Geo-PKO missions")],
    outcome: OutcomeOption = None,
    source: SourceOption = None,
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    """Run the same impact analysis for several missions and put them side by side.

    Example: [bold]sentinelle impact compare --missions MINUSMA,UNAMID,MONUSCO --source ged[/]
    """
    from sentinelle.jobs.impact import run_impact_compare

    with job(store, "impact compare", read_only=True) as (con, step):
        comparison = run_impact_compare(
            con, missions.split(","), out, outcome=outcome, event_source=source, step=step
        )
    for mission, why in comparison.skipped.items():
        console.print(f"[yellow]{mission}[/]: {why}")
    print_frame(comparison.table, "Effects of base closures across missions", rows=40)
