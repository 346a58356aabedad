"""The JSON API under ``/api``, described by the OpenAPI schema at ``/openapi.json``.

Reads of published datasets (events, bases, forecasts, trends, actors, impact,
alerts) are open to anyone unless ``require_login`` is set; they are cached per
query (:class:`~sentinelle.web.state.ResponseCache`). Analyst reports need a
session: viewers read them, analysts file them, admins review them and manage
users. Every POST or PATCH needs the session's CSRF token (``X-CSRF-Token``), which
``GET /api/session`` returns. Query parameters and bodies are validated: a bad
value is answered with 422 naming the field and the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import closing
from functools import cache
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from sentinelle.geo import country_table
from sentinelle.web import data
from sentinelle.web.auth import (
    MAX_PASSWORD,
    USERNAME_PATTERN,
    Role,
    User,
    authenticate,
    create_user,
    csrf_token,
    current_user,
    list_users,
    login_gate,
    rate_limit,
    require_role,
    start_session,
    update_user,
)
from sentinelle.web.incidents import (
    Incident,
    IncidentIn,
    ReviewError,
    ReviewIn,
    Status,
    file_incident,
    list_incidents,
    review_incident,
)
from sentinelle.web.state import db, web_state

__all__ = ["router"]

_ISO3 = frozenset(country_table()["iso3"].dropna())
MONTH_PATTERN = r"^(19[89]\d|20\d\d)-(0[1-9]|1[0-2])$"
PERIOD_PATTERN = MONTH_PATTERN.rstrip("$") + r"\.\." + MONTH_PATTERN.lstrip("^")


def _known_iso3(value: str) -> str:
    if value not in _ISO3:
        raise ValueError(f"unknown ISO3 country code {value!r}")
    return value


def _ordered_period(value: str) -> str:
    first, last = value.split("..")
    if first > last:
        raise ValueError(f"period {value!r} ends before it starts")
    return value


# The schema lists the codes, so that API clients (and schemathesis) know which exist.
_COUNTRY_QUERY: dict[str, Any] = {
    "pattern": "^[A-Z]{3}$",
    "description": "ISO3 code, e.g. MLI",
    "examples": ["MLI"],
    "json_schema_extra": {"enum": sorted(_ISO3)},
}
Country = Annotated[str, Query(**_COUNTRY_QUERY), AfterValidator(_known_iso3)]
OptionalCountry = Annotated[
    str | None,
    Query(**_COUNTRY_QUERY),
    AfterValidator(lambda v: None if v is None else _known_iso3(v)),
]
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
Period = Annotated[
    str | None,
    Query(pattern=PERIOD_PATTERN, description="YYYY-MM..YYYY-MM, both included"),
    AfterValidator(lambda v: None if v is None else _ordered_period(v)),
]
Source = Annotated[
    str | None,
    Query(pattern=r"^[a-z_-]{2,32}$", description="Event source: ged, ged_candidate, acled"),
]
Mission = Annotated[
    str, Query(pattern=r"^[A-Za-z0-9 ._-]{2,40}$", description="Geo-PKO mission, e.g. MINUSMA")
]
Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(db)]


class ErrorOut(BaseModel):
    """An error: what went wrong and, where it helps, what to do."""

    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        401: "Not signed in",
        403: "Role too low, or CSRF token missing or invalid",
        404: "Nothing stored for this query",
        409: "Conflicts with the stored state",
        429: "Rate limit exceeded (see Retry-After)",
    }
    return {code: {"model": ErrorOut, "description": text[code]} for code in codes}


# ----------------------------------------------------------------------- response models


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    username: str
    role: Role


class SessionOut(BaseModel):
    """The caller's session: who is signed in, and the CSRF token to send with writes."""

    user: UserOut | None
    csrf_token: str


class LoginIn(BaseModel):
    """Credentials."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class CountryCoverage(BaseModel):
    """A country with events in the store."""

    iso3: str
    name: str
    events: int
    sources: dict[str, int]
    first_month: str
    last_month: str


class MissionOut(BaseModel):
    """A peacekeeping mission with deployments in the store."""

    mission: str
    countries: list[str]


class MetaOut(BaseModel):
    """What the store holds, for choosing what to show."""

    countries: list[CountryCoverage]
    missions: list[MissionOut]
    forecast_units: list[str]


class PointGeometry(BaseModel):
    """A GeoJSON point (longitude, latitude)."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2)


class EventProperties(BaseModel):
    """What the map shows of an event."""

    id: str
    source: str
    date: dt.date
    month: int = Field(description="VIEWS month id (1 = January 1980)")
    fatalities: int
    civilian_deaths: int | None
    violence_type: str
    event_type: str | None
    side_a: str | None
    side_b: str | None
    location: str | None
    admin1: str | None


class EventFeature(BaseModel):
    """One event as a GeoJSON feature."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: EventProperties


class EventCollection(BaseModel):
    """A country's events as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    country: str
    first_month: str | None
    last_month: str | None
    source: str | None
    count: int
    features: list[EventFeature]


class BaseOut(BaseModel):
    """A peacekeeping base and when it was open."""

    mission: str
    base: str
    country: str | None
    latitude: float
    longitude: float
    first_year: int
    last_year: int
    max_troops: float | None
    hq: int | None
    status: Literal["open", "closed"] = Field(description="At the end of the data")
    open_month: str
    open_month_id: int
    closed_from: str | None = Field(description="First full month without the base")
    closed_from_id: int | None
    closure_date: dt.date | None
    date_precision: str | None
    closure_source: str | None
    citation: str | None
    deployment_source: str
    status_at: Literal["open", "closed", "not_open_yet"] | None = Field(
        description="At the requested month"
    )


class ForecastRunOut(BaseModel):
    """Provenance of a stored forecast run."""

    run_id: int
    model: str
    target: str
    unit: str
    origin: int
    origin_month: str
    first_month: int
    last_month: int
    n_units: int
    n_draws: int
    data_version: str
    meta: dict[str, Any] | None
    created_at: dt.datetime


class ForecastRow(BaseModel):
    """One unit-month of a forecast: the draws' mean, median, quantiles, exceedance."""

    unit_id: int
    month_id: int
    month: str
    mean: float
    median: float
    q05: float
    q25: float
    q75: float
    q95: float
    p_exceed: float = Field(description="Share of draws with at least `threshold` fatalities")
    iso3: str | None = None
    name: str | None = None
    bounds: list[float] | None = Field(
        default=None, description="PRIO-GRID cell: west, south, east, north"
    )


class ForecastOut(BaseModel):
    """The latest forecast of a unit level."""

    run: ForecastRunOut
    threshold: float
    rows: list[ForecastRow]


class TrendPoint(BaseModel):
    """Fatalities of a unit in a month."""

    unit: str
    month: str
    fatalities: int


class TrendsOut(BaseModel):
    """Monthly fatalities of a country or its admin-1 regions, from one source."""

    country: str
    level: Literal["country", "admin1"]
    source: str | None
    points: list[TrendPoint]


class ActorRow(BaseModel):
    """An actor's events and fatalities (attributed to every party of an event)."""

    actor: str
    actor_id: str | None
    actor_type: str | None
    matched: bool
    events: int
    fatalities: int
    civilian_deaths: int


class DyadNode(BaseModel):
    """An actor in the dyad network."""

    id: str
    type: str
    events: int
    fatalities: int


class DyadEdge(BaseModel):
    """A pair of actors who fought, with their events and fatalities."""

    source: str
    target: str
    events: int
    fatalities: int
    civilian_deaths: int


class DyadsOut(BaseModel):
    """The dyad network of a country over a period."""

    nodes: list[DyadNode]
    edges: list[DyadEdge]


class ImpactRun(BaseModel):
    """Parameters of a stored withdrawal-impact analysis."""

    run_id: int
    mission: str
    outcome: str
    unit: str
    radii_km: list[float]
    first_month: str
    last_month: str
    event_source: str | None
    notes: list[str]
    runtime_s: float | None
    created_at: dt.datetime


class ImpactEffect(BaseModel):
    """An estimated effect of base closures on violence within a ring."""

    estimator: str
    ring: int
    ring_label: str
    estimate: float | None
    se: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    n_treated: int | None
    n_units: int | None
    pretrend_f: float | None
    pretrend_p: float | None


class EventStudyPoint(BaseModel):
    """An event-study coefficient: effect ``rel_month`` months after closure."""

    estimator: str
    ring: int
    rel_month: int
    estimate: float | None
    se: float | None
    lower: float | None
    upper: float | None


class ImpactOut(BaseModel):
    """The newest stored withdrawal-impact analysis."""

    run: ImpactRun
    effects: list[ImpactEffect]
    event_study: list[EventStudyPoint]


class AlertOut(BaseModel):
    """A recorded alert, with its English subject line."""

    alert_id: int
    rule: str
    unit_type: str
    unit_id: str
    period: str
    level: int
    level_name: str
    value: float | None
    threshold: float | None
    subject: str
    evidence: dict[str, Any] | None
    created_at: dt.datetime


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=MAX_PASSWORD)
    role: Role


class UserPatch(BaseModel):
    """Changes to a user."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=MAX_PASSWORD)


class UserRow(UserOut):
    """A user as an admin sees it."""

    user_id: int
    disabled: bool
    created_at: dt.datetime


# ------------------------------------------------------------------------------- routes

router = APIRouter(prefix="/api")
published = APIRouter(dependencies=[Depends(login_gate)], responses=_errors(401))


def _invalid(field: tuple[str, ...], message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's own shape, for checks that need the store."""
    return RequestValidationError(
        [{"type": "value_error", "loc": field, "msg": message, "input": value}]
    )


Build = Callable[[duckdb.DuckDBPyConnection], bytes]


async def _cached(request: Request, key: tuple[object, ...], build: Build) -> Response:
    """Answer from the response cache; on a miss run ``build`` on a fresh cursor.

    Cached reads take no cursor and no worker thread: a hit costs well under a
    millisecond, which is what keeps the map endpoint fast under load.
    """
    state = web_state(request)

    def run() -> bytes:
        with closing(state.con.cursor()) as con:
            return build(con)

    return await state.cache.respond(request, key, run)


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _validated(kind: Any, build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Build:
    """A builder whose result is validated against ``kind`` before it is cached."""
    return lambda con: _adapter(kind).dump_json(_adapter(kind).validate_python(build(con)))


@router.get("/session", response_model=SessionOut, tags=["session"])
def session(request: Request, user: Annotated[User | None, Depends(current_user)]) -> SessionOut:
    """Who is signed in, and the CSRF token every POST or PATCH must send."""
    out = UserOut(username=user.username, role=user.role) if user else None
    return SessionOut(user=out, csrf_token=csrf_token(request))


@router.post(
    "/login",
    response_model=SessionOut,
    tags=["session"],
    dependencies=[Depends(rate_limit("login"))],
    responses=_errors(401, 403, 429),
)
def login(request: Request, credentials: LoginIn, con: Cursor) -> SessionOut:
    """Sign in; the response carries the new session's CSRF token."""
    user = authenticate(con, credentials.username, credentials.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    token = start_session(request, user)
    return SessionOut(user=UserOut(username=user.username, role=user.role), csrf_token=token)


@router.post("/logout", status_code=204, tags=["session"], responses=_errors(403))
def logout(request: Request) -> Response:
    """Sign out."""
    request.session.clear()
    return Response(status_code=204)


@published.get("/meta", response_model=MetaOut, tags=["data"])
async def meta(request: Request) -> Response:
    """Countries with events (sources, months), missions, forecast levels stored."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        units = [u for (u,) in con.execute("SELECT DISTINCT unit FROM forecast_runs").fetchall()]
        return {
            "countries": data.coverage(con),
            "missions": data.missions(con),
            "forecast_units": sorted(units),
        }

    return await _cached(request, ("meta",), _validated(MetaOut, build))


@published.get("/events", response_model=EventCollection, tags=["data"])
async def events(
    request: Request,
    country: Country,
    first: Annotated[Month, Query(alias="from")] = None,
    last: Annotated[Month, Query(alias="to")] = None,
    source: Source = None,
) -> Response:
    """A country's events as GeoJSON points (the map's layer), oldest first."""
    if first and last and first > last:
        raise _invalid(("query", "to"), f"'to' ({last}) is before 'from' ({first})", last)

    def build(con: duckdb.DuckDBPyConnection) -> bytes:
        body = data.events_geojson(con, country, first, last, source)
        EventCollection.model_validate_json(body)  # the promise the schema makes
        return body

    return await _cached(request, ("events", country, first, last, source), build)


@published.get("/boundaries", tags=["data"])
async def boundaries(request: Request, country: OptionalCountry = None) -> Response:
    """Country outlines as GeoJSON (Natural Earth), simplified for the map."""
    state = web_state(request)

    def build(_: duckdb.DuckDBPyConnection) -> bytes:
        outlines = state.outlines
        if country is not None:
            outlines = outlines[outlines["iso3"] == country]
        return data.outlines_geojson(outlines)

    return await _cached(request, ("boundaries", country), build)


@published.get("/bases", response_model=list[BaseOut], tags=["data"], responses=_errors(404))
async def bases(request: Request, mission: Mission, month: Month = None) -> Response:
    """A mission's bases with open and close months (Geo-PKO refined by curated dates).

    With ``month``, ``status_at`` tells whether each base was open then.
    """
    build = _validated(list[BaseOut], lambda con: data.base_rows(con, mission, month))
    try:
        return await _cached(request, ("bases", mission.upper(), month), build)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@published.get("/forecast", response_model=ForecastOut, tags=["data"], responses=_errors(404))
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
            raise LookupError(f"no {unit} forecast stored (run `sentinelle forecast`)")
        return found

    try:
        return await _cached(
            request, ("forecast", unit, country, threshold), _validated(ForecastOut, build)
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@published.get("/trends", response_model=TrendsOut, tags=["data"])
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
        chosen = _source(con, country, source)
        points = data.trend_points(con, country, level, chosen) if chosen else []
        return {"country": country, "level": level, "source": chosen, "points": points}

    return await _cached(request, ("trends", country, level, source), _validated(TrendsOut, build))


def _source(con: duckdb.DuckDBPyConnection, country: str, wanted: str | None) -> str | None:
    """``wanted``, or the source with most events in ``country`` (None if it has none)."""
    if wanted is not None:
        return wanted
    entry = next((c for c in data.coverage(con) if c["iso3"] == country), None)
    return data.event_source(entry)


@published.get("/actors", response_model=list[ActorRow], tags=["data"])
async def actors(
    request: Request,
    country: Country,
    period: Period = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The most lethal actors of a country (canonical registry names where matched)."""

    def build(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        return data.actors_table(con, country, period, _source(con, country, source), limit)

    key = ("actors", country, period, source, limit)
    return await _cached(request, key, _validated(list[ActorRow], build))


@published.get("/dyads", response_model=DyadsOut, tags=["data"])
async def dyads(
    request: Request,
    country: Country,
    period: Period = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Pairs with most events")] = 60,
) -> Response:
    """Who fought whom: the dyad network as nodes and edges."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return data.dyad_graph(con, country, period, _source(con, country, source), limit)

    key = ("dyads", country, period, source, limit)
    return await _cached(request, key, _validated(DyadsOut, build))


@published.get("/impact", response_model=ImpactOut, tags=["data"], responses=_errors(404))
async def impact(
    request: Request,
    mission: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9 ._-]{2,40}$", description="e.g. MINUSMA")
    ] = None,
) -> Response:
    """The newest stored withdrawal-impact analysis (of ``mission``)."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        found = data.impact_result(con, mission)
        if found is None:
            raise LookupError(
                f"no impact analysis stored{f' for {mission}' if mission else ''} "
                "(run `sentinelle impact --mission ...`)"
            )
        return found

    try:
        return await _cached(
            request, ("impact", (mission or "").upper()), _validated(ImpactOut, build)
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@published.get("/alerts", response_model=list[AlertOut], tags=["data"])
async def alerts(
    request: Request,
    country: OptionalCountry = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Recorded alerts (of a country's units), newest first."""
    build = _validated(list[AlertOut], lambda con: data.alerts_table(con, country, limit))
    return await _cached(request, ("alerts", country, limit), build)


router.include_router(published)

Analyst = Annotated[User, Depends(require_role("analyst"))]
Admin = Annotated[User, Depends(require_role("admin"))]
Viewer = Annotated[User, Depends(require_role("viewer"))]


@router.get("/incidents", response_model=list[Incident], tags=["incidents"], responses=_errors(401))
def incidents(
    con: Cursor,
    _: Viewer,
    country: OptionalCountry = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[Incident]:
    """Analyst reports (a source of their own, unverified until reviewed), newest first."""
    return list_incidents(con, country_iso3=country, status=status_, limit=limit)


@router.post(
    "/incidents",
    response_model=Incident,
    status_code=201,
    tags=["incidents"],
    dependencies=[Depends(rate_limit("write"))],
    responses=_errors(401, 403, 429),
)
def file_report(con: Cursor, user: Analyst, report: IncidentIn) -> Incident:
    """File an incident report (analysts and admins); it starts as ``submitted``."""
    return file_incident(con, report, user)


@router.post(
    "/incidents/{incident_id}/review",
    response_model=Incident,
    tags=["incidents"],
    dependencies=[Depends(rate_limit("write"))],
    responses=_errors(401, 403, 404, 409, 429),
)
def review(
    con: Cursor,
    user: Admin,
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    decision: ReviewIn,
) -> Incident:
    """Confirm or reject a submitted report (admins; not one's own)."""
    try:
        return review_incident(con, incident_id, decision, user)
    except ReviewError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.get("/users", response_model=list[UserRow], tags=["users"], responses=_errors(401, 403))
def users(con: Cursor, _: Admin) -> list[dict[str, Any]]:
    """Every user (admins)."""
    return list_users(con)


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    tags=["users"],
    dependencies=[Depends(rate_limit("write"))],
    responses=_errors(401, 403, 409, 429),
)
def add_user(con: Cursor, _: Admin, new: UserIn) -> UserOut:
    """Create a user (admins)."""
    try:
        created = create_user(con, new.username, new.password, new.role)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return UserOut(username=created.username, role=created.role)


@router.patch(
    "/users/{username}",
    status_code=204,
    tags=["users"],
    dependencies=[Depends(rate_limit("write"))],
    responses=_errors(401, 403, 404, 429),
)
def change_user(
    con: Cursor,
    admin: Admin,
    username: Annotated[str, Path(pattern=USERNAME_PATTERN)],
    change: Annotated[UserPatch, Body()],
) -> Response:
    """Change a user's role, disabled flag or password (admins; not their own role)."""
    if username.lower() == admin.username and (
        change.role not in (None, "admin") or change.disabled
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins cannot demote or disable themselves")
    try:
        update_user(
            con, username, role=change.role, disabled=change.disabled, password=change.password
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return Response(status_code=204)
