"""The API's request and response models (Pydantic), which the OpenAPI schema publishes.

Responses are validated against them before they are cached, so a client can rely on
what ``/openapi.json`` promises. Records :mod:`sentinelle.web.data` returns as they are
published (``CountryCoverage``, ``TrendPoint``, ``DyadNode``, ``DyadEdge``) are its typed
dicts, re-exported here. Analyst reports have theirs in
:mod:`sentinelle.web.incidents`, next to the code that stores them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from sentinelle.web.auth import MAX_PASSWORD, USERNAME_PATTERN, Role
from sentinelle.web.data import CountryCoverage, DyadEdge, DyadNode, TrendPoint

__all__ = [
    "ActorRow",
    "AlertOut",
    "BaseOut",
    "CountryCoverage",
    "DyadEdge",
    "DyadNode",
    "DyadsOut",
    "ErrorOut",
    "EventCollection",
    "EventFeature",
    "EventProperties",
    "EventStudyPoint",
    "ForecastOut",
    "ForecastRow",
    "ForecastRunOut",
    "ImpactEffect",
    "ImpactOut",
    "ImpactRun",
    "LoginIn",
    "MetaOut",
    "MissionOut",
    "PlaceLabel",
    "PlaceLabelsOut",
    "PointGeometry",
    "SessionOut",
    "TrendPoint",
    "TrendsOut",
    "UnitForecastOut",
    "UnitForecastRow",
    "UnitForecastRunOut",
    "UserIn",
    "UserOut",
    "UserPatch",
    "UserRow",
]


class ErrorOut(BaseModel):
    """An error: what went wrong and, where it helps, what to do."""

    detail: str


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
    disabled: StrictBool | None = Field(default=None, description="true or false, not 0 or 1")
    password: str | None = Field(default=None, min_length=10, max_length=MAX_PASSWORD)


class UserRow(UserOut):
    """A user as an admin sees it."""

    user_id: int
    disabled: bool
    created_at: dt.datetime


class PlaceLabel(BaseModel):
    """A name the map writes: a country, an admin unit or a town, at a point inside it."""

    kind: Literal["country", "admin1", "admin2", "town"]
    name: str = Field(description="The label (a country's name in the language asked)")
    place: str = Field(description="The place named in a sentence: 'cercle de Bandiagara'")
    pcode: str | None = Field(description="P-code of a unit, ISO3 of a country")
    latitude: float
    longitude: float


class PlaceLabelsOut(BaseModel):
    """The map's place names for one country."""

    country: str
    level: int | None = Field(description="Finest admin level of the stored aggregates")
    labels: list[PlaceLabel]


class UnitForecastRunOut(BaseModel):
    """Provenance of a stored admin-unit forecast."""

    run_id: int
    model: str
    target: str
    origin: int
    origin_month: str = Field(description="Last month of data the forecast used")
    n_draws: int
    data_version: str
    created_at: dt.datetime | None


class UnitForecastRow(BaseModel):
    """One unit's forecast for the month: the draws' mean, median, quantiles, exceedance."""

    pcode: str
    name: str | None
    admin1_name: str | None
    place: str = Field(description="The unit named in a sentence, in the language asked")
    mean: float = Field(description="Expected fatalities (mean of the draws)")
    median: float
    q05: float
    q25: float
    q75: float
    q95: float
    p_exceed: float = Field(description="Share of draws with at least `threshold` fatalities")


class UnitForecastOut(BaseModel):
    """The latest stored forecast of a country's admin units for one month."""

    country: str
    unit: Literal["admin1", "admin2"]
    level: int
    source: str
    run: UnitForecastRunOut
    month: str
    months: list[str] = Field(description="Every month the run forecasts")
    threshold: float
    data_last_month: str | None = Field(description="Last month of the aggregates stored")
    as_of: str | None = Field(description="Publisher's version of the aggregates (ISO date)")
    currency: str = Field(description="How far the aggregates go, in words")
    rows: list[UnitForecastRow]
