"""Analyst reports: viewers read them, analysts file them, admins review them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sentinelle.web.api.params import (
    Admin,
    Analyst,
    OptionalCountry,
    StatusFilter,
    Viewer,
    WebCursor,
)
from sentinelle.web.api.responses import error_responses
from sentinelle.web.auth import rate_limit
from sentinelle.web.incidents import (
    Incident,
    IncidentIn,
    ReviewError,
    ReviewIn,
    file_incident,
    list_incidents,
    review_incident,
)
from sentinelle.web.messages import WebError

__all__ = ["router"]

# Writes answer 400 to a body FastAPI cannot decode.
router = APIRouter(responses=error_responses(400))


@router.get(
    "/incidents", response_model=list[Incident], tags=["incidents"], responses=error_responses(401)
)
def incidents(
    con: WebCursor,
    _: Viewer,
    country: OptionalCountry = None,
    status_: StatusFilter = None,
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
    responses=error_responses(401, 403, 429),
)
def file_report(con: WebCursor, user: Analyst, report: IncidentIn) -> Incident:
    """File an incident report (analysts and admins); it starts as ``submitted``."""
    return file_incident(con, report, user)


@router.post(
    "/incidents/{incident_id}/review",
    response_model=Incident,
    tags=["incidents"],
    dependencies=[Depends(rate_limit("write"))],
    responses=error_responses(401, 403, 404, 409, 429),
)
def review(
    con: WebCursor,
    user: Admin,
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    decision: ReviewIn,
) -> Incident:
    """Confirm or reject a submitted report (admins; not one's own)."""
    try:
        return review_incident(con, incident_id, decision, user)
    except ReviewError as exc:
        raise WebError.of(exc.status, exc) from None
