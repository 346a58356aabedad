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

from fastapi import APIRouter

from sentinelle.web.api import (
    actors,
    aggregates,
    alerts,
    events,
    forecasts,
    impact,
    incidents,
    session,
)

__all__ = ["router"]

# The modules' routers, in the order /docs lists their routes.
router = APIRouter(prefix="/api")
for _topic in (session, events, aggregates, impact, forecasts, actors, alerts, incidents):
    router.include_router(_topic.router)
