"""The latest stored forecast of country- or cell-months, summarised for the map and charts,
and of a country's admin units (cercles, provinces) for the map's forecast choropleth."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import Query, Request, status
from fastapi.responses import Response

from sentinelle.errors import NoDataError
from sentinelle.i18n import N_, Lang
from sentinelle.web import aggregates_data, data
from sentinelle.web.api.params import MONTH_PATTERN, Country, OptionalCountry
from sentinelle.web.api.responses import cached, error_responses, published_router, validated
from sentinelle.web.api.schemas import ForecastOut, UnitForecastOut
from sentinelle.web.language import request_lang
from sentinelle.web.messages import NotStored, refusal, word
from sentinelle.web.state import web_state

__all__ = ["UNIT_WORDS", "no_forecast", "router"]

router = published_router()

# What a forecast's units are, as a word of the catalogue.
UNIT_WORDS = {"cm": N_("country-month"), "pgm": N_("cell-month")}


def no_forecast(unit: str) -> NotStored:
    """The error saying no forecast of ``unit`` (cm, pgm) is stored, and how to make one."""
    return NotStored(
        N_("no %(units)s forecast stored (run `sentinelle forecast --unit %(unit)s`)"),
        units=word(UNIT_WORDS[unit]),
        unit=unit,
    )


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
            raise no_forecast(unit)
        return found

    try:
        return await cached(
            request, ("forecast", unit, country, threshold), validated(ForecastOut, build)
        )
    except NoDataError as exc:
        raise refusal(status.HTTP_404_NOT_FOUND, exc) from None


@router.get(
    "/forecast/units",
    response_model=UnitForecastOut,
    tags=["data"],
    responses=error_responses(404),
)
async def unit_forecast(
    request: Request,
    country: Country,
    unit: Annotated[
        Literal["admin1", "admin2"], Query(description="Admin-1 or admin-2 units")
    ] = "admin2",
    source: Annotated[
        str, Query(pattern=r"^[a-z_-]{2,32}$", description="Source the forecast was made from")
    ] = aggregates_data.DEFAULT_SOURCE,
    month: Annotated[
        str | None,
        Query(pattern=MONTH_PATTERN, description="A forecast month; the first if omitted"),
    ] = None,
    threshold: Annotated[float, Query(ge=1, le=100_000, description="Fatalities")] = 25,
    lang: Annotated[
        Lang | None, Query(description="Language of the place names; the reader's if omitted")
    ] = None,
) -> Response:
    """The latest stored forecast of a country's admin units (``sentinelle forecast --unit
    admin2 --source acled-hdx --country MLI``) for one month: per unit the expected
    fatalities, median, 50% and 90% intervals and P(>= threshold), with the forecast's
    origin and how far the data behind it go."""
    language = lang or request_lang(request)

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return aggregates_data.unit_forecast(con, country, unit, source, month, threshold, language)

    key = ("forecast-units", country, unit, source, month, threshold, language)
    try:
        return await cached(request, key, validated(UnitForecastOut, build))
    except NoDataError as exc:
        raise refusal(status.HTTP_404_NOT_FOUND, exc) from None
