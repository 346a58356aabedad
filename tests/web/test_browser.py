"""End-to-end tests in headless Chromium (Debian's, driven by Playwright for Python).

One uvicorn server on a free loopback port serves a fixture store for the module;
each test opens its own browser context (own cookies). Screenshots are written to
``test-artifacts/`` at the repository root. The tests are skipped, saying why, when
there is no ``chromium`` on the PATH or the map's Leaflet files were not vendored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sentinelle.web import create_app
from sentinelle.web.pages import vendor_missing
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, build_store, served, settings_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    pytest.mark.skipif(
        bool(vendor_missing()), reason="Leaflet not vendored: run bash scripts/build_web.sh"
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a dashboard served by uvicorn in a thread."""
    store = build_store(tmp_path_factory.mktemp("browser") / "store.duckdb")
    app = create_app(settings_for(":memory:"), store)
    with served(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A page in a fresh context; fails the test on any script error or CSP violation."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    # Refusals the tests provoke on purpose show as failed loads; nothing else may fail.
    refused = ("status of 401 (Unauthorized)", "status of 403 (Forbidden)")
    assert not [p for p in problems if not p.endswith(refused)], problems


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector(f"#whoami:has-text('{username}')")


def map_state(page: Page) -> dict[str, str]:
    state: dict[str, str] = page.evaluate("() => ({...document.getElementById('map').dataset})")
    return state


def set_month(page: Page, month_id: int) -> None:
    page.fill("#month", str(month_id))


def test_map_renders_markers_and_the_slider_changes_them(page: Page) -> None:
    page.goto("/?country=MLI&source=acled")
    page.wait_for_selector("#map[data-ready='1']")
    state = map_state(page)
    assert state["month"] == "2020-12"  # the last month of the country's events
    shown = int(state["eventsShown"])
    # Last 12 months of ACLED fixture events: two a month in 2020.
    assert shown == 24
    assert page.locator("path.event-marker").count() == shown
    assert page.locator("path.base-marker").count() == 3
    assert (state["basesOpen"], state["basesClosed"]) == ("2", "1")
    shot(page, "map-2020-12")

    page.select_option("#window", "1")
    assert map_state(page)["eventsShown"] == "2"
    assert page.locator("path.event-marker").count() == 2

    set_month(page, 493)  # January 2021: forecast months, no events
    state = map_state(page)
    assert state["month"] == "2021-01" and state["eventsShown"] == "0"
    assert state["cellsShown"] == "3"
    assert page.locator("path.risk-cell").count() == 3
    shot(page, "map-2021-01-forecast")

    set_month(page, 400)  # before the data: the slider stops at its first month
    state = map_state(page)
    assert (state["month"], state["eventsShown"], state["cellsShown"]) == ("2019-01", "2", "0")
    assert page.locator("#counts").inner_text().startswith("2 events")


def test_sign_in_file_a_report_and_see_it_apart_from_events(page: Page) -> None:
    sign_in(page, "ana")
    page.goto("/incidents")
    form = page.locator("#incident-form")
    form.locator("input[name=event_date]").fill("2020-12-05")
    form.locator("input[name=country_iso3]").fill("MLI")
    form.locator("input[name=location_name]").fill("Boni <b>village</b>")
    form.locator("input[name=latitude]").fill("15.05")
    form.locator("input[name=longitude]").fill("-1.95")
    form.locator("textarea[name=actors]").fill("JNIM\nFAMa")
    form.locator("input[name=fatalities]").fill("4")
    form.locator("input[name=source]").fill("Phone call with the mayor's office")
    form.locator("select[name=confidence]").select_option("high")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#filed")
    filed_id = page.locator("#filed").inner_text().split("#")[1].split()[0]
    row = page.locator(f"tr[data-incident-id='{filed_id}']")
    assert "submitted" in row.inner_text() and "filed by ana" in row.inner_text()
    assert "Boni <b>village</b>" in row.inner_text()  # shown as text, not markup
    shot(page, "incident-filed")

    # The map shows the report in its own layer, not among the published events.
    page.goto("/?country=MLI&source=acled")
    page.wait_for_selector("#map[data-ready='1']")
    page.select_option("#window", "1")
    state = map_state(page)
    assert state["reportsShown"] == "1" and state["eventsShown"] == "2"
    page.locator("path.report-marker").first.click(force=True)
    assert "Analyst report, unverified" in page.locator(".leaflet-popup-content").inner_text()
    shot(page, "map-with-analyst-report")

    # An admin confirms it with the review buttons.
    page.click("header form button[type=submit]")
    sign_in(page, "ada")
    page.goto("/incidents")
    row = page.locator(f"tr[data-incident-id='{filed_id}']")
    row.locator("input[name=note]").fill("confirmed by radio")
    row.locator("button[value=confirmed]").click()
    row = page.locator(f"tr[data-incident-id='{filed_id}']")
    assert "confirmed" in row.inner_text() and "reviewed by ada" in row.inner_text()


def test_forbidden_actions_are_refused(page: Page) -> None:
    sign_in(page, "vic")
    page.goto("/incidents")
    assert page.locator("#incident-form").count() == 0
    status = page.evaluate(
        """async () => {
            const {csrf_token} = await (await fetch('/api/session')).json();
            const response = await fetch('/api/incidents', {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf_token},
                body: JSON.stringify({event_date: '2020-01-01', latitude: 15, longitude: -2,
                    country_iso3: 'MLI', fatalities: 1, source: 'rumour', confidence: 'low'}),
            });
            return [response.status, (await response.json()).detail];
        }"""
    )
    assert status == [403, "this needs the analyst role; you are viewer"]

    page.click("header form button[type=submit]")
    sign_in(page, "ana")
    response = page.goto("/users")
    assert response.status == 403
    assert "403 Forbidden" in page.locator("#error-status").inner_text()
    assert "admin role" in page.locator("#error-detail").inner_text()
    shot(page, "forbidden-users-page")


def test_pages_render_with_their_charts(page: Page) -> None:
    for path, selector in (
        ("/trends?country=MLI&level=admin1", "svg.chart"),
        ("/actors?country=MLI", "svg.network circle"),
        ("/forecasts?country=MLI", "#forecast-table tbody tr"),
        ("/impact", "#impact-table tbody tr"),
        ("/alerts", "#alerts-table tbody tr"),
        ("/docs", "table.data"),
    ):
        page.goto(path)
        assert page.locator(selector).count() > 0, path
    shot(page, "api-docs")
