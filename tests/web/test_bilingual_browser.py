"""The dashboard in both languages, in headless Chromium (Debian's, driven by Playwright).

The language switch and its memory, French pages without English catalogue strings,
downloads that open (pandas reads the CSV and XLSX; the PNG is an image), the impact
page's plot, and a map view held in its URL. Screenshots go to ``test-artifacts/``.
Skipped, saying why, without ``chromium`` on the PATH or the vendored Leaflet.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sentinelle.web import create_app
from sentinelle.web.pages import vendor_missing
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, build_store, served, settings_for
from tests.web.test_i18n_pages import _english_catalogue

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    pytest.mark.skipif(
        bool(vendor_missing()), reason="Leaflet not vendored: run bash scripts/build_web.sh"
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = build_store(tmp_path_factory.mktemp("bilingual") / "store.duckdb")
    app = create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store)
    with served(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser: Browser, server: str, locale: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server,
        locale=locale,
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def french(browser: Browser, server: str) -> Iterator[Page]:
    """A browser whose language is French."""
    yield from _page(browser, server, "fr-FR")


@pytest.fixture
def english(browser: Browser, server: str) -> Iterator[Page]:
    """A browser whose language is English."""
    yield from _page(browser, server, "en-GB")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_switch_changes_the_language_and_remembers_it(french: Page) -> None:
    french.goto("/trends?country=MLI&level=admin1")
    assert french.get_attribute("html", "lang") == "fr"
    assert french.locator("h1").inner_text() == "Décès par mois : Mali"
    shot(french, "bilingual-trends-fr")
    french.click("#lang-switch a[data-lang=en]")
    french.wait_for_selector("html[lang=en]")
    assert "country=MLI" in french.url and "level=admin1" in french.url
    assert french.locator("h1").inner_text() == "Fatalities per month: Mali"
    shot(french, "bilingual-trends-en")
    french.click("nav a[href='/alerts']")  # no ?lang: the choice is remembered
    french.wait_for_selector("html[lang=en]")
    assert french.locator("h1").inner_text() == "Alerts"
    french.click("#lang-switch a[data-lang=fr]")
    french.wait_for_selector("html[lang=fr]")
    assert french.locator("h1").inner_text() == "Alertes"


@pytest.mark.parametrize(
    "path",
    ["/", "/trends?country=MLI", "/actors?country=MLI", "/forecasts?country=MLI", "/impact",
     "/alerts", "/login"],
)  # fmt: skip
def test_a_french_page_shows_no_english_catalogue_string(french: Page, path: str) -> None:
    french.goto(path)
    if path == "/":
        french.wait_for_selector("#map[data-ready='1']")
    assert french.get_attribute("html", "lang") == "fr"
    text = re.sub(r"\s+", " ", french.locator("body").inner_text())
    leaked = [m for m in _english_catalogue() if m in text]
    assert not leaked, f"{path}: {leaked}"
    assert not re.search(r"\bnan\b", text)
    shot(french, "bilingual-fr" + (re.sub(r"\W+", "-", path).rstrip("-") or "-map"))


def test_the_map_speaks_french_and_holds_its_view_in_the_url(french: Page) -> None:
    french.goto("/?country=MLI")
    french.wait_for_selector("#map[data-ready='1']")
    counts = french.locator("#counts").inner_text()
    assert "événements" in counts and "emprises" in counts
    assert "Événements" in french.locator(".leaflet-control-layers").inner_text()
    french.fill("#month", str(french.eval_on_selector("#month", "e => Number(e.min) + 6")))
    french.select_option("#window", "3")
    assert re.search(r"month=\d{4}-\d{2}", french.url) and "window=3" in french.url
    shared = french.url
    french.goto(shared)  # the shared link opens the same view
    french.wait_for_selector("#map[data-ready='1']")
    assert french.eval_on_selector("#map", "e => e.dataset.month") in shared
    assert french.locator("#window").input_value() == "3"
    shot(french, "bilingual-map-fr")


def test_the_impact_page_shows_its_plot(french: Page, english: Page) -> None:
    for page, lang in ((french, "fr"), (english, "en")):
        page.goto("/impact")
        plot = page.locator("img#event-study")
        plot.wait_for()
        page.wait_for_function("() => document.getElementById('event-study').complete")
        assert page.eval_on_selector("#event-study", "img => img.naturalWidth") > 300
        assert f"lang={lang}" in (plot.get_attribute("src") or "")
        shot(page, f"bilingual-impact-{lang}")
    assert "Doubles différences" in french.locator("#impact-table").inner_text()
    assert "Two-stage difference-in-differences" in english.locator("#impact-table").inner_text()


def test_exports_download_and_open(french: Page, tmp_path: Path) -> None:
    french.goto("/trends?country=MLI&level=admin1")
    with french.expect_download() as csv_download:
        french.click(".exports a[data-format=csv]")
    csv = pd.read_csv(csv_download.value.path())
    assert list(csv.columns) == ["Unité", "Mois", "Décès"] and len(csv) > 0
    with french.expect_download() as xlsx_download:
        french.click(".exports a[data-format=xlsx]")
    xlsx = pd.read_excel(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    assert list(xlsx.columns) == list(csv.columns) and len(xlsx) == len(csv)
    french.goto("/forecasts?country=MLI")
    with french.expect_download() as png_download:
        french.click("button.png-download")
    assert png_download.value.suggested_filename == "forecast.png"
    assert Path(png_download.value.path()).read_bytes().startswith(b"\x89PNG")
    with french.expect_download() as table:
        french.click(".exports a[data-format=xlsx]")
    forecasts = pd.read_excel(io.BytesIO(Path(table.value.path()).read_bytes()))
    assert "Médiane" in forecasts.columns and len(forecasts) == 6
