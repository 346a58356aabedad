"""The ``sentinelle`` command line: a thin layer over the Python API.

Each command parses its options, calls one function of a capability subpackage and
renders the result with Rich. Errors Sentinelle raises on purpose are printed as one
clear line and exit with status 1; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.sources import INGESTERS, IngestReport, SentinelleError
from sentinelle.sources.acled_api import fetch_acled
from sentinelle.sources.ucdp_api import fetch_ged, fetch_ged_release
from sentinelle.store import open_store
from sentinelle.store.status import store_status

app = typer.Typer(
    help="Sentinelle: conflict early warning and peace-operations impact, from public data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
console = Console()

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="DuckDB store file (env SENTINELLE_STORE; default ./sentinelle.duckdb)"
    ),
]


def settings(store: Path | None = None) -> Settings:
    """Settings with the CLI's ``--store`` taking precedence over env and config file."""
    return Settings(store=store) if store else Settings()


@contextmanager
def _store(store: Path | None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_store(settings(store).store, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _failures() -> Iterator[None]:
    """Turn Sentinelle's own errors into one red line and exit status 1."""
    try:
        yield
    except SentinelleError as exc:
        console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A Rich progress line that shows each step of a long operation as it starts."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(title, total=None)
        yield lambda text: progress.update(task, description=f"{title}: {text}")


def _print_report(report: IngestReport) -> None:
    if report.skipped:
        console.print(
            f"[yellow]{report.location}[/] was already ingested as ingest "
            f"#{report.ingest_id} (same sha256): nothing changed."
        )
        return
    console.print(
        f"[green]ingest #{report.ingest_id}[/] {report.source} {report.version or ''}: "
        f"read {report.rows_read:,}, inserted {report.rows_inserted:,}, "
        f"updated {report.rows_updated:,}, unchanged {report.rows_unchanged:,}, "
        f"marked deleted {report.rows_deleted:,}, quarantined {report.rows_quarantined:,}"
    )
    if report.rows_quarantined:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(report.quarantine_reasons.items()))
        console.print(
            f"[yellow]quarantined rows[/] ({reasons}); see them with "
            f"`sentinelle quarantine --ingest {report.ingest_id}`"
        )


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(INGESTERS)}")],
    path: Annotated[Path, typer.Argument(help="Local file as published (CSV or zipped CSV)")],
    version: Annotated[
        str | None, typer.Option(help="Release, when the file name does not tell (e.g. 25.1)")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Ingest a local file of SOURCE into the store, in one transaction.

    Re-running the same file changes nothing; rows that cannot be read are quarantined.

    Example: [bold]sentinelle ingest ged ~/Downloads/ged251-csv.zip[/]
    """
    if source not in INGESTERS:
        raise typer.BadParameter(f"unknown source {source!r}; choose from {', '.join(INGESTERS)}")
    with _failures(), _store(store) as con, _steps(f"ingest {source}") as step:
        report = INGESTERS[source](con, path, version, step)
    _print_report(report)


FETCHABLE = ("ged", "ged-api", "acled")


@app.command()
def fetch(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(FETCHABLE)}")],
    version: Annotated[
        str | None,
        typer.Option(help="GED release (ged: 25.1) or API version (ged-api: 25.1, 25.0.9)"),
    ] = None,
    countries: Annotated[
        str | None,
        typer.Option(help="ged-api: GW codes (432,439); acled: names (Mali,Niger)"),
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day")
    ] = None,
    refresh: Annotated[bool, typer.Option(help="Download again even if cached")] = False,
    store: StoreOption = None,
) -> None:
    """Download SOURCE from its publisher, cache the raw file with its checksum, ingest it.

    Offline, it fails at once and says how to ingest a local file instead. Credentials
    come from SENTINELLE_UCDP_TOKEN and SENTINELLE_ACLED_USERNAME/_PASSWORD.

    Example: [bold]sentinelle fetch acled --countries Mali --from 2023-01-01 --to 2023-12-31[/]
    """
    config = settings(store)
    names = [c.strip() for c in countries.split(",")] if countries else None
    first, last = (d.date() if d else None for d in (start, end))
    with _failures(), _store(store) as con, _steps(f"fetch {source}") as step:
        if source in ("ged", "ged-api") and not version:
            raise typer.BadParameter("GED needs --version (e.g. 25.1)")
        if source == "ged":
            report = fetch_ged_release(
                con, str(version), settings=config, refresh=refresh, step=step
            )
        elif source == "ged-api":
            report = fetch_ged(
                con, str(version), settings=config, refresh=refresh, step=step,
                countries=[int(c) for c in names] if names else None, start=first, end=last,
            )  # fmt: skip
        elif source == "acled":
            if not (names and first and last):
                raise typer.BadParameter("ACLED needs --countries, --from and --to")
            report = fetch_acled(
                con, settings=config, countries=names, start=first, end=last,
                refresh=refresh, step=step,
            )  # fmt: skip
        else:
            raise typer.BadParameter(f"unknown source {source!r}; choose from {FETCHABLE}")
    _print_report(report)


@app.command()
def status(store: StoreOption = None) -> None:
    """Show what the store holds: sources, versions, counts, date spans, last ingest.

    Example: [bold]sentinelle status --store sahel.duckdb[/]
    """
    path = settings(store).store
    if not path.exists():
        console.print(f"No store at {path} yet: start with `sentinelle ingest` or `fetch`.")
        return
    with _store(store, read_only=True) as con:
        rows = store_status(con)
    table = Table(title=f"Store {path}")
    for column in ("source", "table", "versions", "rows", "deleted", "from", "to", "quarantined"):
        table.add_column(column)
    table.add_column("last ingest")
    for s in rows:
        table.add_row(
            s.source, s.table, ", ".join(s.versions), f"{s.rows:,}", f"{s.deleted:,}",
            str(s.first or ""), str(s.last or ""), f"{s.quarantined:,}",
            f"{s.last_ingest:%Y-%m-%d %H:%M}" if s.last_ingest else "",
        )  # fmt: skip
    console.print(table if rows else "The store is empty.")


@app.command()
def quarantine(
    ingest_id: Annotated[int | None, typer.Option("--ingest", help="Only this ingest")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show")] = 50,
    store: StoreOption = None,
) -> None:
    """List quarantined rows with their file, line and reason.

    Example: [bold]sentinelle quarantine --ingest 3 --limit 20[/]
    """
    with _store(store, read_only=True) as con:
        rows = con.execute(
            "SELECT ingest_id, source, location, line, reason FROM quarantine "
            "WHERE ? IS NULL OR ingest_id = ? ORDER BY ingest_id, line LIMIT ?",
            [ingest_id, ingest_id, limit],
        ).fetchall()
    table = Table(title="Quarantined rows")
    for column in ("ingest", "source", "file", "line", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table if rows else "No quarantined rows.")


if __name__ == "__main__":
    app()
