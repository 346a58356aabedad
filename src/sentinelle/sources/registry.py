"""The sources Sentinelle knows: one :data:`SOURCES` registry for ingest and fetch alike.

Each :class:`Source` pairs the adapter that reads a local file of the publisher
(``sentinelle ingest NAME PATH``) with, when the publisher serves its data, the fetcher
that downloads it first (``sentinelle fetch NAME``). A fetcher takes the one
:class:`FetchRequest` the command line builds and checks it holds what that publisher
needs, so the CLI and the main job dispatch on the name alone. A plug-in adds its
source with ``SOURCES.register(name, Source(...))``.

Examples
--------
>>> get_source("geopko").fetch is None
True
>>> get_source("gde")
Traceback (most recent call last):
...
sentinelle.errors.UnknownNameError: unknown source 'gde'; choose from: ged, ged-candidate, \
acled, geopko, radpko, views-cm, ged-api, acled-hdx
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import SourceFileError, UsageError
from sentinelle.registry import Registry
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.acled_api import fetch_acled
from sentinelle.sources.acled_hdx import DEFAULT_SERIES, fetch_acled_hdx, ingest_acled_hdx
from sentinelle.sources.geopko import ingest_geopko
from sentinelle.sources.ingest import IngestReport
from sentinelle.sources.radpko import ingest_radpko
from sentinelle.sources.ucdp_api import fetch_ged, fetch_ged_release
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.sources.views_cm import ingest_views_cm
from sentinelle.steps import Step


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


@dataclass(frozen=True)
class FetchRequest:
    """What ``sentinelle fetch`` can ask a publisher for; each fetcher uses its part.

    ``countries`` are as the publisher names them (GW codes for the UCDP API, names
    for ACLED); ``start`` and ``end`` bound the event dates, inclusive. ``version`` is
    the qualifier a publisher's files need: the release for GED, the series for
    acled-hdx (whose files are versioned by the as-of date in their names).
    """

    version: str | None = None
    countries: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None
    refresh: bool = False


class Fetcher(Protocol):
    """Downloads what ``request`` asks from a publisher and ingests it; a request that
    lacks what the publisher needs raises :class:`~sentinelle.errors.UsageError`."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        request: FetchRequest,
        *,
        settings: Settings,
        step: Step,
    ) -> IngestReport: ...


@dataclass(frozen=True)
class Source:
    """A publisher's data: how to ingest its file and, if it serves one, how to fetch it."""

    name: str
    ingest: Ingester
    fetch: Fetcher | None = None
    description: str = ""


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


def _ged_version(request: FetchRequest) -> str:
    if not request.version:
        raise UsageError("GED needs --version (e.g. 25.1)")
    return request.version


def _fetch_ged_release(
    con: duckdb.DuckDBPyConnection, request: FetchRequest, *, settings: Settings, step: Step
) -> IngestReport:
    return fetch_ged_release(
        con, _ged_version(request), settings=settings, refresh=request.refresh, step=step
    )


def _fetch_ged_api(
    con: duckdb.DuckDBPyConnection, request: FetchRequest, *, settings: Settings, step: Step
) -> IngestReport:
    version = _ged_version(request)
    try:
        countries = [int(c) for c in request.countries] if request.countries else None
    except ValueError:
        raise UsageError(
            f"the UCDP API takes Gleditsch-Ward codes (Mali is 432), not {request.countries}"
        ) from None
    return fetch_ged(
        con, version, settings=settings, countries=countries, start=request.start,
        end=request.end, refresh=request.refresh, step=step,
    )  # fmt: skip


def _fetch_acled(
    con: duckdb.DuckDBPyConnection, request: FetchRequest, *, settings: Settings, step: Step
) -> IngestReport:
    if not (request.countries and request.start and request.end):
        raise UsageError("ACLED needs --countries, --from and --to")
    return fetch_acled(
        con, settings=settings, countries=request.countries, start=request.start,
        end=request.end, refresh=request.refresh, step=step,
    )  # fmt: skip


def _acled_hdx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    series: str | None,
    step: Step,
    location: str | None = None,
    /,
) -> IngestReport:
    # acled-hdx files are versioned by the as-of date in their names; what a name may
    # not say is the series, so the adapter's qualifier (`--series`) is the series.
    return ingest_acled_hdx(con, path, series=series, step=step, location=location)


def _fetch_acled_hdx(
    con: duckdb.DuckDBPyConnection, request: FetchRequest, *, settings: Settings, step: Step
) -> IngestReport:
    if not request.countries or len(request.countries) != 1:
        raise UsageError("acled-hdx fetches one country's file at a time: --country Mali")
    return fetch_acled_hdx(
        con, settings=settings, country=request.countries[0],
        series=request.version or DEFAULT_SERIES, refresh=request.refresh, step=step,
    )  # fmt: skip


_GED = _ingester(ingest_ged, versioned=True)

SOURCES: Registry[Source] = Registry(
    "source",
    {
        source.name: source
        for source in (
            Source("ged", _GED, _fetch_ged_release, "UCDP GED yearly release (CSV or zip)"),
            Source(
                "ged-candidate",
                _ingester(ingest_ged, versioned=True, candidate=True),
                description="UCDP GED Candidate (monthly or quarterly) file",
            ),
            Source(
                "acled",
                _ingester(ingest_acled, versioned=False),
                _fetch_acled,
                "ACLED export, or the ACLED API for chosen countries and dates",
            ),
            Source(
                "geopko",
                _ingester(ingest_geopko, versioned=False),
                description="Geo-PKO peacekeeping deployments (FrontMap or raw layout)",
            ),
            Source(
                "radpko",
                _ingester(ingest_radpko, versioned=False),
                description="RADPKO base deployments in Africa (monthly, or yearly summary)",
            ),
            Source("views-cm", _views_cm, description="VIEWS prediction-challenge cm folder"),
            Source(
                "ged-api",
                _GED,
                _fetch_ged_api,
                "UCDP API events of a GED version (countries as GW codes)",
            ),
            Source(
                "acled-hdx",
                _acled_hdx,
                _fetch_acled_hdx,
                "ACLED's subnational monthly aggregates as HDX publishes them (xlsx or csv)",
            ),
        )
    },
)


def get_source(name: str) -> Source:
    """The registered source ``name``; a typo raises an error listing the valid names."""
    return SOURCES[name]


__all__ = ["SOURCES", "FetchRequest", "Fetcher", "Ingester", "Source", "get_source"]
