"""HTML pages and forms (without a browser), the CLI commands, and the no-CDN rule."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sentinelle.cli import app as cli
from sentinelle.errors import UsageError
from sentinelle.web import create_app, pages
from tests.web.conftest import PASSWORD, settings_for, sign_in

WEB = Path(pages.__file__).parent


def form_token(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match[1]


def form_sign_in(client: TestClient, username: str) -> None:
    token = form_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/alerts"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/alerts"


def test_every_page_renders(client: TestClient) -> None:
    for path in ("/", "/trends", "/trends?level=admin1", "/actors", "/forecasts", "/impact",
                 "/impact?mission=UNMISS", "/alerts?country=MLI", "/login", "/docs"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<main>" in response.text


def test_map_page_says_how_to_fix_missing_leaflet(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pages, "VENDOR_DIR", tmp_path)
    page = client.get("/").text
    assert 'id="map-error"' in page and "scripts/build_web.sh" in page
    assert "leaflet.js" in page and '<script src="/static/vendor' not in page


def test_no_page_or_script_refers_to_another_host() -> None:
    own = [*WEB.glob("templates/*.html"), *WEB.glob("static/*.js"), *WEB.glob("static/*.css")]
    assert own
    for path in own:
        text = path.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), path


def test_protected_pages_send_signed_out_visitors_to_the_login_form(client: TestClient) -> None:
    response = client.get("/incidents?status=submitted", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/incidents%3Fstatus%3Dsubmitted"


def test_form_login_wrong_password_and_rate_limit(store: duckdb.DuckDBPyConnection) -> None:
    client = TestClient(
        create_app(settings_for(":memory:", login_rate_limit="2/minute"), store),
        headers={"Accept-Language": "en"},
    )
    token = form_token(client, "/login")
    body = {"username": "ana", "password": "wrong", "csrf_token": token}
    wrong = client.post("/login", data=body)
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    client.post("/login", data=body)
    limited = client.post("/login", data=body)
    assert limited.status_code == 429 and "Too many requests" in limited.text
    assert limited.headers["retry-after"]


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 403 and "CSRF token missing or invalid" in response.text


def test_incident_form_errors_are_shown_with_the_form_kept(client: TestClient) -> None:
    form_sign_in(client, "ana")
    token = form_token(client, "/incidents")
    response = client.post(
        "/incidents",
        data={
            "csrf_token": token, "event_date": "2020-06-01", "country_iso3": "MLI",
            "latitude": "95", "longitude": "-2", "fatalities": "-3", "source": "radio",
            "confidence": "low", "location_name": "Kera",
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert "latitude: Input should be less than or equal to 90" in response.text
    assert "fatalities: Input should be greater than or equal to 0" in response.text
    assert 'value="Kera"' in response.text  # what the analyst typed is kept

    filed = client.post(
        "/incidents",
        data={
            "csrf_token": token, "event_date": "2020-06-01", "country_iso3": "mli",
            "latitude": "15", "longitude": "-2", "fatalities": "3", "source": "radio",
            "confidence": "low", "actors": "JNIM; FAMa",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert filed.status_code == 303 and filed.headers["location"].startswith("/incidents?filed=")
    report_id = int(filed.headers["location"].split("=")[1])
    listed = client.get("/api/incidents").json()
    report = next(r for r in listed if r["incident_id"] == report_id)
    assert report["actors"] == ["JNIM", "FAMa"] and report["country_iso3"] == "MLI"


def test_admin_manages_users_with_forms(client: TestClient) -> None:
    form_sign_in(client, "ada")
    token = form_token(client, "/users")
    created = client.post(
        "/users",
        data={"csrf_token": token, "username": "new.analyst", "password": PASSWORD,
              "role": "analyst"},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    taken = client.post(
        "/users",
        data={"csrf_token": token, "username": "new.analyst", "password": PASSWORD,
              "role": "viewer"},
    )  # fmt: skip
    assert taken.status_code == 422 and "already exists" in taken.text
    client.post("/users/new.analyst", data={"csrf_token": token, "role": "viewer"})
    rows = {u["username"]: u for u in client.get("/api/users").json()}
    assert rows["new.analyst"]["role"] == "viewer"
    own = client.post("/users/ada", data={"csrf_token": token, "disabled": "true"})
    assert own.status_code == 403


def test_method_not_allowed_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete("/api/incidents", headers={"X-CSRF-Token": "x"})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_json_and_form_sessions_are_the_same(client: TestClient) -> None:
    sign_in(client, "vic")
    assert 'data-role="viewer"' in client.get("/alerts").text


# ------------------------------------------------------------------------------- CLI


def test_users_add_and_list(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "s.duckdb")
    added = runner.invoke(
        cli, ["users", "add", "Aminata", "--role", "admin", "--password-stdin", "--store", store],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "user aminata (admin) created" in added.output
    prompted = runner.invoke(
        cli, ["users", "add", "omar", "--store", store], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0 and "(viewer)" in prompted.output
    again = runner.invoke(
        cli, ["users", "add", "aminata", "--password-stdin", "--store", store],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert again.exit_code == UsageError.exit_code and "already exists" in again.output
    short = runner.invoke(
        cli, ["users", "add", "kofi", "--password-stdin", "--store", store], input="short\n"
    )
    assert short.exit_code == UsageError.exit_code and "10 to 1024 characters" in short.output
    listed = runner.invoke(cli, ["users", "list", "--store", store])
    assert "aminata" in listed.output and "admin" in listed.output and "omar" in listed.output
    assert PASSWORD not in listed.output and "argon2" not in listed.output


def test_serve_refuses_to_start_without_leaflet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "VENDOR_DIR", tmp_path)
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert "run `bash scripts/build_web.sh`" in " ".join(result.output.split())


def test_a_page_declared_with_page_is_routed_and_in_the_navigation(
    store: duckdb.DuckDBPyConnection,
) -> None:
    @pages.page("/toy", "Toy page")
    def toy_page(request: Request) -> HTMLResponse:
        return pages.render(request, "error.html", None, code=200, detail="a plug-in page")

    try:
        client = TestClient(create_app(settings_for(":memory:"), store))
        assert client.get("/toy").status_code == 200
        assert '<a href="/toy">Toy page</a>' in client.get("/").text
    finally:
        pages.NAV.unregister("/toy")
        pages.router.routes[:] = [r for r in pages.router.routes if r.path != "/toy"]
    assert (
        '<a href="/toy">'
        not in TestClient(create_app(settings_for(":memory:"), store)).get("/").text
    )
