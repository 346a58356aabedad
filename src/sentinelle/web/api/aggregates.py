"""Subnational monthly aggregates for the map: months covered, choropleth values by P-code,
unit polygons, and a mission's bases open or closed at a month.

The map's slider spans the months the aggregates cover (``/aggregates/months``); each
position asks ``/aggregates/values`` for that month's events and fatalities by P-code
and colours the polygons of ``/aggregates/units`` (the ``admin_boundaries`` files,
simplified). ``/aggregates/bases`` gives each base's status at a month, the unit it
lies in and what the closure table's sources say happened to it. ``/aggregates/places``
gives the names the map writes (countries, regions, cercles/provinces, towns of the
deployments), in the language asked.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import duckdb
from fastapi import HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sentinelle.errors import NoDataError
from sentinelle.i18n import Lang
from sentinelle.web import aggregates_data
from sentinelle.web.api.params import Country, Mission, Month
from sentinelle.web.api.responses import cached, error_responses, published_router, validated
from sentinelle.web.api.schemas import PlaceLabelsOut
from sentinelle.web.language import request_lang
from sentinelle.web.messages import refusal
from sentinelle.web.state import web_state

__all__ = ["AggregateMonthsOut", "AggregateValue", "AggregateValuesOut", "BaseStatusOut", "router"]

router = published_router()

Level = Annotated[
    int | None,
    Query(
        ge=1,
        le=2,
        description="Admin level (1 regions, 2 cercles/provinces); the finest stored if omitted",
    ),
]
Series = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z_]{2,40}$",
        description="political_violence (default), civilian_targeting, ...",
    ),
]
AggregateSource = Annotated[
    str, Query(pattern=r"^[a-z_-]{2,32}$", description="Aggregate source, e.g. acled-hdx")
]
RequiredMonth = Annotated[str, Query(pattern=r"^(19[89]\d|20\d\d)-(0[1-9]|1[0-2])$")]
Language = Annotated[
    Lang | None,
    Query(description="Language of the names (en, fr); the reader's (cookie, browser) if omitted"),
]
TextLanguage = Annotated[
    Lang | None,
    Query(
        description="Language of the closure table's texts (en, fr); the reader's (cookie, "
        "browser) if omitted"
    ),
]


class AggregateMonthsOut(BaseModel):
    """What a country's aggregates cover at one admin level and series."""

    country: str
    source: str
    level: int
    series: str
    series_available: list[str]
    first_month: str
    last_month: str
    first_month_id: int
    last_month_id: int
    units: int = Field(description="Units (P-codes) with values")
    as_of: str | None = Field(description="Latest as-of version stored (publisher's date)")


class AggregateValue(BaseModel):
    """A unit's current events and fatalities in the month."""

    pcode: str
    name: str | None
    admin1_name: str | None
    events: int
    fatalities: int


class AggregateValuesOut(AggregateMonthsOut):
    """The choropleth of one month: every unit's values by P-code."""

    month: str
    month_id: int
    values: list[AggregateValue]


class BaseStatusOut(BaseModel):
    """A base, its status at the month asked, and the unit it lies in."""

    mission: str
    base: str
    latitude: float
    longitude: float
    open_month: str
    open_month_id: int
    closed_from: str | None = Field(description="First full month without the base")
    closed_from_id: int | None
    closure_date: dt.date | None
    date_precision: str | None
    event: str | None = Field(description="What the closure table's sources say happened")
    taken_over_by: str | None = Field(description="Who took the site, where sources say so")
    citation: str | None
    deployment_source: str
    pcode: str | None = Field(description="P-code of the unit holding the base")
    unit_name: str | None
    status_at: Literal["open", "closed", "not_open_yet"] | None = Field(
        description="At the requested month"
    )


def _not_found(exc: NoDataError) -> HTTPException:
    """The 404 saying what the store lacks, in the reader's language."""
    return refusal(status.HTTP_404_NOT_FOUND, exc)


@router.get(
    "/aggregates/months",
    response_model=AggregateMonthsOut,
    tags=["aggregates"],
    responses=error_responses(404),
)
async def months(
    request: Request,
    country: Country,
    level: Level = None,
    series: Series = None,
    source: AggregateSource = aggregates_data.DEFAULT_SOURCE,
) -> Response:
    """The months a country's subnational aggregates cover (the map's slider span)."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return aggregates_data.aggregate_months(con, country, level, series, source)

    key = ("aggregates-months", country, level, series, source)
    try:
        return await cached(request, key, validated(AggregateMonthsOut, build))
    except NoDataError as exc:
        raise _not_found(exc) from None


@router.get(
    "/aggregates/values",
    response_model=AggregateValuesOut,
    tags=["aggregates"],
    responses=error_responses(404),
)
async def values(
    request: Request,
    country: Country,
    month: RequiredMonth,
    level: Level = None,
    series: Series = None,
    source: AggregateSource = aggregates_data.DEFAULT_SOURCE,
) -> Response:
    """Events and fatalities of every unit in one month, by P-code (the choropleth)."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return aggregates_data.choropleth_values(con, country, month, level, series, source)

    key = ("aggregates-values", country, month, level, series, source)
    try:
        return await cached(request, key, validated(AggregateValuesOut, build))
    except NoDataError as exc:
        raise _not_found(exc) from None


@router.get("/aggregates/units", tags=["aggregates"])
async def units(
    request: Request,
    country: Country,
    level: Level = None,
    source: AggregateSource = aggregates_data.DEFAULT_SOURCE,
) -> Response:
    """Polygons of the country's aggregate units (GeoJSON, simplified), from the
    ``admin_boundaries`` setting; ``missing`` lists P-codes without a polygon."""
    paths = tuple(web_state(request).settings.admin_boundaries)

    def build(con: duckdb.DuckDBPyConnection) -> bytes:
        return aggregates_data.units_geojson(con, paths, country, level, source)

    return await cached(request, ("aggregates-units", country, level, source, paths), build)


@router.get(
    "/aggregates/bases",
    response_model=list[BaseStatusOut],
    tags=["aggregates"],
    responses=error_responses(404),
)
async def bases(
    request: Request, mission: Mission, month: Month = None, lang: TextLanguage = None
) -> Response:
    """A mission's bases with their status at ``month``, their unit (P-code) and what the
    closure table's sources say happened to each closed site (in ``lang``)."""
    paths = tuple(web_state(request).settings.admin_boundaries)
    language = lang or request_lang(request)

    def build(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        return aggregates_data.bases_at(con, mission, month, paths, language)

    key = ("aggregates-bases", mission.upper(), month, paths, language)
    try:
        return await cached(request, key, validated(list[BaseStatusOut], build))
    except NoDataError as exc:
        raise _not_found(exc) from None


@router.get("/aggregates/places", response_model=PlaceLabelsOut, tags=["aggregates"])
async def places(
    request: Request,
    country: Country,
    lang: Language = None,
    source: AggregateSource = aggregates_data.DEFAULT_SOURCE,
) -> Response:
    """Place names of the map: the country and its neighbours, its admin-1 and admin-2
    units (from the boundary files and stored aggregates), the towns of the deployments;
    each at a point inside it, with the unit named in a sentence (``place``)."""
    state = web_state(request)
    paths = tuple(state.settings.admin_boundaries)
    language = lang or request_lang(request)

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return aggregates_data.place_labels(con, paths, country, state.outlines, language, source)

    key = ("aggregates-places", country, language, source, paths)
    return await cached(request, key, validated(PlaceLabelsOut, build))
