"""ACLED API: the events of chosen countries and period, and the events ACLED withdrew.

ACLED's API authenticates with OAuth: a password grant (``POST {base}/oauth/token``
with the account's email and password, ``client_id=acled``) gives an access token,
sent as ``Authorization: Bearer``, and a refresh token. When the access token lapses
(its ``expires_in`` has passed, or the API answers 401) it is renewed with the refresh
token, falling back to the password when the refresh token is refused too.

:func:`download_acled` reads ``{base}/api/acled/read`` one country at a time, page by
page (``limit`` rows each) until a page comes back short, and the deleted-events list
``{base}/api/deleted/read`` since the period's start (an event dated in the period
cannot have been withdrawn before the period began). It writes both to the download
cache as CSV, the events in ACLED's export layout, so the API and the export tool give
the same kind of file. :func:`fetch_acled` then ingests that file with
:func:`~sentinelle.sources.acled.ingest_acled`, passing the withdrawn ids.

Offline, both fail within seconds naming the command to ingest an export instead.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import AuthError, FetchError, IncompleteError, UsageError
from sentinelle.sources.acled import ingest_acled
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
from sentinelle.steps import Step, no_step

# The layout of ACLED's current exports. It is wider than the columns the adapter needs
# (acled.ACLED_COLUMNS) and carries the numeric ``iso``, which the adapter translates,
# rather than ``iso3``.
EXPORT_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
DELETED_COLUMNS = ("event_id_cnty", "deleted_timestamp")
PAGE_LIMIT = 5000  # rows per page, the API's default
CLIENT_ID = "acled"
# Renew a token this long before it expires, so that it does not lapse mid-request.
_EXPIRY_MARGIN = 60.0
# ACLED's access tokens last 24 hours; used if an answer omits expires_in.
_DEFAULT_EXPIRES_IN = 86_400.0
_CREDENTIALS_HINT = (
    "check SENTINELLE_ACLED_USERNAME (the account's email) and SENTINELLE_ACLED_PASSWORD "
    "(or acled_username / acled_password in sentinelle.toml)"
)
_INGEST_COMMAND = "`sentinelle ingest acled PATH`"


@dataclass(frozen=True)
class AcledDownload:
    """What :func:`download_acled` put in the cache.

    Attributes
    ----------
    events
        CSV of the events, in the :data:`EXPORT_COLUMNS` layout.
    deleted
        ``event_id_cnty`` of events ACLED withdrew since the period's start.
    location
        The query URL, recorded as the ingest's provenance.
    """

    events: Path
    deleted: tuple[str, ...]
    location: str


class _Tokens:
    """OAuth tokens of one ACLED account, obtained and renewed when needed."""

    def __init__(self, client: HttpClient, url: str, username: str, password: str) -> None:
        self._client, self._url = client, url
        self._username, self._password = username, password
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0

    def header(self) -> dict[str, str]:
        """The ``Authorization`` header, with a token renewed first if it has lapsed."""
        if self._access is None or time.monotonic() >= self._expires_at:
            self._renew()
        return {"Authorization": f"Bearer {self._access}"}

    def expire(self) -> None:
        """Drop the access token the API just refused; the next header renews it."""
        self._access = None

    def _renew(self) -> None:
        # The refresh token spares resending the password, but it expires as well
        # (after two weeks), so the password grant remains the fallback.
        if (
            self._refresh
            and self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh}) is None
        ):
            return
        refusal = self._grant(
            {"grant_type": "password", "username": self._username, "password": self._password}
        )
        if refusal is not None:
            raise AuthError(f"ACLED refused the account ({refusal}); {_CREDENTIALS_HINT}")

    def _grant(self, form: dict[str, str]) -> str | None:
        """Ask for tokens; None on success, else the refusal (status and body)."""
        response = self._client.request(
            "POST", self._url, data={**form, "client_id": CLIENT_ID}, passthrough=(400, 401, 403)
        )
        if response.is_error:
            return f"HTTP {response.status_code}: {response.text[:200]!r}"
        body = json_body(response)
        try:
            access = str(body["access_token"])
            announced = body.get("expires_in")
            expires_in = _DEFAULT_EXPIRES_IN if announced is None else float(announced)
        except (KeyError, TypeError, ValueError) as exc:
            raise FetchError(f"{self._url}: not an OAuth token answer ({exc!r})") from exc
        self._access = access
        self._refresh = body.get("refresh_token") or self._refresh
        self._expires_at = time.monotonic() + expires_in - _EXPIRY_MARGIN
        return None


def _read(
    client: HttpClient, tokens: _Tokens, url: str, params: dict[str, str | int]
) -> dict[str, Any]:
    """One API answer; a 401 (token lapsed on the server's clock) renews it once."""
    for _ in range(2):
        response = client.request(
            "GET", url, params=params, headers=tokens.header(), passthrough=(401,)
        )
        if response.status_code != 401:
            body = json_body(response)
            if not isinstance(body, dict):
                raise FetchError(f"{response.request.url}: expected a JSON object")
            return body
        tokens.expire()
    raise AuthError(f"ACLED refused a newly issued access token for {url}; {_CREDENTIALS_HINT}")


def _pages(
    client: HttpClient,
    tokens: _Tokens,
    url: str,
    params: dict[str, str | int],
    limit: int,
    step: Step,
    what: str,
) -> list[dict[str, Any]]:
    """Every row of a query, page by page until a page is not full."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        step(f"ACLED {what}: page {page}")
        body = _read(client, tokens, url, {**params, "limit": limit, "page": page})
        data = body.get("data")
        if body.get("success") is False or not isinstance(data, list):
            raise FetchError(
                f"ACLED API error for {url} page {page}: "
                f"{body.get('error') or body.get('messages') or str(body)[:200]}"
            )
        if "count" in body and int(body["count"]) != len(data):
            raise IncompleteError(
                f"ACLED announced {body['count']} rows on page {page} of {url} but "
                f"{len(data)} arrived; nothing was stored, fetch again"
            )
        rows.extend(data)
        # Only a full page can have a successor. A page longer than the limit means the
        # endpoint ignored it and sent everything: asking for page 2 would repeat it.
        if len(data) != limit:
            return rows
        page += 1


def download_acled(
    *,
    settings: Settings,
    countries: Sequence[str],
    start: date,
    end: date,
    refresh: bool = False,
    limit: int = PAGE_LIMIT,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> AcledDownload:
    """Download ACLED events of ``countries`` from ``start`` to ``end`` into the cache.

    Parameters
    ----------
    settings
        Supplies ``acled_username``, ``acled_password``, ``acled_base_url``, ``cache_dir``.
    countries
        Country names as ACLED spells them (``"Mali"``, ``"Burkina Faso"``).
    start, end
        First and last event date, inclusive.
    refresh
        Query the API even when the same query is in the cache.
    limit
        Rows per page.
    policy
        Retries, rate limit and timeouts of the HTTP client.
    step
        Progress sink, called at each page.

    Returns
    -------
    AcledDownload
        The cached events CSV, the withdrawn ids and the query URL.

    Raises
    ------
    AuthError
        Credentials are missing or refused.
    IncompleteError
        A page held fewer rows than it announced; nothing is cached.
    OfflineError
        The API cannot be reached; the message names the command for an export.

    Examples
    --------
    >>> download_acled(settings=Settings(), countries=["Mali"],
    ...                start=date(2023, 1, 1), end=date(2023, 12, 31))  # doctest: +SKIP
    AcledDownload(events=PosixPath('.../acled/acled_Mali_2023-01-01_2023-12-31.csv'), ...)
    """
    if not countries:
        raise UsageError("name at least one country: ACLED's whole world is too big a query")
    if start > end:
        raise UsageError(f"start {start} is after end {end}")
    password = settings.acled_password.get_secret_value() if settings.acled_password else ""
    if not settings.acled_username or not password:
        raise AuthError(
            "the ACLED API needs your ACLED account: set SENTINELLE_ACLED_USERNAME (its "
            "email) and SENTINELLE_ACLED_PASSWORD (or acled_username / acled_password in "
            f"sentinelle.toml); or export the events from ACLED's website and run {_INGEST_COMMAND}"
        )
    base = settings.acled_base_url.rstrip("/")
    read_url = f"{base}/api/acled/read"
    names = sorted(set(countries))
    period = f"{start.isoformat()}|{end.isoformat()}"
    location = url_with_params(read_url, {"country": "|".join(names), "event_date": period})
    stem = "_".join(
        ["acled", *(re.sub(r"\W+", "-", n) for n in names), start.isoformat(), end.isoformat()]
    )
    with HttpClient(
        source="acled",
        cache_dir=settings.cache_dir,
        offline_hint=f"Export the events from ACLED's website elsewhere and run {_INGEST_COMMAND}",
        auth_hint=_CREDENTIALS_HINT,
        policy=policy,
    ) as client:
        events = client.cache / f"{stem}.csv"
        deleted = client.cache / f"{stem}.deleted.csv"
        if refresh or not (is_cached(events) and is_cached(deleted)):
            tokens = _Tokens(client, f"{base}/oauth/token", settings.acled_username, password)
            rows: list[dict[str, Any]] = []
            for name in names:
                query: dict[str, str | int] = {
                    "_format": "json",
                    "country": name,
                    "event_date": period,
                    "event_date_where": "BETWEEN",
                }
                rows += _pages(client, tokens, read_url, query, limit, step, name)
            since = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
            withdrawn = _pages(
                client,
                tokens,
                f"{base}/api/deleted/read",
                {"_format": "json", "deleted_timestamp": since},
                limit,
                step,
                "deleted events",
            )
            write_cache_csv(deleted, DELETED_COLUMNS, withdrawn)
            write_cache_csv(events, EXPORT_COLUMNS, rows)
    with deleted.open(newline="", encoding="utf-8") as fh:
        ids = tuple(row["event_id_cnty"] for row in csv.DictReader(fh))
    return AcledDownload(events=events, deleted=ids, location=location)


def fetch_acled(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings,
    countries: Sequence[str],
    start: date,
    end: date,
    refresh: bool = False,
    limit: int = PAGE_LIMIT,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> IngestReport:
    """Download ACLED events (see :func:`download_acled`) and ingest them.

    Stored events of the same countries and period that the API no longer returns, and
    events on ACLED's deleted list, are marked ``deleted`` by the ingest.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                               # doctest: +SKIP
    >>> fetch_acled(con, settings=Settings(), countries=["Mali"],
    ...             start=date(2023, 1, 1), end=date(2023, 12, 31))         # doctest: +SKIP
    IngestReport(source='acled', ...)
    """
    download = download_acled(
        settings=settings, countries=countries, start=start, end=end, refresh=refresh,
        limit=limit, policy=policy, step=step,
    )  # fmt: skip
    return ingest_acled(
        con, download.events, deleted=download.deleted, location=download.location, step=step
    )


__all__ = ["EXPORT_COLUMNS", "AcledDownload", "download_acled", "fetch_acled"]
