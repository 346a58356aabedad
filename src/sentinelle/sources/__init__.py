"""Source adapters: publishers' files and APIs into the store, one module per source.

``INGESTERS`` maps the names the CLI accepts (``sentinelle ingest NAME PATH``) to the
adapter that reads a local file of that source; ``ingest_url`` downloads the file
first (``sentinelle ingest NAME URL``). Every adapter runs through
:mod:`sentinelle.sources.ingest`, so all share its transaction, idempotence and
quarantine rules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import (
    AuthError,
    FetchError,
    IncompleteError,
    IngestError,
    OfflineError,
    SchemaError,
    SentinelleError,
    SourceFileError,
)
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.geopko import ingest_geopko
from sentinelle.sources.http import DEFAULT_POLICY, HttpClient, HttpPolicy
from sentinelle.sources.ingest import IngestReport
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.sources.views_cm import ingest_views_cm
from sentinelle.steps import Step, no_step


class Ingester(Protocol):
    """An adapter: ``(con, path, version, step, location)``; ``location`` names where
    the file came from (its URL) when that is not ``path``."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        version: str | None,
        step: Step,
        location: str | None = None,
        /,
    ) -> IngestReport: ...


def _ingester(read: Callable[..., IngestReport], *, versioned: bool, **fixed: bool) -> Ingester:
    """``read`` called the CLI's way; only ``versioned`` sources take ``--version``."""

    def run(
        con: duckdb.DuckDBPyConnection,
        path: Path,
        version: str | None,
        step: Step,
        location: str | None = None,
        /,
    ) -> IngestReport:
        if versioned:
            return read(con, path, version=version, step=step, location=location, **fixed)
        return read(con, path, step=step, location=location, **fixed)

    return run


def _views_cm(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    _: str | None,
    step: Step,
    location: str | None = None,
    /,
) -> IngestReport:
    if location is not None:
        raise SourceFileError(f"views-cm reads a local folder of files, not {location}")
    return ingest_views_cm(con, path, step=step)


INGESTERS: dict[str, Ingester] = {
    "ged": _ingester(ingest_ged, versioned=True),
    "ged-candidate": _ingester(ingest_ged, versioned=True, candidate=True),
    "acled": _ingester(ingest_acled, versioned=False),
    "geopko": _ingester(ingest_geopko, versioned=False),
    "views-cm": _views_cm,
}


def ingest_url(
    con: duckdb.DuckDBPyConnection,
    source: str,
    url: str,
    version: str | None = None,
    *,
    settings: Settings,
    refresh: bool = False,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> IngestReport:
    """Download a publisher's file (cached with its checksum) and ingest it as ``source``.

    For files with no API of their own, e.g. the Geo-PKO CSV from its website; the
    provenance records the URL. Offline it fails at once, saying how to ingest a copy.

    Examples
    --------
    >>> ingest_url(con, "geopko", "https://example.org/FrontMap_v2.3.csv",
    ...            settings=Settings())                                 # doctest: +SKIP
    """
    if source not in INGESTERS:
        raise SourceFileError(f"unknown source {source!r}; choose from {', '.join(INGESTERS)}")
    name = Path(unquote(urlparse(url).path)).name
    if not name:
        raise SourceFileError(f"{url} names no file: give the URL of the file itself")
    with HttpClient(
        source=source,
        cache_dir=settings.cache_dir,
        offline_hint=f"Download {url} elsewhere and run `sentinelle ingest {source} PATH`",
        policy=policy,
    ) as client:
        step(f"download {name}")
        path = client.download(url, name, refresh=refresh)
    return INGESTERS[source](con, path, version, step, url)


__all__ = [
    "INGESTERS",
    "AuthError",
    "FetchError",
    "IncompleteError",
    "IngestError",
    "IngestReport",
    "Ingester",
    "OfflineError",
    "SchemaError",
    "SentinelleError",
    "SourceFileError",
    "ingest_url",
]
