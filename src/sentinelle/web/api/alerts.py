"""Recorded alerts, newest first, with their English subject lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from sentinelle.web import data
from sentinelle.web.api.params import OptionalCountry
from sentinelle.web.api.responses import cached, published_router, validated
from sentinelle.web.api.schemas import AlertOut

__all__ = ["router"]

router = published_router()


@router.get("/alerts", response_model=list[AlertOut], tags=["data"])
async def alerts(
    request: Request,
    country: OptionalCountry = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Recorded alerts (of a country's units), newest first."""
    build = validated(list[AlertOut], lambda con: data.alerts_table(con, country, limit))
    return await cached(request, ("alerts", country, limit), build)
