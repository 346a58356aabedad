"""The ``sentinelle`` command line: options parsed, one job called, its report printed.

Each command module parses its options, calls one job of :mod:`sentinelle.jobs` and
renders the report with Rich (:mod:`._common` holds the store context, progress line,
tables and error mapping). The analysis packages (forecast, impact, actors, alerts,
report) import statistics and plotting libraries that take seconds to load, so their
commands import them when run rather than making every command, and ``--help``, wait.
Errors Sentinelle raises on purpose are one red line and the error's exit status;
``--debug`` (or ``SENTINELLE_DEBUG=1``) shows their traceback instead. ``--wait``
(``SENTINELLE_STORE_WAIT``) bounds how long a command waits for a busy store.
``--verbose`` (``SENTINELLE_VERBOSE=1``) lets libraries' INFO logging through (WeasyPrint's
rendering steps, fontTools' font subsetting, ...), silenced otherwise; ``--lang``
(``SENTINELLE_LANG``) chooses the language of tables and messages.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sentinelle.cli import actors, alerts, brief, demo, forecast, impact, ingest, panel, serve
from sentinelle.cli._common import (
    DEFAULT_WAIT,
    configure_logging,
    set_debug,
    set_lang,
    set_wait,
)

app = typer.Typer(
    help="Sentinelle: conflict early warning and peace-operations impact, from public data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="SENTINELLE_DEBUG", help="Show the traceback of every error"
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            envvar="SENTINELLE_STORE_WAIT",
            min=0,
            help="Seconds to wait for a store another process holds (0: fail at once)",
        ),
    ] = DEFAULT_WAIT,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            envvar="SENTINELLE_VERBOSE",
            help="Show libraries' progress logging (WeasyPrint, fontTools, ...)",
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="SENTINELLE_LANG",
            help="Language of tables and messages: en | fr (default: the locale's)",
        ),
    ] = None,
) -> None:
    set_debug(debug)
    set_wait(wait)
    set_lang(lang)
    configure_logging(verbose)


app.command()(ingest.ingest)
app.command()(ingest.fetch)
app.command()(ingest.status)
app.command()(ingest.quarantine)
app.command()(ingest.undo)
app.add_typer(panel.panel_app, name="panel")
app.command()(forecast.forecast)
app.command()(forecast.evaluate)
app.command()(demo.demo)
app.add_typer(impact.impact_app, name="impact")
app.command()(actors.actors)
app.command()(actors.situation)
app.command()(alerts.alerts)
app.command()(brief.brief)
app.command()(serve.serve)
app.add_typer(serve.users_app, name="users")

__all__ = ["app"]
