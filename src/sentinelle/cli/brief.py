"""``sentinelle brief``: a country-month briefing as HTML and PDF, in English and French."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import (
    BadParameter,
    OutOption,
    StoreOption,
    _,
    cli_lang,
    console,
    job,
    labelled,
)
from sentinelle.i18n import LANGS, N_

BRIEF_HELP = N_(
    "A briefing of a few pages on a country and month, as HTML and PDF, in English and "
    "French.\n\n"
    "Key numbers and their change, maps of events and forecast risk, trends, actors, "
    "withdrawal-impact findings with caveats, active alerts, forecasts with uncertainty, and "
    "the sources and versions of the data; a section the store has no data for says what is "
    "missing.\n\n"
    "Without --month, the latest complete month of data on the country (the last month of "
    "ACLED's HDX aggregates, or the month before the latest event).\n\n"
    "Example: [bold]sentinelle brief --country MLI --lang both[/]"
)


def brief(
    country: Annotated[str, typer.Option(help=N_("ISO3 code, e.g. MLI"))],
    month: Annotated[
        str | None,
        typer.Option(
            help=N_("Month of the briefing, YYYY-MM; default: the latest complete month of data")
        ),
    ] = None,
    lang: Annotated[
        str, typer.Option(help=N_("Languages of the briefing: en | fr | both"))
    ] = "both",
    boundaries: Annotated[
        Path | None,
        typer.Option(help=N_("Country boundaries for the maps (Natural Earth admin-0)")),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Event source (ged, acled, ged_candidate); default: one with "
                "events in the country that month"
            )
        ),
    ] = None,
    out: OutOption = Path("out/brief"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.brief import run_brief

    if lang not in (*LANGS, "both"):
        raise BadParameter(_("--lang must be one of %(langs)s or both", langs=", ".join(LANGS)))
    langs = [code for code in LANGS if lang in (code, "both")]
    with job(store, f"brief {country}", read_only=True) as (con, step):
        run = run_brief(
            con, country, month, out, langs=langs, source=source, boundaries=boundaries, step=step
        )
    from sentinelle.store.currency import currency_line

    for files in run.files.values():
        console.print(labelled(_("Written"), ", ".join(str(p) for p in files)))
    if run.currency:
        console.print(currency_line(run.currency, cli_lang()), markup=False)
