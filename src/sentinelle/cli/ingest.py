"""``sentinelle ingest``, ``fetch``, ``undo``, ``status`` and ``quarantine``: data into
the store, and back out of it.

Sources are those of :data:`sentinelle.sources.SOURCES`, plug-ins included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from sentinelle.cli._common import (
    StoreOption,
    _,
    cli_lang,
    console,
    failures,
    fitted_table,
    job,
    labelled,
    number,
    print_ingest,
    print_status,
    settings,
    store_open,
)
from sentinelle.cli._help import help_text
from sentinelle.errors import UsageError
from sentinelle.i18n import N_, translator
from sentinelle.jobs.ingest import fetchable, quarantined_rows, run_fetch, run_ingest, run_undo
from sentinelle.sources import SOURCES, FetchRequest
from sentinelle.sources.acled import Snapshot
from sentinelle.sources.acled_hdx import SERIES
from sentinelle.sources.acled_hdx import SOURCE as ACLED_HDX
from sentinelle.store.status import AggregateStatus, aggregates_status, store_status

INGEST_HELP = N_(
    "Ingest a file of SOURCE into the store, in one transaction.\n\n"
    "Re-running a file merges it again: what later ingests changed of its rows is restored. "
    "Rows that cannot be read are quarantined. Nothing is marked deleted because a file "
    "lacks it, unless the file is declared a --snapshot of a scope. A URL is downloaded "
    "first and cached with its checksum. `sentinelle undo` reverts an ingest.\n\n"
    "Example: [bold]sentinelle ingest ged ~/Downloads/ged251-csv.zip[/]\n\n"
    "Example: [bold]sentinelle ingest acled mali.csv --snapshot --countries Mali "
    "--from 1997-01-01 --to 2020-10-31[/]\n\n"
    "Example: [bold]sentinelle ingest acled-hdx mali_admin2.xlsx --series "
    "political_violence[/]"
)


def ingest(
    source: Annotated[
        str, typer.Argument(help=help_text(N_("One of: %(names)s"), names=", ".join(SOURCES)))
    ],
    path: Annotated[
        str, typer.Argument(help=N_("File as published (CSV or zipped CSV), local path or URL"))
    ],
    version: Annotated[
        str | None, typer.Option(help=N_("Release, when the file name does not tell (e.g. 25.1)"))
    ] = None,
    series: Annotated[
        str | None,
        typer.Option(
            help=help_text(
                N_("acled-hdx: the series (%(series)s), when the file name does not say"),
                series=", ".join(SERIES),
            )
        ),
    ] = None,
    snapshot: Annotated[
        bool,
        typer.Option(
            help=N_(
                "acled: the file is complete for --countries, --from, --to (and "
                "--event-types): stored events of that scope missing from it are marked deleted"
            )
        ),
    ] = False,
    countries: Annotated[
        str | None, typer.Option(help=N_("--snapshot: ACLED country names (Mali,Niger)"))
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help=N_("--snapshot: first day")),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help=N_("--snapshot: last day")),
    ] = None,
    event_types: Annotated[
        str | None,
        typer.Option(help=N_("--snapshot: ACLED event types (Battles,Riots); default all")),
    ] = None,
    store: StoreOption = None,
) -> None:
    with failures():
        scope = _snapshot(snapshot, countries, start, end, event_types)
        version = _qualifier(source, version, series)
    if scope is not None:
        missing = _(
            "stored %(source)s events of this scope missing from the file will be marked deleted",
            source=source,
        )
        word = _("snapshot")
        console.print(labelled(f"[yellow]{word}[/] {scope.describe()}", missing))
    with job(store, f"ingest {source}") as (con, step):
        report = run_ingest(
            con, source, path, version, settings=settings(store), snapshot=scope, step=step
        )
    print_ingest(report)


def _qualifier(source: str, version: str | None, series: str | None) -> str | None:
    """The adapter's qualifier: the release (``--version``), or for acled-hdx, whose
    files are versioned by the as-of date in their names, the series (``--series``)."""
    if source == ACLED_HDX:
        if version is not None:
            raise UsageError(
                _(
                    "acled-hdx takes no --version: a file's version is the as-of date in its "
                    "name; --series names the series"
                )
            )
        return series
    if series is not None:
        raise UsageError(_("--series is for acled-hdx, not %(source)s", source=source))
    return version


def _split(values: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as a tuple of its trimmed items."""
    return tuple(v.strip() for v in values.split(",") if v.strip()) if values else None


def _snapshot(
    declared: bool,
    countries: str | None,
    start: datetime | None,
    end: datetime | None,
    event_types: str | None,
) -> Snapshot | None:
    """The snapshot scope the options declare, or ``None`` without ``--snapshot``."""
    if not declared:
        if countries or start or end or event_types:
            raise UsageError(_("--countries, --from, --to and --event-types go with --snapshot"))
        return None
    if not (countries and start and end):
        raise UsageError(_("--snapshot needs --countries, --from and --to"))
    return Snapshot(_split(countries) or (), start.date(), end.date(), _split(event_types))


UNDO_HELP = N_(
    "Restore every row an ingest inserted, updated or marked deleted to its state before.\n\n"
    "An ingest whose rows a later ingest changed is refused: undo the later one first.\n\n"
    "Example: [bold]sentinelle undo 7[/]"
)


def undo(
    ingest_id: Annotated[int, typer.Argument(help=N_("The ingest to revert (see `status`)"))],
    store: StoreOption = None,
) -> None:
    with job(store, f"undo ingest {ingest_id}") as (con, _step):
        counts = run_undo(con, ingest_id)
    written = ", ".join(f"{table} {number(n)}" for table, n in counts.items())
    done = _("ingest #%(ingest)s undone", ingest=ingest_id)
    console.print(labelled(f"[green]{done}[/]", labelled(_("rows restored or removed"), written)))


FETCH_HELP = N_(
    "Download SOURCE from its publisher, cache the raw file with its checksum, ingest it.\n\n"
    "Offline, it fails at once and says how to ingest a local file instead. Credentials come "
    "from SENTINELLE_UCDP_TOKEN and SENTINELLE_ACLED_USERNAME/_PASSWORD.\n\n"
    "Example: [bold]sentinelle fetch acled --countries Mali --from 2023-01-01 "
    "--to 2023-12-31[/]\n\n"
    "Example: [bold]sentinelle fetch acled-hdx --country Mali --series civilian_targeting[/]"
)


def fetch(
    source: Annotated[
        str,
        typer.Argument(help=help_text(N_("One of: %(names)s"), names=", ".join(fetchable()))),
    ],
    version: Annotated[
        str | None,
        typer.Option(help=N_("GED release (ged: 25.1) or API version (ged-api: 25.1, 25.0.9)")),
    ] = None,
    countries: Annotated[
        str | None,
        typer.Option(
            "--countries",
            "--country",
            help=N_(
                "ged-api: GW codes (432,439); acled: names (Mali,Niger); acled-hdx: one name (Mali)"
            ),
        ),
    ] = None,
    series: Annotated[
        str | None,
        typer.Option(
            help=help_text(
                N_("acled-hdx: the series (%(series)s; default %(default)s)"),
                series=", ".join(SERIES),
                default=SERIES[0],
            )
        ),
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help=N_("First day"))
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help=N_("Last day"))
    ] = None,
    refresh: Annotated[bool, typer.Option(help=N_("Download again even if cached"))] = False,
    store: StoreOption = None,
) -> None:
    with failures():
        version = _qualifier(source, version, series)
    request = FetchRequest(
        version=version,
        countries=_split(countries),
        start=start.date() if start else None,
        end=end.date() if end else None,
        refresh=refresh,
    )
    with job(store, f"fetch {source}") as (con, step):
        report = run_fetch(con, source, request, settings=settings(store), step=step)
    print_ingest(report)


STATUS_HELP = N_(
    "Show what the store holds: sources, versions, counts, date spans, last ingest.\n\n"
    "Example: [bold]sentinelle status --store sahel.duckdb[/]"
)


def status(store: StoreOption = None) -> None:
    path = settings(store).store
    if not path.exists():
        console.print(
            _("No store at %(path)s yet: start with `sentinelle ingest` or `fetch`.", path=path)
        )
        return
    with failures(), store_open(store, read_only=True) as con:
        rows = store_status(con)
        aggregates = aggregates_status(con)
    print_status(path, rows)
    _print_aggregates(aggregates)


def _print_aggregates(aggregates: list[AggregateStatus]) -> None:
    """What the subnational aggregates cover, per source, series, country and level."""
    if not aggregates:
        return
    t = translator(cli_lang())
    headings = [N_("source"), N_("series"), N_("country"), N_("level"), N_("units"),
                N_("months"), N_("as of")]  # fmt: skip
    cells = [
        [
            a.source, a.series, a.iso3, f"admin{a.level}", t.number(a.units),
            f"{a.first:%Y-%m} → {a.last:%Y-%m}", f"{a.as_of:%Y-%m-%d}" if a.as_of else "—",
        ]
        for a in aggregates
    ]  # fmt: skip
    title = t.gettext("Subnational aggregates")
    headers = [t.gettext(h) for h in headings]
    numeric = [False, False, False, False, True, False, False]
    table = fitted_table(title, headers, cells, numeric, console.width)
    console.print(table or fitted_table(title, headers, cells, numeric, None))


QUARANTINE_HELP = N_(
    "List quarantined rows with their file, line and reason.\n\n"
    "Example: [bold]sentinelle quarantine --ingest 3 --limit 20[/]"
)


def quarantine(
    ingest_id: Annotated[int | None, typer.Option("--ingest", help=N_("Only this ingest"))] = None,
    limit: Annotated[int, typer.Option(help=N_("Rows to show"))] = 50,
    store: StoreOption = None,
) -> None:
    with failures(), store_open(store, read_only=True) as con:
        rows = quarantined_rows(con, ingest_id, limit)
    table = Table(title=_("Quarantined rows"))
    for column in (N_("ingest"), N_("source"), N_("file"), N_("line"), N_("reason")):
        table.add_column(_(column))
    for row in rows:
        table.add_row(*(str(v) for v in (row.ingest_id, row.source, row.location, row.line,
                                          row.reason)))  # fmt: skip
    console.print(table if rows else _("No quarantined rows."))
