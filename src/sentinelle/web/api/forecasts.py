"""The latest stored forecast of country- or cell-months, summarised for the map and charts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import HTTPException, Query, Request, status
from fastapi.responses import Response

from sentinelle.errors import NoDataError
from sentinelle.web import data
from sentinelle.web.api.params import OptionalCountry
from sentinelle.web.api.responses import cached, error_responses, published_router, validated
from sentinelle.web.api.schemas import ForecastOut
from sentinelle.web.state import web_state

__all__ = ["router"]

router = published_router()


@router.get("/forecast", response_model=ForecastOut, tags=["data"], responses=error_responses(404))
async def forecast(
    request: Request,
    unit: Annotated[Literal["cm", "pgm"], Query(description="Country- or cell-months")] = "cm",
    country: OptionalCountry = None,
    threshold: Annotated[float, Query(ge=1, le=100_000, description="Fatalities")] = 25,
) -> Response:
    """The latest stored forecast: median, 50% and 90% intervals, P(>= threshold)."""
    state = web_state(request)

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        outlines = state.outlines if unit == "pgm" and country else None
        found = data.forecast_rows(con, outlines, unit, country, threshold)
        if found is None:
            raise NoDataError(f"no {unit} forecast stored (run `sentinelle forecast`)")
        return found

    try:
        return await cached(
            request, ("forecast", unit, country, threshold), validated(ForecastOut, build)
        )
    except NoDataError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
