"""Property-based tests of the API from its own OpenAPI schema (schemathesis).

Schemathesis generates valid and invalid requests for every operation, reads and
writes (POST, PATCH) alike, sent anonymously and signed in as a viewer, an analyst and
an admin with the session's CSRF token, and checks that none is answered with a server
error, that invalid ones are refused, and that every answer (200, 201, 204, 401, 403,
404, 409, 422 ...) has the status, headers, content type and body the schema documents.
Examples are few per operation and caller, so that the module runs in well under a
minute.

The schema is loaded from an app over an in-memory fixture store built when the module
is collected: schemathesis' fixture-based loader does not run under pytest 9.2.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sentinelle.web import create_app
from sentinelle.web.app import SESSION_COOKIE
from tests.web.conftest import build_store, csrf, settings_for, sign_in

app = create_app(settings_for(":memory:", heavy_rate_limit="10000/minute"), build_store(":memory:"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# The coverage phase sends dozens of fixed cases per operation: times four callers,
# minutes on a shared 2-core machine. Random generation alone stays bounded.
schema.config.phases.coverage.enabled = False
CALLERS = {"anonymous": None, "viewer": "vic", "analyst": "ana", "admin": "ada"}
_sessions: dict[str, dict[str, str]] = {}


def _headers(caller: str) -> dict[str, str]:
    """The cookie and CSRF header of ``caller``'s session, signed in again when it ended."""
    if caller not in _sessions:
        client = TestClient(app)
        user = CALLERS[caller]
        token = sign_in(client, user) if user else csrf(client)
        _sessions[caller] = {
            "Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}",
            **token,
        }
    return _sessions[caller]


@schema.include(method="GET").parametrize()
@pytest.mark.parametrize("caller", CALLERS)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_reads_conform_to_the_schema(case: schemathesis.Case, caller: str) -> None:
    query = case.query or {}
    # A period must not end before it starts: a constraint between two values, which
    # OpenAPI cannot state, so a schema-valid reversed period is rightly refused (422).
    ordered = "period" in query or {"from", "to"} <= set(query)
    case.call_and_validate(
        headers=_headers(caller), excluded_checks=[positive_data_acceptance] if ordered else None
    )


@schema.exclude(method="GET").parametrize()
@pytest.mark.parametrize("caller", CALLERS)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_writes_conform_to_the_schema(case: schemathesis.Case, caller: str) -> None:
    # Schema-valid writes may rightly be refused: an unknown country code, a report
    # dated in the future, a name already taken, a report that does not exist.
    response = case.call_and_validate(
        headers=_headers(caller), excluded_checks=[positive_data_acceptance]
    )
    if response.status_code < 300:  # a logout or a change of one's account ends the session
        _sessions.pop(caller, None)
