"""What one dashboard app holds: its settings, the store connection, caches, limits.

DuckDB lets one process hold a store file read-write, and a connection must not be
used by two threads at once. The app therefore opens the store once and gives each
request its own cursor (:func:`db`): a cursor is a separate connection to the same
database instance, costs about 0.3 ms to open, and lets reads run in parallel while
DuckDB's own transactions keep writes consistent.

Every published dataset the dashboard shows (events, deployments, forecasts, impact
estimates, alerts) is read-only for the server: the store is locked by the server, so
nothing else writes it while it runs. The JSON of those endpoints is therefore
computed once per distinct query and kept (:class:`ResponseCache`), gzip-compressed
beside the plain bytes and with an ETag, so that the map endpoint answers in well
under a millisecond of server time after the first request.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
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

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["CachedBody", "ResponseCache", "WebState", "db", "web_state"]

# Bodies smaller than this are sent as they are: gzip would save little.
_GZIP_MIN_BYTES = 1024


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
    """A bounded LRU cache of JSON bodies keyed by endpoint and query.

    Concurrent first requests for one key wait for a single computation instead of
    each running the query (the benchmark's 50 clients start together).
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[tuple[object, ...], CachedBody] = OrderedDict()
        self._pending: dict[tuple[object, ...], asyncio.Lock] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def _get(self, key: tuple[object, ...]) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key: tuple[object, ...], entry: CachedBody) -> None:
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    async def respond(
        self, request: Request, key: tuple[object, ...], build: Callable[[], bytes]
    ) -> Response:
        """Answer from the cache, computing ``build()`` in a worker thread on a miss."""
        entry = self._get(key)
        if entry is None:
            lock = self._pending.setdefault(key, asyncio.Lock())
            async with lock:
                entry = self._get(key)
                if entry is None:
                    entry = CachedBody.of(await run_in_threadpool(build))
                    self._put(key, entry)
            self._pending.pop(key, None)
        return entry.response(request)


@dataclass
class WebState:
    """Per-app state, kept on ``app.state.web``."""

    settings: Settings
    con: duckdb.DuckDBPyConnection
    cache: ResponseCache = field(default_factory=ResponseCache)
    limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage())
    )

    @cached_property
    def limits(self) -> dict[str, RateLimitItem]:
        """Rate limits by name: ``login`` and ``write``."""
        return {
            "login": parse(self.settings.login_rate_limit),
            "write": parse(self.settings.write_rate_limit),
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
    """A cursor on the store for one request (a FastAPI dependency)."""
    cursor = web_state(request).con.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
