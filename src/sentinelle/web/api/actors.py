"""Who is fighting in a country: the most lethal actors and the dyad network.

Both are cut from a country's whole ranking (every actor, every pair), which is
computed once per data version and kept (:meth:`~sentinelle.web.access.MainStore.memo`):
a new ``limit`` costs the cut and its JSON, not a scan of the events and the registry
matching, so uncached requests cannot take the CPU that cached map reads need.
"""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from sentinelle.web import data
from sentinelle.web.api.params import Country, Period, Source
from sentinelle.web.api.responses import cached, published_router, validated
from sentinelle.web.api.schemas import ActorRow, DyadsOut
from sentinelle.web.state import web_state

__all__ = ["router"]

router = published_router()


def _source(
    request: Request, con: duckdb.DuckDBPyConnection, version: tuple[int, ...],
    country: str, wanted: str | None,
) -> str | None:  # fmt: skip
    """``wanted``, or the country's largest source (the coverage kept per version)."""
    if wanted is not None:
        return wanted
    main = web_state(request).main
    countries = main.memo(("coverage",), version, lambda: data.coverage(con))
    return data.event_source(data.find_country(countries, country))


@router.get("/actors", response_model=list[ActorRow], tags=["data"])
async def actors(
    request: Request,
    country: Country,
    period: Period = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The most lethal actors of a country (canonical registry names where matched)."""

    main = web_state(request).main
    version = main.version()

    def build(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        chosen = _source(request, con, version, country, source)
        ranking = main.memo(
            ("actor_ranking", country, period, chosen),
            version,
            lambda: data.actor_ranking(con, country, period, chosen),
        )
        return data.top_actors(ranking, limit)

    key = ("actors", country, period, source, limit)
    return await cached(request, key, validated(list[ActorRow], build))


@router.get("/dyads", response_model=DyadsOut, tags=["data"])
async def dyads(
    request: Request,
    country: Country,
    period: Period = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Pairs with most events")] = 60,
) -> Response:
    """Who fought whom: the dyad network as nodes and edges."""

    main = web_state(request).main
    version = main.version()

    def build(con: duckdb.DuckDBPyConnection) -> data.DyadGraph:
        chosen = _source(request, con, version, country, source)
        ranking = main.memo(
            ("dyad_ranking", country, period, chosen),
            version,
            lambda: data.dyad_ranking(con, country, period, chosen),
        )
        return data.dyad_graph_of(ranking, limit)

    key = ("dyads", country, period, source, limit)
    return await cached(request, key, validated(DyadsOut, build))
