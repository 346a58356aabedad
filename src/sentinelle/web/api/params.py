"""Query and path parameters the API routes and the HTML pages declare alike.

Each is an ``Annotated`` type carrying its FastAPI declaration (pattern, description,
examples) and, where a pattern cannot say it, a validator: a page and a JSON client
are refused the same values with the same reasons.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Query
from pydantic import AfterValidator

from sentinelle.errors import UsageError
from sentinelle.geo import country_table, normalise_period
from sentinelle.i18n import N_
from sentinelle.web.auth import User, require_role
from sentinelle.web.incidents import Status
from sentinelle.web.messages import InvalidValue
from sentinelle.web.state import db, webdb

__all__ = [
    "MISSION_PATTERN",
    "MONTH_PATTERN",
    "PERIOD_MESSAGE",
    "PERIOD_PATTERN",
    "Admin",
    "Analyst",
    "Country",
    "Cursor",
    "Mission",
    "Month",
    "OptionalCountry",
    "OptionalMission",
    "Period",
    "Source",
    "StatusFilter",
    "Viewer",
    "WebCursor",
]

_ISO3 = frozenset(country_table()["iso3"].dropna())
MONTH_PATTERN = r"^(19[89]\d|20\d\d)-(0[1-9]|1[0-2])$"
PERIOD_PATTERN = MONTH_PATTERN.rstrip("$") + r"\.\." + MONTH_PATTERN.lstrip("^")
# A mission, or the label of missions pooled by a cross-mission run ('ALL:africa',
# 'MINUSMA+UNAMID').
MISSION_PATTERN = r"^[A-Za-z0-9 ._:+-]{2,200}$"


# Pydantic validators: the InvalidValue (a ValueError) they raise becomes a 422 naming the
# field, its message in the reader's language.
def _known_iso3(value: str) -> str:
    if value not in _ISO3:
        raise InvalidValue(N_("unknown ISO3 country code '%(code)s'"), code=value)
    return value


# What a period may be, in the catalogue: the error pages show it in the reader's language.
PERIOD_MESSAGE = N_("expected a year (2023), a month (2023-07) or a period (2023-07..2024-06)")
PERIOD_ORDER_MESSAGE = N_("the period ends before it starts")
_PERIOD_YEARS = range(1980, 2100)


def _period(value: str) -> str:
    """A year, a month or a month range, as ``'YYYY-MM..YYYY-MM'`` (one cache key each)."""
    try:
        period = normalise_period(value)
    except UsageError:
        raise InvalidValue(PERIOD_ORDER_MESSAGE if _reversed(value) else PERIOD_MESSAGE) from None
    if not all(int(end[:4]) in _PERIOD_YEARS for end in period.split("..")):
        raise InvalidValue(PERIOD_MESSAGE)
    return period


def _reversed(value: str) -> bool:
    """Whether ``value`` is two readable ends of a period, the second before the first."""
    ends = value.split("..")
    if len(ends) != 2:
        return False
    try:
        first, last = normalise_period(ends[0]), normalise_period(ends[1])
    except UsageError:
        return False
    return first.split("..")[0] > last.split("..")[-1]


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
    Query(
        description="A year (2023), a month (2023-07) or a period YYYY-MM..YYYY-MM, both included",
        examples=["2023", "2023-07..2024-06"],
    ),
    AfterValidator(lambda v: None if v is None else _period(v)),
]
Source = Annotated[
    str | None,
    Query(pattern=r"^[a-z_-]{2,32}$", description="Event source: ged, ged_candidate, acled"),
]
Mission = Annotated[
    str, Query(pattern=MISSION_PATTERN, description="Geo-PKO mission, e.g. MINUSMA")
]
OptionalMission = Annotated[
    str | None, Query(pattern=MISSION_PATTERN, description="e.g. MINUSMA, or ALL:africa (pooled)")
]
StatusFilter = Annotated[Status | None, Query(alias="status")]

Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(db)]  # the main store, read-only
WebCursor = Annotated[sqlite3.Connection, Depends(webdb)]  # users, sessions, reports
Viewer = Annotated[User, Depends(require_role("viewer"))]
Analyst = Annotated[User, Depends(require_role("analyst"))]
Admin = Annotated[User, Depends(require_role("admin"))]
