"""What every command shares: the store option and context, progress, tables, errors.

Errors Sentinelle raises on purpose (:class:`~sentinelle.errors.SentinelleError`) are
printed as one red line and exit with the branch's ``exit_code``; with ``--debug`` (or
``SENTINELLE_DEBUG=1``) they are raised again, traceback and all. Anything else is a
bug and shows its traceback.

A store held by another process (another ingest, the dashboard) is waited for, up to
``--wait`` seconds (``SENTINELLE_STORE_WAIT``, default 30; 0 fails at once), saying so
once; every command opens the store through :func:`store_open`, so all of them wait
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.errors import SentinelleError, StoreBusyError
from sentinelle.sources import IngestReport
from sentinelle.steps import Step
from sentinelle.store import open_store, store_error

console = Console()

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="DuckDB store file (env SENTINELLE_STORE; default ./sentinelle.duckdb)"
    ),
]
OutOption = Annotated[Path, typer.Option("--out", help="Directory for the files written")]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Event source (ged, ged_candidate, acled); one is required "
                 "when the store holds several, as they report the same killings"),
]  # fmt: skip

# Seconds a command waits for a store another process holds, unless --wait says.
DEFAULT_WAIT = 30.0


@dataclass
class _Options:
    """What the app's callback sets for each invocation (--debug, --wait)."""

    debug: bool = False
    wait: float = DEFAULT_WAIT


_options = _Options()


def set_debug(debug: bool) -> None:
    """Whether Sentinelle's errors show their traceback rather than one line."""
    _options.debug = debug


def set_wait(seconds: float) -> None:
    """How long :func:`store_open` waits for a store held by another process."""
    _options.wait = max(seconds, 0.0)


def settings(store: Path | None = None) -> Settings:
    """Settings with the CLI's ``--store`` taking precedence over env and config file."""
    return Settings(store=store) if store else Settings()


@contextmanager
def failures() -> Iterator[None]:
    """Turn Sentinelle's own errors into one red line and the branch's exit status."""
    try:
        yield
    except SentinelleError as exc:
        if _options.debug:
            raise
        console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _busy(path: Path, wait: float) -> Callable[[StoreBusyError], None]:
    """What a command says, once, when it starts waiting for a busy store."""

    def say(_: StoreBusyError) -> None:
        console.print(
            f"[yellow]store busy, retrying…[/] {path} is held by another process; "
            f"waiting up to {wait:g} s (--wait 0 fails at once)",
            soft_wrap=True,
        )

    return say


@contextmanager
def store_open(
    store: Path | None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store of ``--store`` (or the settings'), closed on leaving.

    A store held by another process is waited for (see the module docstring). A write
    the store cannot take while the job runs or as it closes (disk full, folder made
    read-only, lock lost) is the same :class:`~sentinelle.errors.StoreError` as at
    opening.
    """
    path = settings(store).store
    wait = _options.wait
    con = open_store(path, read_only=read_only, wait=wait, on_busy=_busy(path, wait))
    try:
        try:
            yield con
        finally:
            con.close()  # a full disk may first show here, writing the last checkpoint
    except (duckdb.Error, OSError) as exc:
        mapped = store_error(path, exc)
        if mapped is None:
            raise
        raise mapped from exc


@contextmanager
def steps(title: str) -> Iterator[Step]:
    """A Rich progress line that shows each step of a long operation as it starts."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(title, total=None)
        yield lambda text: progress.update(task, description=f"{title}: {text}")


@contextmanager
def job(
    store: Path | None, title: str, *, read_only: bool = False
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Step]]:
    """What a command runs a job in: errors mapped, the store open, a progress line."""
    with failures(), store_open(store, read_only=read_only) as con, steps(title) as step:
        yield con, step


def print_frame(frame: pd.DataFrame, title: str, rows: int = 15) -> None:
    """Render the first rows of a table, numbers rounded for reading."""
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for values in frame.head(rows).itertuples(index=False):
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in values))
    console.print(table if len(frame) else f"{title}: nothing to show.")


def print_ingest(report: IngestReport) -> None:
    """One line on what an ingest did, and where to see its quarantined rows."""
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
