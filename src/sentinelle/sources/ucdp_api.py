"""UCDP downloads: GED events from the UCDP API, and the published GED CSV releases.

:func:`fetch_ged` pages through ``{base}/api/gedevents/{version}`` (the API needs an
access token, sent as ``x-ucdp-access-token``; UCDP hands them out on request), checks
that as many events arrived as the API announced, writes them to the download cache
as a CSV in the GED release layout and ingests that file with
:func:`~sentinelle.sources.ucdp_ged.ingest_ged`, so API and file ingests share every
rule. Versions with more than two parts (``24.0.5`` monthly, ``24.01.24.03`` quarterly)
are GED Candidates and are stored as such.

:func:`fetch_ged_release` downloads the zipped CSV of a yearly release
(``ged251-csv.zip`` for 25.1), which needs no token.

Offline, both fail within seconds with the ``sentinelle ingest`` command to run on a
file downloaded elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import AuthError, FetchError, IncompleteError, UsageError
from sentinelle.sources.http import (
    DEFAULT_POLICY,
    HttpClient,
    HttpPolicy,
    is_cached,
    json_body,
    url_with_params,
    write_cache_csv,
)
from sentinelle.sources.ingest import IngestReport
from sentinelle.sources.ucdp_ged import GED_COLUMNS, ingest_ged
from sentinelle.steps import Step, no_step

TOKEN_HEADER = "x-ucdp-access-token"
PAGE_SIZE = 1000  # the most the UCDP API serves per page
_TOKEN_HINT = "check the token in SENTINELLE_UCDP_TOKEN (or ucdp_token in sentinelle.toml)"


def is_candidate(version: str) -> bool:
    """Whether a GED version names a Candidate release rather than a yearly one.

    Examples
    --------
    >>> is_candidate("24.0.5"), is_candidate("24.01.24.03"), is_candidate("25.1")
    (True, True, False)
    """
    return len(version.split(".")) > 2


def release_file_name(version: str) -> str:
    """File name of a yearly GED release as UCDP publishes it.

    Examples
    --------
    >>> release_file_name("25.1")
    'ged251-csv.zip'
    """
    match = re.fullmatch(r"(\d{2})\.(\d)", version)
    if not match:
        raise UsageError(
            f"yearly GED releases are numbered like 25.1, not {version!r} "
            "(Candidates come from the API: fetch_ged)"
        )
    return f"ged{match[1]}{match[2]}-csv.zip"


def _ingest_command(version: str) -> str:
    source = "ged-candidate" if is_candidate(version) else "ged"
    return f"`sentinelle ingest {source} PATH --version {version}`"


def fetch_ged(
    con: duckdb.DuckDBPyConnection,
    version: str,
    *,
    settings: Settings,
    countries: Sequence[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    page_size: int = PAGE_SIZE,
    refresh: bool = False,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> IngestReport:
    """Fetch GED ``version`` events from the UCDP API and ingest them.

    Parameters
    ----------
    con
        An open store (:func:`sentinelle.store.open_store`).
    version
        API resource version: a yearly release (``25.1``) or a Candidate (``24.0.5``).
    settings
        Supplies ``ucdp_token``, ``ucdp_base_url`` and ``cache_dir``.
    countries
        Gleditsch-Ward codes to keep (UCDP's ``Country`` filter, e.g. 432 for Mali);
        all countries when omitted.
    start, end
        Event date bounds (``StartDate`` / ``EndDate`` filters).
    page_size
        Events per API page.
    refresh
        Fetch again even when the same query is in the cache.
    policy
        Retries, rate limit and timeouts of the HTTP client.
    step
        Progress sink, called with a short text at each page and ingest step.

    Returns
    -------
    IngestReport
        ``skipped`` when the same events were ingested before.

    Raises
    ------
    AuthError
        No token is configured, or UCDP refused it.
    IncompleteError
        Fewer (or more) events arrived than the API announced; nothing is cached or stored.
    OfflineError
        The API cannot be reached; the message names the command for a local file.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                        # doctest: +SKIP
    >>> fetch_ged(con, "24.0.5", settings=Settings(), countries=[432])  # doctest: +SKIP
    IngestReport(source='ged_candidate', version='24.0.5', ...)
    """
    token = settings.ucdp_token.get_secret_value() if settings.ucdp_token else ""
    if not token:
        raise AuthError(
            "the UCDP API needs an access token: request one from UCDP "
            "(https://ucdp.uu.se/apidocs/) and set SENTINELLE_UCDP_TOKEN (or ucdp_token "
            f"in sentinelle.toml); or download the data and run {_ingest_command(version)}"
        )
    url = f"{settings.ucdp_base_url.rstrip('/')}/api/gedevents/{version}"
    filters: dict[str, str] = {}
    if countries:
        filters["Country"] = ",".join(str(c) for c in sorted(countries))
    if start:
        filters["StartDate"] = start.isoformat()
    if end:
        filters["EndDate"] = end.isoformat()
    location = url_with_params(url, filters)
    name = "_".join(["gedevents", version, *(f"{k}-{v}" for k, v in filters.items())]) + ".csv"
    with HttpClient(
        source="ucdp",
        cache_dir=settings.cache_dir,
        offline_hint=f"Download GED {version} elsewhere and run {_ingest_command(version)}",
        auth_hint=_TOKEN_HINT,
        policy=policy,
    ) as client:
        path = client.cache / name
        if refresh or not is_cached(path):
            events = _fetch_events(client, url, filters, token, page_size, location, step)
            write_cache_csv(path, GED_COLUMNS, events)
    return ingest_ged(
        con, path, version=version, candidate=is_candidate(version), location=location, step=step
    )


def _fetch_events(
    client: HttpClient,
    url: str,
    filters: dict[str, str],
    token: str,
    page_size: int,
    location: str,
    step: Step,
) -> list[dict[str, Any]]:
    """Every page of a query, checked against the API's announced ``TotalCount``.

    Pages are requested by number rather than by following ``NextPageUrl``: the token
    then only ever goes to the configured host.
    """
    events: list[dict[str, Any]] = []
    page, pages = 0, 1
    while page < pages:
        step(f"UCDP API page {page + 1} of {pages if page else '?'}")
        body = json_body(
            client.request(
                "GET",
                url,
                params={**filters, "pagesize": page_size, "page": page},
                headers={TOKEN_HEADER: token},
            )
        )
        try:
            total, pages, result = int(body["TotalCount"]), int(body["TotalPages"]), body["Result"]
        except (KeyError, TypeError, ValueError) as exc:
            raise FetchError(f"{url} page {page}: not a UCDP API answer ({exc!r})") from exc
        if not isinstance(result, list):
            raise FetchError(f"{url} page {page}: Result is not a list of events")
        events.extend(result)
        page += 1
    if len(events) != total:
        raise IncompleteError(
            f"the UCDP API announced {total} events for {location} but {len(events)} "
            "arrived; nothing was stored, fetch again"
        )
    return events


def fetch_ged_release(
    con: duckdb.DuckDBPyConnection,
    version: str,
    *,
    settings: Settings,
    refresh: bool = False,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> IngestReport:
    """Download the zipped CSV of yearly GED release ``version`` and ingest it.

    Parameters
    ----------
    con
        An open store.
    version
        Yearly release, e.g. ``25.1`` (downloads ``ged251-csv.zip``).
    settings
        Supplies ``cache_dir`` and ``ucdp_release_url`` (where UCDP publishes them).
    refresh
        Download again even when the file is in the cache.
    policy
        Retries, rate limit and timeouts of the HTTP client.
    step
        Progress sink.

    Examples
    --------
    >>> fetch_ged_release(con, "25.1", settings=Settings())   # doctest: +SKIP
    IngestReport(source='ged', version='25.1', ...)
    """
    name = release_file_name(version)
    url = f"{settings.ucdp_release_url.rstrip('/')}/{name}"
    with HttpClient(
        source="ucdp",
        cache_dir=settings.cache_dir,
        offline_hint=f"Download {url} elsewhere and run {_ingest_command(version)}",
        policy=policy,
    ) as client:
        step(f"download {name}")
        path = client.download(url, name, refresh=refresh)
    return ingest_ged(con, path, version=version, location=url, step=step)


__all__ = [
    "fetch_ged",
    "fetch_ged_release",
    "is_candidate",
    "release_file_name",
]
