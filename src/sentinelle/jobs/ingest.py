"""Ingest and fetch jobs: a publisher's file or download into the store, by source name.

Sources come from :data:`sentinelle.sources.SOURCES`, so a registered plug-in is
ingested and fetched like the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import UnknownNameError, UsageError
from sentinelle.sources import SOURCES, FetchRequest, IngestReport, get_source, ingest_url
from sentinelle.sources.acled import SOURCE as ACLED
from sentinelle.sources.acled import Snapshot, ingest_acled
from sentinelle.sources.history import undo_ingest
from sentinelle.steps import Step, no_step


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: str | Path,
    version: str | None = None,
    *,
    settings: Settings,
    snapshot: Snapshot | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest a file of ``source`` (a local path, or a URL downloaded and cached first).

    ``snapshot`` declares an ACLED export complete for its scope: stored events of the
    scope missing from it are withdrawn (see :func:`sentinelle.sources.acled.ingest_acled`).

    Examples
    --------
    >>> run_ingest(con, "ged", "GEDEvent_v25_1.csv", settings=Settings())  # doctest: +SKIP
    """
    ingest = get_source(source).ingest
    if snapshot is not None:
        if source != ACLED or str(path).startswith(("http://", "https://")):
            raise UsageError("--snapshot is for a local ACLED export only")
        return ingest_acled(con, Path(path), snapshot=snapshot, step=step)
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        return ingest_url(con, source, path, version, settings=settings, step=step)
    return ingest(con, Path(path), version, step)


def fetchable() -> list[str]:
    """Names of the registered sources whose publisher serves a download."""
    return [name for name, source in SOURCES.items() if source.fetch is not None]


def run_fetch(
    con: duckdb.DuckDBPyConnection,
    source: str,
    request: FetchRequest,
    *,
    settings: Settings,
    step: Step = no_step,
) -> IngestReport:
    """Download what ``request`` asks from the publisher of ``source`` and ingest it.

    Examples
    --------
    >>> run_fetch(con, "ged", FetchRequest(version="25.1"), settings=Settings())  # doctest: +SKIP
    """
    fetch = get_source(source).fetch
    if fetch is None:
        raise UnknownNameError("source to fetch", source, fetchable())
    return fetch(con, request, settings=settings, step=step)


def run_undo(con: duckdb.DuckDBPyConnection, ingest_id: int) -> dict[str, int]:
    """Restore the store as it was before ingest ``ingest_id``; rows written, per table.

    Examples
    --------
    >>> run_undo(con, 7)                                        # doctest: +SKIP
    {'events': 20, 'deployments': 0}
    """
    return undo_ingest(con, ingest_id)


@dataclass(frozen=True)
class QuarantinedRow:
    """A row an ingest could read but not accept, with where it was and why."""

    ingest_id: int
    source: str
    location: str
    line: int
    reason: str


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, ingest_id: int | None = None, limit: int = 50
) -> list[QuarantinedRow]:
    """The quarantined rows of one ingest (or of all), in file order."""
    rows = con.execute(
        "SELECT ingest_id, source, location, line, reason FROM quarantine "
        "WHERE ? IS NULL OR ingest_id = ? ORDER BY ingest_id, line LIMIT ?",
        [ingest_id, ingest_id, limit],
    ).fetchall()
    return [QuarantinedRow(*row) for row in rows]
