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
(``SENTINELLE_LANG``, else the locale) chooses the language of the help, tables and
messages: help texts are catalogue messages translated when shown (:mod:`._help`), so
every command and group is registered with its ``cls`` and its help as a marked string.
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
from sentinelle.cli._help import TranslatedCommand, TranslatedGroup
from sentinelle.i18n import N_

app = typer.Typer(
    cls=TranslatedGroup,
    help=N_("Sentinelle: conflict early warning and peace-operations impact, from public data."),
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="SENTINELLE_DEBUG", help=N_("Show the traceback of every error")
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            envvar="SENTINELLE_STORE_WAIT",
            min=0,
            help=N_("Seconds to wait for a store another process holds (0: fail at once)"),
        ),
    ] = DEFAULT_WAIT,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            envvar="SENTINELLE_VERBOSE",
            help=N_("Show libraries' progress logging (WeasyPrint, fontTools, ...)"),
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="SENTINELLE_LANG",
            help=N_("Language of help, tables and messages: en | fr (default: the locale's)"),
        ),
    ] = None,
) -> None:
    set_debug(debug)
    set_wait(wait)
    set_lang(lang)
    configure_logging(verbose)


for function, text in (
    (ingest.ingest, ingest.INGEST_HELP),
    (ingest.fetch, ingest.FETCH_HELP),
    (ingest.status, ingest.STATUS_HELP),
    (ingest.quarantine, ingest.QUARANTINE_HELP),
    (ingest.undo, ingest.UNDO_HELP),
    (forecast.forecast, forecast.FORECAST_HELP),
    (forecast.evaluate, forecast.EVALUATE_HELP),
    (demo.demo, demo.DEMO_HELP),
    (actors.actors, actors.ACTORS_HELP),
    (actors.situation, actors.SITUATION_HELP),
    (alerts.alerts, alerts.ALERTS_HELP),
    (brief.brief, brief.BRIEF_HELP),
    (serve.serve, serve.SERVE_HELP),
):
    app.command(cls=TranslatedCommand, help=text)(function)
app.add_typer(panel.panel_app, name="panel")
app.add_typer(impact.impact_app, name="impact")
app.add_typer(serve.users_app, name="users")

__all__ = ["app"]
