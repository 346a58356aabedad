"""Analyst incident reports: filed by analysts, reviewed by admins, never mixed into events.

Like the UN's SAGE database, analysts record what they learn from their own sources
(a field call, a local radio report) before any dataset publishes it. A report is
its own source: it lives in the web store's ``incidents`` table
(:mod:`~sentinelle.web.webstore`) with who filed it and when, is
``submitted`` until an admin ``confirmed`` or ``rejected`` it (with who and when), and
the dashboard shows reports apart from published datasets, marked unverified. Nothing
here writes to ``events``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sentinelle.errors import UsageError
from sentinelle.geo import country_table
from sentinelle.i18n import N_
from sentinelle.store.schema import VIOLENCE_TYPES
from sentinelle.web.auth import User
from sentinelle.web.messages import Explained, InvalidValue, word
from sentinelle.web.webstore import now_utc, rows, utc

__all__ = [
    "Incident",
    "IncidentIn",
    "Provenance",
    "ReviewError",
    "ReviewIn",
    "file_incident",
    "list_incidents",
    "review_incident",
]

Confidence = Literal["low", "medium", "high"]
Status = Literal["submitted", "confirmed", "rejected"]
ViolenceType = Literal["state_based", "non_state", "one_sided", "other"]
assert set(get_args(ViolenceType)) == set(VIOLENCE_TYPES)  # the store's enum

# The earliest date any conflict dataset Sentinelle reads covers (UCDP: 1989; ACLED
# and Geo-PKO start later): an older date is a typing error.
FIRST_DATE = dt.date(1989, 1, 1)
MAX_FATALITIES = 100_000

_ISO3 = frozenset(country_table()["iso3"].dropna())
_COLUMNS = (
    "incident_id, event_date, latitude, longitude, country_iso3, location_name, actors, "
    "violence_type, fatalities, civilian_deaths, source, confidence, notes, status, "
    "submitted_by, submitted_at, reviewed_by, reviewed_at, review_note"
)


class IncidentIn(BaseModel):
    """An incident as an analyst files it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_date: dt.date = Field(description="Day the incident happened (not in the future)")
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    country_iso3: str = Field(
        min_length=3, max_length=3, description="ISO 3166 alpha-3 code, e.g. MLI"
    )
    location_name: str | None = Field(default=None, max_length=200)
    actors: list[str] = Field(default_factory=list, max_length=10)
    violence_type: ViolenceType | None = None
    fatalities: int = Field(ge=0, le=MAX_FATALITIES)
    civilian_deaths: int | None = Field(default=None, ge=0, le=MAX_FATALITIES)
    source: str = Field(min_length=3, max_length=500, description="Where the analyst learnt of it")
    confidence: Confidence
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("event_date")
    @classmethod
    def _plausible_date(cls, value: dt.date) -> dt.date:
        # A day of slack: the analyst's day may be ahead of the server's (UTC) one.
        latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
        if not FIRST_DATE <= value <= latest:
            raise InvalidValue(
                N_("the date must lie between %(first)s and today"), first=str(FIRST_DATE)
            )
        return value

    @field_validator("country_iso3")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.upper()
        if code not in _ISO3:
            raise InvalidValue(N_("unknown ISO3 country code '%(code)s'"), code=value)
        return code

    @field_validator("actors")
    @classmethod
    def _actor_names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value if name.strip()]
        if any(len(name) > 200 for name in names):
            raise InvalidValue(N_("actor names have at most 200 characters"))
        return names

    @model_validator(mode="after")
    def _civilians_within_total(self) -> Self:
        if self.civilian_deaths is not None and self.civilian_deaths > self.fatalities:
            raise InvalidValue(N_("civilian deaths cannot exceed fatalities"))
        return self


class ReviewIn(BaseModel):
    """An admin's decision on a submitted report."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["confirmed", "rejected"]
    note: str | None = Field(default=None, max_length=1000)


class Provenance(BaseModel):
    """Who filed and who reviewed a report, and when."""

    dataset: Literal["sentinelle_incidents"] = Field(
        default="sentinelle_incidents",
        description="Analyst reports are a source of their own, apart from published data",
    )
    status: Status
    submitted_by: str
    submitted_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None


class Incident(BaseModel):
    """A stored report with its provenance."""

    incident_id: int
    event_date: dt.date
    latitude: float
    longitude: float
    country_iso3: str | None
    location_name: str | None
    actors: list[str]
    violence_type: ViolenceType | None
    fatalities: int
    civilian_deaths: int | None
    source: str
    confidence: Confidence
    notes: str | None
    provenance: Provenance

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Incident:
        """Build from a row of the ``incidents`` table (timestamps are UTC)."""
        provenance = Provenance(
            status=row["status"],
            submitted_by=row["submitted_by"],
            submitted_at=utc(row["submitted_at"]),
            reviewed_by=row["reviewed_by"],
            reviewed_at=utc(row["reviewed_at"]) if row["reviewed_at"] else None,
            review_note=row["review_note"],
        )
        fields = {k: v for k, v in row.items() if k in cls.model_fields}
        return cls(**{**fields, "actors": json.loads(row["actors"])}, provenance=provenance)


def file_incident(con: sqlite3.Connection, report: IncidentIn, user: User) -> Incident:
    """Store ``report`` as ``submitted`` by ``user`` (one statement, so one transaction)."""
    cur = con.execute(
        f"""
        INSERT INTO incidents (event_date, latitude, longitude, country_iso3, location_name,
            actors, violence_type, fatalities, civilian_deaths, source, confidence, notes,
            submitted_by, submitted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING {_COLUMNS}
        """,
        [
            report.event_date.isoformat(),
            report.latitude,
            report.longitude,
            report.country_iso3,
            report.location_name,
            json.dumps(report.actors),
            report.violence_type,
            report.fatalities,
            report.civilian_deaths,
            report.source,
            report.confidence,
            report.notes,
            user.username,
            now_utc(),
        ],
    )
    return Incident.from_row(rows(cur)[0])


def list_incidents(
    con: sqlite3.Connection,
    *,
    country_iso3: str | None = None,
    status: Status | None = None,
    limit: int = 500,
) -> list[Incident]:
    """Reports, newest incident first, optionally of one country or status."""
    cur = con.execute(
        f"""
        SELECT {_COLUMNS} FROM incidents
        WHERE (? IS NULL OR country_iso3 = ?) AND (? IS NULL OR status = ?)
        ORDER BY event_date DESC, incident_id DESC LIMIT ?
        """,
        [country_iso3, country_iso3, status, status, limit],
    )
    return [Incident.from_row(row) for row in rows(cur)]


class ReviewError(Explained, UsageError):
    """A review that cannot be made, as a catalogue message; ``status`` is the HTTP
    status that says why."""

    def __init__(self, status: int, msgid: str, /, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.status = status


def review_incident(
    con: sqlite3.Connection, incident_id: int, review: ReviewIn, reviewer: User
) -> Incident:
    """Confirm or reject a submitted report.

    Raises
    ------
    ReviewError
        404 if there is no such report, 409 if it was already reviewed, 403 if the
        reviewer filed it (a report is verified by a second person).
    """
    row = con.execute(
        "SELECT status, submitted_by FROM incidents WHERE incident_id = ?", [incident_id]
    ).fetchone()
    if row is None:
        raise ReviewError(404, N_("no incident report %(id)s"), id=incident_id)
    if row[1] == reviewer.username:
        raise ReviewError(403, N_("a report is reviewed by someone other than its author"))
    # The status condition makes a concurrent second review update nothing.
    cur = con.execute(
        f"""
        UPDATE incidents SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?
        WHERE incident_id = ? AND status = 'submitted'
        RETURNING {_COLUMNS}
        """,
        [review.decision, reviewer.username, now_utc(), review.note, incident_id],
    )
    updated = rows(cur)
    if not updated:
        raise ReviewError(
            409,
            N_("incident report %(id)s was already reviewed (%(status)s)"),
            id=incident_id,
            status=word(row[0]),
        )
    return Incident.from_row(updated[0])
