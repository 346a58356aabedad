"""Source adapters: publishers' files and APIs into the store, one module per source.

``SOURCES`` (:mod:`sentinelle.sources.registry`) maps the names the CLI accepts
(``sentinelle ingest NAME PATH``, ``sentinelle fetch NAME``) to each source's adapter
and fetcher; ``ingest_url`` downloads a file first (``sentinelle ingest NAME URL``).
Every adapter runs through
:mod:`sentinelle.sources.ingest`, so all share its transaction, idempotence and
quarantine rules.
"""

from __future__ import annotations

from pathlib import Path
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
from sentinelle.sources.http import DEFAULT_POLICY, HttpClient, HttpPolicy
from sentinelle.sources.ingest import IngestReport
from sentinelle.sources.registry import (
    SOURCES,
    Fetcher,
    FetchRequest,
    Ingester,
    Source,
    get_source,
)
from sentinelle.steps import Step, no_step


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
    ingest = get_source(source).ingest
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
    return ingest(con, path, version, step, url)


__all__ = [
    "SOURCES",
    "AuthError",
    "FetchError",
    "FetchRequest",
    "Fetcher",
    "IncompleteError",
    "IngestError",
    "IngestReport",
    "Ingester",
    "OfflineError",
    "SchemaError",
    "SentinelleError",
    "Source",
    "SourceFileError",
    "get_source",
    "ingest_url",
]
