"""How the API's routes answer: cached and validated JSON, documented error statuses.

- :func:`cached`: answer a read from the response cache, building it on a miss
  (anonymous clients' misses count against the ``heavy`` rate limit).
- :func:`validated`: a builder whose result is checked against its response model.
- :func:`invalid`: a 422 in FastAPI's own shape, for checks that need the store.
- :func:`error_responses`: the error statuses a route documents in the schema.
- :func:`published_router`: a router for published datasets (open unless
  ``require_login`` is set).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import TypeAdapter

from sentinelle.web.api.schemas import ErrorOut
from sentinelle.web.auth import count_request, login_gate, signed_in
from sentinelle.web.messages import InvalidValue
from sentinelle.web.state import web_state

__all__ = ["Build", "cached", "error_responses", "invalid", "published_router", "validated"]

Build = Callable[[duckdb.DuckDBPyConnection], bytes]

_ERROR_TEXT = {
    400: "Body unreadable (neither UTF-8 JSON nor form data)",
    401: "Not signed in",
    403: "Role too low, or CSRF token missing or invalid",
    404: "Nothing stored for this query",
    409: "Conflicts with the stored state",
    429: "Rate limit exceeded (see Retry-After)",
    503: "The store is being written by an ingest (see Retry-After)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` a route documents for the error statuses ``codes``."""
    return {code: {"model": ErrorOut, "description": _ERROR_TEXT[code]} for code in codes}


def published_router() -> APIRouter:
    """A router of published-dataset reads, behind the ``require_login`` gate."""
    return APIRouter(dependencies=[Depends(login_gate)], responses=error_responses(401, 429, 503))


def invalid(
    field: tuple[str, ...], msgid: str, value: object, /, **params: Any
) -> RequestValidationError:
    """A 422 in FastAPI's own shape, for checks that need the store or several fields:
    ``msgid`` an ``N_``-marked message of the catalogue, said in the reader's language."""
    reason = InvalidValue(msgid, **params)
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": field,
                "msg": str(reason),
                "input": value,
                "ctx": {"error": reason},
            }
        ]
    )


async def cached(request: Request, key: tuple[object, ...], build: Build) -> Response:
    """Answer from the response cache; on a miss run ``build`` on a read-only connection.

    The key includes the main store's version, so an ingest's data shows at once.
    Cached reads take no connection and no worker thread: a hit costs well under a
    millisecond, which is what keeps the map endpoint fast under load. A miss may
    cost seconds of CPU (dyads of a country's full record): anonymous clients are
    allowed ``heavy_rate_limit`` of them (429 beyond), signed-in users any number.
    """
    state = web_state(request)
    version = state.main.version()
    if state.cache.fresh(key, version) is None and await signed_in(request) is None:
        count_request(request, "heavy")

    def run() -> bytes:
        with state.main.connect() as con:
            return build(con)

    return await state.cache.respond(request, key, version, run)


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def validated(kind: Any, build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Build:
    """A builder whose result is validated against ``kind`` before it is cached."""
    return lambda con: _adapter(kind).dump_json(_adapter(kind).validate_python(build(con)))
