"""Who is fighting in a country: the most lethal actors and the dyad network."""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from sentinelle.web import data
from sentinelle.web.api.params import Country, Period, Source
from sentinelle.web.api.responses import cached, published_router, validated
from sentinelle.web.api.schemas import ActorRow, DyadsOut

__all__ = ["router"]

router = published_router()


@router.get("/actors", response_model=list[ActorRow], tags=["data"])
async def actors(
    request: Request,
    country: Country,
    period: Period = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The most lethal actors of a country (canonical registry names where matched)."""

    def build(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        chosen = data.country_source(con, country, source)
        return data.actors_table(con, country, period, chosen, limit)

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

    def build(con: duckdb.DuckDBPyConnection) -> data.DyadGraph:
        return data.dyad_graph(
            con, country, period, data.country_source(con, country, source), limit
        )

    key = ("dyads", country, period, source, limit)
    return await cached(request, key, validated(DyadsOut, build))
