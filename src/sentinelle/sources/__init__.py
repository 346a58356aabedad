"""Source adapters: publishers' files and APIs into the store, one module per source.

``INGESTERS`` maps the names the CLI accepts (``sentinelle ingest NAME PATH``) to the
adapter that reads a local file of that source; every adapter runs through
:mod:`sentinelle.sources.ingest`, so all share its transaction, idempotence and
quarantine rules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.errors import (
    AuthError,
    FetchError,
    IncompleteError,
    IngestError,
    OfflineError,
    SchemaError,
    SentinelleError,
    SourceFileError,
)
from sentinelle.sources.geopko import ingest_geopko
from sentinelle.sources.ingest import IngestReport, Step
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.sources.views_cm import ingest_views_cm

Ingester = Callable[[duckdb.DuckDBPyConnection, Path, str | None, Step], IngestReport]


def _ged(
    con: duckdb.DuckDBPyConnection, path: Path, version: str | None, step: Step
) -> IngestReport:
    return ingest_ged(con, path, version=version, step=step)


def _ged_candidate(
    con: duckdb.DuckDBPyConnection, path: Path, version: str | None, step: Step
) -> IngestReport:
    return ingest_ged(con, path, version=version, candidate=True, step=step)


def _acled(con: duckdb.DuckDBPyConnection, path: Path, _: str | None, step: Step) -> IngestReport:
    return ingest_acled(con, path, step=step)


def _geopko(con: duckdb.DuckDBPyConnection, path: Path, _: str | None, step: Step) -> IngestReport:
    return ingest_geopko(con, path, step=step)


def _views_cm(
    con: duckdb.DuckDBPyConnection, path: Path, _: str | None, step: Step
) -> IngestReport:
    return ingest_views_cm(con, path, step=step)


INGESTERS: dict[str, Ingester] = {
    "ged": _ged,
    "ged-candidate": _ged_candidate,
    "acled": _acled,
    "geopko": _geopko,
    "views-cm": _views_cm,
}

__all__ = [
    "INGESTERS",
    "AuthError",
    "FetchError",
    "IncompleteError",
    "IngestError",
    "IngestReport",
    "OfflineError",
    "SchemaError",
    "SentinelleError",
    "SourceFileError",
]
