"""Regression tests of issue 13's web findings: bodies, sessions, NaN, heavy reads.

Each reproduces the case the adversarial test found: an unbounded anonymous body and
a 422 echoing the password (item 3), a session cookie replayed after logout or a
password reset (item 4), ``"latitude": NaN`` answered with 500 (item 6), and uncached
aggregates open to any number of anonymous requests (item 11).
"""

from __future__ import annotations

import asyncio

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from sentinelle.web import create_app
from sentinelle.web.app import MAX_BODY_BYTES, SESSION_COOKIE
from tests.web.conftest import PASSWORD, csrf, incident, settings_for, sign_in

# --------------------------------------------------------------------------- item 3


def test_a_declared_oversized_body_is_413_before_it_is_read(client: TestClient) -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    for path in ("/api/login", "/api/incidents", "/login"):
        answer = client.post(path, content=big, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413, path
        assert "too large" in answer.text


def test_a_chunked_oversized_body_is_413_once_past_the_limit(app: FastAPI) -> None:
    # At the ASGI level: the test client would join the chunks before sending them.
    received = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": received < 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/api/login", "raw_path": b"/api/login",
        "query_string": b"", "headers": [(b"content-type", b"application/json")],
        "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
        "root_path": "", "http_version": "1.1",
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert received <= 2  # refused past the limit, not after 64 MB


def test_a_422_never_echoes_the_password_or_the_whole_body(client: TestClient) -> None:
    secret = "hunter2-" + "s" * 2000  # over the password limit, so refused
    headers = csrf(client)
    too_long = client.post(
        "/api/login", json={"username": "ana", "password": secret}, headers=headers
    )
    missing = client.post("/api/login", json={"password": secret}, headers=headers)
    for answer in (too_long, missing):
        assert answer.status_code == 422
        assert "hunter2" not in answer.text
    assert ["body", "username"] in [e["loc"] for e in missing.json()["detail"]]


# --------------------------------------------------------------------------- item 4


def _replay(app: FastAPI, cookie: str) -> TestClient:
    replayed = TestClient(app)
    replayed.cookies.set(SESSION_COOKIE, cookie)
    return replayed


def test_a_cookie_saved_before_logout_signs_nobody_in(app: FastAPI) -> None:
    client = TestClient(app)
    headers = sign_in(client, "ana")
    saved = client.cookies[SESSION_COOKIE]
    assert client.post("/api/logout", headers=headers).status_code == 204
    assert _replay(app, saved).get("/api/session").json()["user"] is None
    # The cookie carries its CSRF token: the write passes CSRF and is refused as signed out.
    filed = _replay(app, saved).post("/api/incidents", json=incident(), headers=headers)
    assert filed.status_code == 401


@pytest.mark.parametrize(
    "change", [{"password": "a brand new passphrase"}, {"role": "viewer"}, {"disabled": True}]
)
def test_password_role_or_disable_ends_the_users_sessions(
    app: FastAPI, change: dict[str, object]
) -> None:
    admin = TestClient(app)
    admin_headers = sign_in(admin, "ada")
    name = f"u{abs(hash(str(change))) % 10**6}"
    new = {"username": name, "password": PASSWORD, "role": "analyst"}
    assert admin.post("/api/users", json=new, headers=admin_headers).status_code == 201
    user = TestClient(app)
    sign_in(user, name)
    saved = user.cookies[SESSION_COOKIE]
    assert admin.patch(f"/api/users/{name}", json=change, headers=admin_headers).status_code == 204
    assert _replay(app, saved).get("/api/session").json()["user"] is None
    assert admin.get("/api/session").json()["user"]["username"] == "ada"  # others keep theirs


# --------------------------------------------------------------------------- item 6


def test_nan_in_a_json_body_is_a_clean_422(client: TestClient) -> None:
    headers = {"Content-Type": "application/json", **sign_in(client, "ana")}
    body = (
        '{"event_date": "2020-06-14", "latitude": NaN, "longitude": Infinity, '
        '"country_iso3": "MLI", "fatalities": 1, "source": "radio", "confidence": "low"}'
    )
    answer = client.post("/api/incidents", content=body, headers=headers)
    assert answer.status_code == 422
    assert {tuple(e["loc"]) for e in answer.json()["detail"]} >= {
        ("body", "latitude"),
        ("body", "longitude"),
    }


# --------------------------------------------------------------------------- item 11


def test_anonymous_uncached_reads_are_rate_limited_and_cached_ones_not(
    store: duckdb.DuckDBPyConnection,
) -> None:
    app = create_app(settings_for(":memory:", heavy_rate_limit="3/minute"), store)
    anonymous = TestClient(app)
    answers = [
        anonymous.get("/api/dyads", params={"country": "MLI", "limit": n}).status_code
        for n in range(1, 6)
    ]
    assert answers == [200, 200, 200, 429, 429]
    limited = anonymous.get("/api/dyads", params={"country": "MLI", "limit": 9})
    assert int(limited.headers["Retry-After"]) >= 1
    for _ in range(5):  # answered from the cache: no limit
        assert anonymous.get("/api/dyads", params={"country": "MLI", "limit": 1}).status_code == 200
    analyst = TestClient(app)
    sign_in(analyst, "ana")
    for n in range(10, 15):  # signed-in users are not limited
        assert analyst.get("/api/dyads", params={"country": "MLI", "limit": n}).status_code == 200
