"""Property-based tests of the API from its own OpenAPI schema (schemathesis).

Schemathesis generates valid and invalid requests for every GET operation and checks
that none is answered with a server error, that invalid ones are refused, valid ones
accepted, and that every answer (200, 401, 404, 422 ...) has the status, headers,
content type and body the schema documents.

The schema is loaded from an app over an in-memory fixture store built when the module
is collected: schemathesis' fixture-based loader does not run under pytest 9.2.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sentinelle.web import create_app
from tests.web.conftest import build_store, settings_for

app = create_app(settings_for(":memory:"), build_store(":memory:"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(method="GET")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reads_conform_to_the_schema(case: schemathesis.Case) -> None:
    query = case.query or {}
    # A period must not end before it starts: a constraint between two values, which
    # OpenAPI cannot state, so a schema-valid reversed period is rightly refused (422).
    ordered = "period" in query or {"from", "to"} <= set(query)
    case.call_and_validate(excluded_checks=[positive_data_acceptance] if ordered else None)
