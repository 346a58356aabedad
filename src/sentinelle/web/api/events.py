"""Published events for the map and the trends: store coverage, GeoJSON events and outlines,
monthly fatalities."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from sentinelle.i18n import N_
from sentinelle.web import data
from sentinelle.web.api.params import Country, Month, OptionalCountry, Source
from sentinelle.web.api.responses import cached, invalid, published_router, validated
from sentinelle.web.api.schemas import EventCollection, MetaOut, TrendsOut
from sentinelle.web.state import web_state

__all__ = ["router"]

router = published_router()


@router.get("/meta", response_model=MetaOut, tags=["data"])
async def meta(request: Request) -> Response:
    """Countries with events (sources, months), missions, forecast levels stored."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return {
            "countries": data.coverage(con),
            "missions": data.missions(con),
            "forecast_units": data.forecast_units(con),
        }

    return await cached(request, ("meta",), validated(MetaOut, build))


@router.get("/events", response_model=EventCollection, tags=["data"])
async def events(
    request: Request,
    country: Country,
    first: Annotated[Month, Query(alias="from")] = None,
    last: Annotated[Month, Query(alias="to")] = None,
    source: Source = None,
) -> Response:
    """A country's events as GeoJSON points (the map's layer), oldest first."""
    if first and last and first > last:
        raise invalid(
            ("query", "to"), N_("'to' (%(last)s) is before 'from' (%(first)s)"), last,
            last=last, first=first,
        )  # fmt: skip

    def build(con: duckdb.DuckDBPyConnection) -> bytes:
        body = data.events_geojson(con, country, first, last, source)
        EventCollection.model_validate_json(body)  # the promise the schema makes
        return body

    return await cached(request, ("events", country, first, last, source), build)


@router.get("/boundaries", tags=["data"])
async def boundaries(request: Request, country: OptionalCountry = None) -> Response:
    """Country outlines as GeoJSON (Natural Earth), simplified for the map."""
    state = web_state(request)

    def build(_: duckdb.DuckDBPyConnection) -> bytes:
        outlines = state.outlines
        if country is not None:
            outlines = outlines[outlines["iso3"] == country]
        return data.outlines_geojson(outlines)

    return await cached(request, ("boundaries", country), build)


@router.get("/trends", response_model=TrendsOut, tags=["data"])
async def trends(
    request: Request,
    country: Country,
    level: Literal["country", "admin1"] = "country",
    source: Source = None,
) -> Response:
    """Monthly fatalities of a country or of its admin-1 regions (months without events: 0).

    One source is counted (the country's largest when omitted), since GED and ACLED
    report the same killings.
    """

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        chosen = data.country_source(con, country, source)
        points = data.trend_points(con, country, level, chosen) if chosen else []
        return {"country": country, "level": level, "source": chosen, "points": points}

    return await cached(request, ("trends", country, level, source), validated(TrendsOut, build))
