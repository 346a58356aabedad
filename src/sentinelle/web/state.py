"""What one dashboard app holds: its settings, its two stores, caches, limits.

The main store (events, deployments, forecasts, impact estimates, alerts) is read
only, through short read-only connections (:class:`~sentinelle.web.access.MainStore`,
dependency :func:`db`), so that the command line can ingest while the server runs.
The server's own writes (users, sessions, analyst reports) go to the web store beside
it (:mod:`~sentinelle.web.webstore`, dependency :func:`webdb`). See decision 0009.

The JSON of published reads is computed once per distinct query and data version and
kept (:class:`ResponseCache`), gzip-compressed beside the plain bytes and with an ETag,
so that the map endpoint answers in well under a millisecond of server time after the
first request; at most :data:`MAX_BUILDS` answers are computed at once, so that heavy
aggregates cannot take every worker thread and CPU from cached reads.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import duckdb
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from sentinelle.config import Settings
from sentinelle.errors import StoreBusyError
from sentinelle.web.access import MainStore
from sentinelle.web.webstore import WebStore

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MAX_BUILDS", "CachedBody", "ResponseCache", "WebState", "db", "web_state", "webdb"]

Key = tuple[object, ...]
Version = tuple[int, ...]

# Bodies smaller than this are sent as they are: gzip would save little.
_GZIP_MIN_BYTES = 1024
# Answers computed at once: each DuckDB query already uses every core.
MAX_BUILDS = 2


@dataclass(frozen=True)
class CachedBody:
    """A JSON body, its gzip encoding and its (weak) ETag."""

    body: bytes
    gzipped: bytes | None
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CachedBody:
        """Compress and fingerprint ``body``."""
        gzipped = gzip.compress(body, compresslevel=6) if len(body) >= _GZIP_MIN_BYTES else None
        # Weak: the plain and gzip encodings share it, being the same representation.
        etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        return cls(body, gzipped, etag)

    def response(self, request: Request) -> Response:
        """The body as a response, 304 when the client has it, gzip when accepted."""
        headers = {"ETag": self.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if self.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type="application/json", headers=headers)
        return Response(self.body, media_type="application/json", headers=headers)


class ResponseCache:
    """A bounded LRU cache of JSON bodies keyed by endpoint and query, each of a data version.

    An entry answers only requests made at its version of the main store. When the
    store has changed but cannot be read yet (an ingest is still writing it), the
    entry of the previous version is served, marked ``X-Sentinelle-Stale: 1``, rather
    than a 503: the map keeps showing the last committed data during an ingest.

    Concurrent first requests for one key wait for a single computation instead of
    each running the query (the benchmark's 50 clients start together).
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[Key, tuple[Version, CachedBody]] = OrderedDict()
        self._pending: dict[Key, asyncio.Lock] = {}
        self._lock = threading.Lock()
        self._builds = asyncio.Semaphore(MAX_BUILDS)
        self.max_entries = max_entries

    def fresh(self, key: Key, version: Version) -> CachedBody | None:
        """The entry for ``key`` if it was computed at ``version``."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def _put(self, key: Key, version: Version, entry: CachedBody) -> None:
        with self._lock:
            self._entries[key] = (version, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _stale(self, key: Key) -> CachedBody | None:
        with self._lock:
            found = self._entries.get(key)
            return None if found is None else found[1]

    async def respond(
        self, request: Request, key: Key, version: Version, build: Callable[[], bytes]
    ) -> Response:
        """Answer from the cache, computing ``build()`` in a worker thread on a miss."""
        entry = self.fresh(key, version)
        if entry is None:
            lock = self._pending.setdefault(key, asyncio.Lock())
            try:
                async with lock:
                    entry = self.fresh(key, version)
                    if entry is None:
                        async with self._builds:
                            entry = CachedBody.of(await run_in_threadpool(build))
                        self._put(key, version, entry)
            except StoreBusyError:
                stale = self._stale(key)
                if stale is None:
                    raise
                response = stale.response(request)
                response.headers["X-Sentinelle-Stale"] = "1"
                return response
            finally:
                self._pending.pop(key, None)
        return entry.response(request)


@dataclass
class WebState:
    """Per-app state, kept on ``app.state.web``."""

    settings: Settings
    main: MainStore
    web: WebStore
    heavy_rate_limit: str = "60/minute"
    cache: ResponseCache = field(default_factory=ResponseCache)
    limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage())
    )

    @cached_property
    def limits(self) -> dict[str, RateLimitItem]:
        """Rate limits by name: ``login``, ``write``, and ``heavy`` (uncached anonymous reads)."""
        return {
            "login": parse(self.settings.login_rate_limit),
            "write": parse(self.settings.write_rate_limit),
            "heavy": parse(self.heavy_rate_limit),
        }

    @cached_property
    def outlines(self) -> gpd.GeoDataFrame:
        """Country outlines (read on first use: geopandas takes a second to load)."""
        from sentinelle.geo.boundaries import read_country_outlines

        return read_country_outlines(self.settings.boundaries)


def web_state(request: Request) -> WebState:
    """The app's :class:`WebState` (a FastAPI dependency)."""
    state: WebState = request.app.state.web
    return state


def db(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the main store for one request (a FastAPI dependency)."""
    with web_state(request).main.connect() as con:
        yield con


def webdb(request: Request) -> Iterator[sqlite3.Connection]:
    """A connection to the web store for one request (a FastAPI dependency)."""
    with web_state(request).web.connect() as con:
        yield con
