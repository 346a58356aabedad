"""The JSON API: reads, authentication, roles, CSRF, validation, rate limits, reports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sentinelle.web import create_app
from sentinelle.web.auth import authenticate, session_secret
from tests.web.conftest import (
    GED_EVENTS,
    MALI_EVENTS,
    PASSWORD,
    csrf,
    incident,
    settings_for,
    sign_in,
)

# ------------------------------------------------------------------------------ reads


def test_events_are_a_geojson_feature_collection_of_the_country(client: TestClient) -> None:
    body = client.get("/api/events", params={"country": "MLI"}).json()
    assert body["type"] == "FeatureCollection" and body["country"] == "MLI"
    # ACLED rows carry ISO3, GED rows only the GW code: both are Mali's.
    assert body["count"] == len(body["features"]) == MALI_EVENTS + GED_EVENTS
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert -8 <= lon <= 1 and 12 <= lat <= 18
    assert feature["properties"]["month"] == 469  # January 2019
    dates = [f["properties"]["date"] for f in body["features"]]
    assert dates == sorted(dates)


def test_events_filter_by_months_and_source(client: TestClient) -> None:
    year = client.get("/api/events", params={"country": "MLI", "from": "2020-01", "to": "2020-06"})
    assert year.json()["count"] == 12 + GED_EVENTS
    ged = client.get("/api/events", params={"country": "MLI", "source": "ged"}).json()
    assert {f["properties"]["source"] for f in ged["features"]} == {"ged"}
    assert ged["count"] == GED_EVENTS
    empty = client.get("/api/events", params={"country": "TCD"}).json()
    assert empty["count"] == 0 and empty["features"] == []


def test_cached_responses_are_gzipped_and_revalidated_by_etag(client: TestClient) -> None:
    first = client.get("/api/events", params={"country": "MLI"})
    assert first.headers["content-encoding"] == "gzip"  # TestClient sends Accept-Encoding
    etag = first.headers["etag"]
    again = client.get("/api/events", params={"country": "MLI"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = client.get(
        "/api/events", params={"country": "MLI"}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.json() == first.json()
    assert len(gzip.compress(plain.content)) < len(plain.content) / 3


def test_bases_with_status_at_a_month(client: TestClient) -> None:
    rows = client.get("/api/bases", params={"mission": "MINUSMA", "month": "2019-06"}).json()
    by_name = {r["base"]: r for r in rows}
    assert by_name["Alpha Camp"]["status_at"] == "open"
    assert by_name["Charlie Camp"]["status_at"] == "closed"
    assert by_name["Charlie Camp"]["closed_from"] == "2018-01"
    assert by_name["Charlie Camp"]["closure_source"] == "geopko_years"
    early = client.get("/api/bases", params={"mission": "MINUSMA", "month": "2014-06"}).json()
    assert {r["base"]: r["status_at"] for r in early}["Charlie Camp"] == "not_open_yet"
    missing = client.get("/api/bases", params={"mission": "UNMISS"})
    assert missing.status_code == 404 and "UNMISS" in missing.json()["detail"]


def test_forecasts_by_country_and_cell(client: TestClient) -> None:
    cm = client.get("/api/forecast", params={"country": "MLI"}).json()
    assert cm["run"]["unit"] == "cm" and cm["run"]["origin_month"] == "2020-12"
    assert {r["iso3"] for r in cm["rows"]} == {"MLI"} and len(cm["rows"]) == 6
    row = cm["rows"][0]
    assert row["q05"] <= row["q25"] <= row["median"] <= row["q75"] <= row["q95"]
    assert 0 <= row["p_exceed"] <= 1
    pgm = client.get("/api/forecast", params={"unit": "pgm", "country": "MLI"}).json()
    # The three fixture cells lie in Mali; each has bounds 0.5 degrees wide.
    assert {r["unit_id"] for r in pgm["rows"]} == {153000, 150832, 155883}
    west, south, east, north = pgm["rows"][0]["bounds"]
    assert east - west == north - south == 0.5
    outside = client.get("/api/forecast", params={"unit": "pgm", "country": "TCD"}).json()
    assert outside["rows"] == []


def test_trends_actors_dyads_impact_alerts(client: TestClient) -> None:
    trends = client.get("/api/trends", params={"country": "MLI"}).json()
    assert trends["source"] == "acled"  # the country's largest source
    assert len(trends["points"]) == 24 and {p["unit"] for p in trends["points"]} == {"MLI"}
    admin1 = client.get("/api/trends", params={"country": "MLI", "level": "admin1"}).json()
    assert {p["unit"] for p in admin1["points"]} == {"Mopti", "Gao", "Timbuktu"}
    actors = client.get("/api/actors", params={"country": "MLI", "period": "2019-01..2019-12"})
    assert actors.status_code == 200 and actors.json()
    dyads = client.get("/api/dyads", params={"country": "MLI"}).json()
    assert dyads["edges"] and {e["source"] for e in dyads["edges"]} <= {
        n["id"] for n in dyads["nodes"]
    }
    impact = client.get("/api/impact", params={"mission": "minusma"}).json()
    assert impact["run"]["radii_km"] == [25.0, 50.0]
    assert impact["effects"][1]["estimate"] is None  # NaN is not JSON: null
    alerts = client.get("/api/alerts", params={"country": "NER"}).json()
    assert [a["unit_id"] for a in alerts] == ["NER/Tillaberi"]
    assert "Tillaberi" in alerts[0]["subject"]


def test_meta_lists_countries_missions_and_forecasts(client: TestClient) -> None:
    meta = client.get("/api/meta").json()
    assert meta["countries"][0]["iso3"] == "MLI"
    assert meta["countries"][0]["sources"] == {"acled": MALI_EVENTS, "ged": GED_EVENTS}
    assert meta["missions"] == [{"mission": "MINUSMA", "countries": ["MLI"]}]
    assert meta["forecast_units"] == ["cm", "pgm"]


def test_openapi_is_published_and_swagger_cdn_pages_are_not(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/events" in schema["paths"] and "/api/incidents" in schema["paths"]
    assert "/" not in schema["paths"]  # pages are not API operations
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/events" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/redoc").status_code == 404


# ------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"country": "XYZ"}, "country", "unknown ISO3 country code 'XYZ'"),
        ({"country": "MALI"}, "country", "String should match pattern"),
        ({"country": "MLI", "from": "2019-13"}, "from", "String should match pattern"),
        ({"country": "MLI", "from": "2020-01", "to": "2019-01"}, "to", "is before 'from'"),
        ({}, "country", "Field required"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/api/events", params=params)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"][-1] == field and message in error["msg"]


def test_bad_period_is_422(client: TestClient) -> None:
    response = client.get("/api/actors", params={"country": "MLI", "period": "2020-05..2019-01"})
    assert response.status_code == 422 and "ends before it starts" in response.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": 91}, "latitude", "less than or equal to 90"),
        ({"longitude": -180.5}, "longitude", "greater than or equal to -180"),
        ({"fatalities": -1}, "fatalities", "greater than or equal to 0"),
        ({"fatalities": 10**9}, "fatalities", "less than or equal to 100000"),
        ({"event_date": "2020-02-30"}, "event_date", "valid date"),
        ({"event_date": "2999-01-01"}, "event_date", "between 1989-01-01 and today"),
        ({"country_iso3": "ZZZ"}, "country_iso3", "unknown ISO3 country code"),
        ({"source": "x" * 501}, "source", "at most 500 characters"),
        ({"notes": "n" * 2001}, "notes", "at most 2000 characters"),
        ({"actors": ["a" * 201]}, "actors", "at most 200 characters"),
        ({"confidence": "certain"}, "confidence", "'low', 'medium' or 'high'"),
        ({"civilian_deaths": 13}, None, "civilian deaths cannot exceed fatalities"),
        ({"reporter": "me"}, "reporter", "Extra inputs are not permitted"),
    ],
)
def test_malformed_reports_are_422_with_a_clear_message(
    client: TestClient, changes: dict[str, object], field: str | None, message: str
) -> None:
    headers = sign_in(client, "ana")
    response = client.post("/api/incidents", json=incident(**changes), headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert message in error["msg"]
    if field is not None:
        assert field in error["loc"]


def test_body_that_is_not_json_is_422(client: TestClient) -> None:
    headers = {**sign_in(client, "ana"), "Content-Type": "application/json"}
    response = client.post("/api/incidents", content=b"{not json", headers=headers)
    assert response.status_code == 422 and "JSON decode error" in response.text


# ------------------------------------------------------------- authentication and roles


def test_reports_need_a_session_401(client: TestClient) -> None:
    assert client.get("/api/incidents").status_code == 401
    response = client.post("/api/incidents", json=incident(), headers=csrf(client))
    assert response.status_code == 401 and "sign in" in response.json()["detail"]


def test_wrong_password_and_unknown_user_are_the_same_401(client: TestClient) -> None:
    headers = csrf(client)
    wrong = client.post("/api/login", json={"username": "ana", "password": "nope"}, headers=headers)
    unknown = client.post(
        "/api/login", json={"username": "nobody", "password": "nope"}, headers=headers
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_viewer_cannot_file_and_analyst_cannot_review_403(client: TestClient) -> None:
    headers = sign_in(client, "vic")
    refused = client.post("/api/incidents", json=incident(), headers=headers)
    assert refused.status_code == 403 and "analyst role" in refused.json()["detail"]
    assert client.get("/api/incidents").status_code == 200  # viewers read reports

    headers = sign_in(client, "ana")
    filed = client.post("/api/incidents", json=incident(), headers=headers).json()
    review = client.post(
        f"/api/incidents/{filed['incident_id']}/review",
        json={"decision": "confirmed"},
        headers=headers,
    )
    assert review.status_code == 403 and "admin role" in review.json()["detail"]
    assert client.get("/api/users").status_code == 403


def test_disabled_user_loses_the_session_at_once(
    client: TestClient, store: duckdb.DuckDBPyConnection
) -> None:
    admin = TestClient(client.app)
    admin_headers = sign_in(admin, "ada")
    created = admin.post(
        "/api/users",
        json={"username": "tmp.user", "password": PASSWORD, "role": "analyst"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    sign_in(client, "tmp.user")
    assert client.get("/api/session").json()["user"]["username"] == "tmp.user"
    changed = admin.patch("/api/users/tmp.user", json={"disabled": True}, headers=admin_headers)
    assert changed.status_code == 204
    assert client.get("/api/session").json()["user"] is None
    assert client.get("/api/incidents").status_code == 401
    self_demote = admin.patch("/api/users/ada", json={"role": "viewer"}, headers=admin_headers)
    assert self_demote.status_code == 403


def test_logout_ends_the_session(client: TestClient) -> None:
    headers = sign_in(client, "vic")
    assert client.post("/api/logout", headers=headers).status_code == 204
    assert client.get("/api/incidents").status_code == 401


def test_require_login_closes_published_reads(store: duckdb.DuckDBPyConnection) -> None:
    client = TestClient(create_app(settings_for(":memory:", require_login=True), store))
    assert client.get("/api/events", params={"country": "MLI"}).status_code == 401
    assert client.get("/").status_code == 200  # redirected to the sign-in form
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    sign_in(client, "vic")
    assert client.get("/api/events", params={"country": "MLI"}).status_code == 200


# ------------------------------------------------------------------------------- CSRF


def test_writes_without_or_with_a_wrong_csrf_token_are_403(client: TestClient) -> None:
    sign_in(client, "ana")
    missing = client.post("/api/incidents", json=incident())
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.post("/api/incidents", json=incident(), headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    login = client.post("/api/login", json={"username": "ana", "password": PASSWORD})
    assert login.status_code == 403


def test_login_rotates_the_csrf_token(client: TestClient) -> None:
    before = csrf(client)
    after = sign_in(client, "ana")
    assert before != after
    stale = client.post("/api/incidents", json=incident(), headers=before)
    assert stale.status_code == 403


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    response = client.get("/api/session")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]


# ------------------------------------------------------------------------- rate limit


def test_login_rate_limit_is_429_with_retry_after(store: duckdb.DuckDBPyConnection) -> None:
    app = create_app(settings_for(":memory:", login_rate_limit="3/minute"), store)
    client = TestClient(app)
    headers = csrf(client)
    body = {"username": "ana", "password": "wrong password"}
    codes = [client.post("/api/login", json=body, headers=headers).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    limited = client.post("/api/login", json={**body, "password": PASSWORD}, headers=headers)
    assert limited.status_code == 429  # even the right password waits
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "3 per 1 minute" in limited.json()["detail"]


def test_write_rate_limit(store: duckdb.DuckDBPyConnection) -> None:
    client = TestClient(create_app(settings_for(":memory:", write_rate_limit="2/minute"), store))
    headers = sign_in(client, "ana")
    codes = [
        client.post("/api/incidents", json=incident(), headers=headers).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]


# ------------------------------------------------------------------- incident reports


def test_report_round_trip_with_provenance_and_review(
    client: TestClient, store: duckdb.DuckDBPyConnection
) -> None:
    events_before = store.execute("SELECT count(*) FROM events").fetchone()
    headers = sign_in(client, "ana")
    filed = client.post("/api/incidents", json=incident(country_iso3="mli"), headers=headers)
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert report["country_iso3"] == "MLI"
    provenance = report["provenance"]
    assert provenance["dataset"] == "sentinelle_incidents"
    assert provenance["status"] == "submitted" and provenance["submitted_by"] == "ana"
    assert provenance["reviewed_by"] is None

    listed = client.get("/api/incidents", params={"country": "MLI", "status": "submitted"})
    assert report["incident_id"] in [r["incident_id"] for r in listed.json()]
    # A report is its own source: it never enters the published events.
    assert store.execute("SELECT count(*) FROM events").fetchone() == events_before
    events = client.get("/api/events", params={"country": "MLI"}).json()
    assert all(not f["properties"]["id"].startswith("sentinelle") for f in events["features"])

    url = f"/api/incidents/{report['incident_id']}/review"
    admin_headers = sign_in(client, "ada")
    reviewed = client.post(
        url, json={"decision": "confirmed", "note": "matches radio report"}, headers=admin_headers
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["provenance"]["status"] == "confirmed"
    assert reviewed.json()["provenance"]["reviewed_by"] == "ada"
    again = client.post(url, json={"decision": "rejected"}, headers=admin_headers)
    assert again.status_code == 409 and "already reviewed" in again.json()["detail"]
    missing = client.post(
        "/api/incidents/999999/review", json={"decision": "rejected"}, headers=admin_headers
    )
    assert missing.status_code == 404


def test_admin_cannot_review_own_report(client: TestClient) -> None:
    headers = sign_in(client, "ada")
    filed = client.post("/api/incidents", json=incident(), headers=headers).json()
    own = client.post(
        f"/api/incidents/{filed['incident_id']}/review",
        json={"decision": "confirmed"},
        headers=headers,
    )
    assert own.status_code == 403 and "someone other than its author" in own.json()["detail"]
    other = TestClient(client.app)
    done = other.post(
        f"/api/incidents/{filed['incident_id']}/review",
        json={"decision": "rejected", "note": "duplicate"},
        headers=sign_in(other, "root2"),
    )
    assert done.json()["provenance"]["status"] == "rejected"


def test_report_text_is_stored_as_given_and_escaped_in_pages(client: TestClient) -> None:
    headers = sign_in(client, "ana")
    script = "<script>alert(1)</script>"
    filed = client.post(
        "/api/incidents", json=incident(location_name=script), headers=headers
    ).json()
    assert filed["location_name"] == script
    page = client.get("/incidents").text
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --------------------------------------------------------------------------- passwords


def test_passwords_are_argon2id_hashes_never_the_password(app: FastAPI) -> None:
    with app.state.web.web.connect() as web:
        (stored,) = web.execute("SELECT password_hash FROM users WHERE username = 'ana'").fetchone()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        dump = json.dumps(web.execute("SELECT * FROM users").fetchall(), default=str)
        assert PASSWORD not in dump
        assert authenticate(web, "ANA", PASSWORD) is not None  # names are case-insensitive
        assert authenticate(web, "ana", PASSWORD + "x") is None


def test_session_secret_is_generated_once_beside_the_store(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "s.duckdb", secret_key=None)
    key = session_secret(settings)
    path = tmp_path / "s.duckdb.secret"
    assert path.read_text().strip() == key and len(key) >= 40
    assert path.stat().st_mode & 0o777 == 0o600
    assert session_secret(settings) == key
