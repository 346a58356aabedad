"""``sentinelle actors`` and ``situation``: who fights whom, and a country's picture.

Without ``--period``, ``actors`` covers the last 12 months of data (of the source, in
the country), not the whole history; its terminal tables rank actors by fatalities and
leave civilians out of the ranking (they are targets, in the civilians-killed column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from sentinelle.cli._common import (
    OutOption,
    SourceOption,
    StoreOption,
    _,
    cli_lang,
    console,
    failures,
    job,
    labelled,
    print_frame,
    store_open,
)
from sentinelle.geo import month_string
from sentinelle.i18n import N_
from sentinelle.store.queries import event_coverage

# Months of the default period of ``actors``: the last year of data.
DEFAULT_MONTHS = 12
ACTIVITY_COLUMNS = (
    "actor", "fatalities", "civilian_deaths", "events", "admin1", "period", "actor_type",
)  # fmt: skip
DYAD_COLUMNS = ("actor_1", "actor_2", "fatalities", "civilian_deaths", "events", "period")


def last_months(
    con: duckdb.DuckDBPyConnection,
    country: str | None,
    source: str | None,
    months: int = DEFAULT_MONTHS,
) -> str | None:
    """``YYYY-MM..YYYY-MM``: the last ``months`` months with data of ``source`` (every
    source when ``None``) in ``country``; ``None`` when there is none."""
    coverage = event_coverage(con, country)
    spans = [span for name, span in coverage.items() if source is None or name == source]
    if not spans:
        return None
    last = max(end for _, end in spans)
    first = max(last - months + 1, min(start for start, _end in spans))
    return f"{month_string(first)}..{month_string(last)}"


CountryOption = Annotated[str, typer.Option(help=N_("ISO3 code, e.g. MLI"))]
PeriodOption = Annotated[str, typer.Option(help=N_("YYYY-MM..YYYY-MM"))]

ACTORS_HELP = N_(
    "Who is active where and when, who fights whom, and the dyad network.\n\n"
    "Writes activity and dyad tables (CSV) and the network as GraphML, JSON and PNG.\n\n"
    "Example: [bold]sentinelle actors --country MLI --period 2019-01..2020-10 "
    "--source acled[/]"
)


def actors(
    country: Annotated[str | None, typer.Option(help=N_("ISO3 code, e.g. MLI"))] = None,
    period: Annotated[str | None, typer.Option(help=N_("YYYY-MM..YYYY-MM"))] = None,
    source: SourceOption = None,
    unmatched: Annotated[
        bool, typer.Option(help=N_("List names the registry does not know, for review"))
    ] = False,
    out: OutOption = Path("out/actors"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.actors import run_actors, run_unmatched_actors

    if unmatched:
        with failures(), store_open(store) as con:
            names = run_unmatched_actors(con)
        print_frame(names, _("Names the actor registry does not know"), 50)
        return
    from sentinelle.actors.activity import rank_actors
    from sentinelle.actors.registry import localise_actors

    lang = cli_lang()
    with job(store, "actors") as (con, step):
        chosen = period or last_months(con, country, source)
        run = run_actors(
            con, out, country=country, period=chosen, source=source, lang=lang, step=step
        )
    if chosen and not period:
        console.print(
            _("Period %(period)s: the last 12 months of data (--period to choose)", period=chosen)
        )
    # Armed actors only (civilians are targets), by the short names of the reader's language.
    print_frame(
        localise_actors(rank_actors(run.activity), lang, short=True),
        _("Actors by fatalities (per year and region)"),
        columns=ACTIVITY_COLUMNS,
    )
    print_frame(
        localise_actors(run.dyads, lang, short=True).sort_values(
            "fatalities", ascending=False, kind="stable"
        ),
        _("Who fights whom (dyads, by fatalities)"),
        columns=DYAD_COLUMNS,
    )
    folder = f"{out}/"
    console.print(
        _(
            "Written to %(folder)s: activity.csv, dyads.csv, network.graphml/.json/.png",
            folder=folder,
        )
    )


SITUATION_HELP = N_(
    "The situational picture of a country over a period, with charts and a map.\n\n"
    "Trends by violence type, hotspots, the most lethal events, new actors and areas, "
    "civilian harm; from ACLED's monthly aggregates (acled-hdx) where the store has no "
    "events for the period: regions, cercles and months against the year before.\n\n"
    "Example: [bold]sentinelle situation --country MLI --period 2023-07..2024-06[/]"
)


def situation(
    country: CountryOption,
    period: PeriodOption,
    source: Annotated[
        str | None,
        typer.Option(help=N_("Event or aggregate source (default: what covers the period)")),
    ] = None,
    out: OutOption = Path("out/situation"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.actors import run_situation

    lang = cli_lang()
    with job(store, f"situation {country}") as (con, step):
        run = run_situation(con, country, period, out, source=source, lang=lang, step=step)
    if run.aggregates is not None:
        agg = run.aggregates
        print_frame(agg.trend, labelled(f"{country} {period}", _("fatalities by month")))
        print_frame(agg.regions, _("By region"), rows=20)
        print_frame(agg.top_units, _("Most fatalities (admin-2)"), rows=10)
    elif run.picture is not None:
        trends = labelled(f"{country} {period}", _("trends by violence type"))
        print_frame(run.picture.trends, trends)
        print_frame(run.picture.hotspots_admin2, _("Hotspots (admin-2)"), rows=10)
        print_frame(run.picture.lethal_events, _("Most lethal events"), rows=10)
    console.print(_("Data: %(currency)s", currency=run.currency[lang]))
    console.print(labelled(_("Written"), ", ".join(str(p) for p in run.files)))
