"""``sentinelle actors`` and ``situation``: who fights whom, and a country's picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import (
    OutOption,
    SourceOption,
    StoreOption,
    console,
    failures,
    job,
    print_frame,
    store_open,
)


def actors(
    country: Annotated[str | None, typer.Option(help="ISO3 code, e.g. MLI")] = None,
    period: Annotated[str | None, typer.Option(help="YYYY-MM..YYYY-MM")] = None,
    source: SourceOption = None,
    unmatched: Annotated[
        bool, typer.Option(help="List names the registry does not know, for review")
    ] = False,
    out: OutOption = Path("out/actors"),
    store: StoreOption = None,
) -> None:
    """Who is active where and when, who fights whom, and the dyad network.

    Writes activity and dyad tables (CSV) and the network as GraphML, JSON and PNG.

    Example: [bold]sentinelle actors --country MLI --period 2019-01..2020-10 --source acled[/]
    """
    from sentinelle.jobs.actors import run_actors, run_unmatched_actors

    if unmatched:
        with failures(), store_open(store) as con:
            names = run_unmatched_actors(con)
        print_frame(names, "Names the actor registry does not know", 50)
        return
    with job(store, "actors") as (con, step):
        run = run_actors(con, out, country=country, period=period, source=source, step=step)
    print_frame(run.activity, "Actor activity (by year and admin-1)")
    print_frame(run.dyads, "Dyads")
    console.print(f"Written to {out}/: activity.csv, dyads.csv, network.graphml/.json/.png")


def situation(
    country: Annotated[str, typer.Option(help="ISO3 code, e.g. MLI")],
    period: Annotated[str, typer.Option(help="YYYY-MM..YYYY-MM")],
    source: Annotated[str, typer.Option(help="Event source")] = "ged",
    out: OutOption = Path("out/situation"),
    store: StoreOption = None,
) -> None:
    """The situational picture of a country over a period, with charts and a map.

    Trends by violence type, hotspots, the most lethal events, new actors and areas,
    civilian harm.

    Example: [bold]sentinelle situation --country MLI --period 2023-07..2024-06[/]
    """
    from sentinelle.jobs.actors import run_situation

    with job(store, f"situation {country}") as (con, step):
        run = run_situation(con, country, period, out, source=source, step=step)
    print_frame(run.picture.trends, f"{country} {period}: trends by violence type")
    print_frame(run.picture.hotspots_admin2, "Hotspots (admin-2)", rows=10)
    print_frame(run.picture.lethal_events, "Most lethal events", rows=10)
    console.print(f"Written: {', '.join(str(p) for p in run.files)}")
