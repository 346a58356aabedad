"""Peacekeeping reads: a mission's bases with their open and close months, and the newest
stored withdrawal-impact analysis."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import Request, status
from fastapi.responses import Response

from sentinelle.errors import NoDataError
from sentinelle.i18n import N_
from sentinelle.web import data
from sentinelle.web.api.params import Mission, Month, OptionalMission
from sentinelle.web.api.responses import cached, error_responses, published_router, validated
from sentinelle.web.api.schemas import BaseOut, ImpactOut
from sentinelle.web.messages import NotStored, refusal

__all__ = ["router"]

router = published_router()


@router.get("/bases", response_model=list[BaseOut], tags=["data"], responses=error_responses(404))
async def bases(request: Request, mission: Mission, month: Month = None) -> Response:
    """A mission's bases with open and close months (Geo-PKO refined by curated dates).

    With ``month``, ``status_at`` tells whether each base was open then.
    """
    build = validated(list[BaseOut], lambda con: data.base_rows(con, mission, month))
    try:
        return await cached(request, ("bases", mission.upper(), month), build)
    except NoDataError as exc:
        raise refusal(status.HTTP_404_NOT_FOUND, exc) from None


@router.get("/impact", response_model=ImpactOut, tags=["data"], responses=error_responses(404))
async def impact(request: Request, mission: OptionalMission = None) -> Response:
    """The newest stored withdrawal-impact analysis (of ``mission``)."""

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        found = data.impact_result(con, mission)
        if found is None and mission:
            raise NotStored(
                N_(
                    "no impact analysis stored for %(mission)s "
                    "(run `sentinelle impact --mission ...`)"
                ),
                mission=mission,
            )
        if found is None:
            raise NotStored(N_("no impact analysis stored (run `sentinelle impact --mission ...`)"))
        return found

    try:
        return await cached(
            request, ("impact", (mission or "").upper()), validated(ImpactOut, build)
        )
    except NoDataError as exc:
        raise refusal(status.HTTP_404_NOT_FOUND, exc) from None
