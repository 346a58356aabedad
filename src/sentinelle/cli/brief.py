"""``sentinelle brief``: a country-month briefing as HTML and PDF, in English and French."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import OutOption, StoreOption, cli_lang, console, job
from sentinelle.i18n import LANGS


def brief(
    country: Annotated[str, typer.Option(help="ISO3 code, e.g. MLI")],
    month: Annotated[
        str | None,
        typer.Option(
            help="Month of the briefing, YYYY-MM; default: the latest complete month of data"
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="en | fr | both")] = "both",
    boundaries: Annotated[
        Path | None, typer.Option(help="Country boundaries for the maps (Natural Earth admin-0)")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Event source (ged, acled, ged_candidate); default: one with "
            "events in the country that month"
        ),
    ] = None,
    out: OutOption = Path("out/brief"),
    store: StoreOption = None,
) -> None:
    """A briefing of a few pages on a country and month, as HTML and PDF, in English and French.

    Key numbers and their change, maps of events and forecast risk, trends, actors,
    withdrawal-impact findings with caveats, active alerts, forecasts with uncertainty,
    and the sources and versions of the data; a section the store has no data for says
    what is missing.

    Without --month, the latest complete month of data on the country (the last
    month of ACLED's HDX aggregates, or the month before the latest event).

    Example: [bold]sentinelle brief --country MLI --lang both[/]
    """
    from sentinelle.jobs.brief import run_brief

    if lang not in (*LANGS, "both"):
        raise typer.BadParameter(f"--lang must be one of {', '.join(LANGS)} or both")
    langs = [code for code in LANGS if lang in (code, "both")]
    with job(store, f"brief {country}", read_only=True) as (con, step):
        run = run_brief(
            con, country, month, out, langs=langs, source=source, boundaries=boundaries, step=step
        )
    from sentinelle.store.currency import currency_line

    for files in run.files.values():
        console.print(f"Written {', '.join(str(p) for p in files)}")
    if run.currency:
        console.print(currency_line(run.currency, cli_lang()), markup=False)
