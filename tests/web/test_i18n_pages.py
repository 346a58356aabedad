"""Every page in French and English from one catalogue; downloads of every table.

The catalogue test: a template's visible text (text nodes and the title, placeholder,
aria-label and alt attributes) must all come from ``_()``, the scripts carry no text
of their own, and a French page shows no English string of the catalogue, no code
and no "nan". Language choice: ``?lang=``, the remembered cookie, Accept-Language
(French when the browser does not rank English first). Exports: CSV and XLSX that
pandas reads, headers in the page's language, formula-like cells escaped.
"""

from __future__ import annotations

import html
import io
import re
from functools import cache

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sentinelle.i18n import extract_messages, translator
from sentinelle.web import create_app
from sentinelle.web.language import accept_language
from sentinelle.web.pages import JS_STRINGS, STATIC_DIR, WEB_DIR
from tests.web.conftest import build_store, settings_for

TEMPLATES = WEB_DIR / "templates"
PAGES = (
    "/",
    "/trends?country=MLI",
    "/trends?country=MLI&level=admin1",
    "/actors?country=MLI",
    "/forecasts?country=MLI",
    "/impact",
    "/alerts",
    "/login",
    "/docs",
    "/no-such-page",
    "/actors?country=MLI&period=last-summer",
)
FORMULA_ACTOR = '=HYPERLINK("http://evil.example/","x")'
# Words a page may show in any language: names, formats.
_NEUTRAL = {"Sentinelle", "API", "CSV", "XLSX", "PNG", "Français", "English", "UTC", "ISO3"}


def _add_rows(con: duckdb.DuckDBPyConnection) -> None:
    """A formula-like actor name and a per-base table for the impact run."""
    con.execute(
        "INSERT INTO events (source, source_event_id, date_start, date_end, latitude, longitude, "
        "country_iso3, country_name, admin1, violence_type, side_a, side_b, fatalities_best, "
        "civilian_deaths, source_version, ingest_id) VALUES ('acled', 'MLIX', DATE '2020-05-03', "
        "DATE '2020-05-03', 15.0, -3.0, 'MLI', 'Mali', 'Mopti', 'non_state', ?, 'JNIM', 999, 0, "
        "'test', 1)",
        [FORMULA_ACTOR],
    )
    con.execute(
        "INSERT INTO impact_bases (run_id, base, unit_name, closure_date, what_happened, "
        "taken_over_by, before_12m, after_12m, synthetic_after) VALUES "
        "(1, 'Charlie Camp', 'Kidal', DATE '2017-12-31', NULL, NULL, 4.0, 9.0, NULL)"
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = build_store(tmp_path_factory.mktemp("i18n") / "store.duckdb")
    _add_rows(con)
    return con


@pytest.fixture(scope="module")
def app_client(store: duckdb.DuckDBPyConnection) -> TestClient:
    return TestClient(create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store))


def get(client: TestClient, path: str, lang: str) -> str:
    """A page as a browser preferring ``lang`` reads it (no cookie carried over)."""
    client.cookies.clear()
    return client.get(path, headers={"Accept-Language": lang}).text


def visible_text(page: str) -> str:
    """What a reader sees: text nodes of <main>/<header>/<footer>, without scripts and
    without the parts marked ``lang="en"`` (the API reference, run notes)."""
    body = page[page.index("<body>") :]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    body = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", body, flags=re.S)
    attributes = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', body))
    text = re.sub(r"<[^>]+>", " ", body) + " " + attributes
    return re.sub(r"\s+", " ", html.unescape(text))


# ------------------------------------------------------------------- the catalogue


def _template_text(source: str) -> list[str]:
    """Words of a template that do not come from ``_()``."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"<script.*?</script>", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    attributes = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', source)
    text = re.sub(r"<[^>]+>", " ", source) + " " + " ".join(attributes)
    text = re.sub(r"/[\w./-]+", " ", text)  # paths shown as they are (/openapi.json)
    return [w for w in re.findall(r"[A-Za-zÀ-ÿ]{2,}", text) if w not in _NEUTRAL]


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_template_text_is_all_in_the_catalogue(template: str) -> None:
    words = _template_text((TEMPLATES / template).read_text(encoding="utf-8"))
    assert not words, f"{template}: text outside _(): {words}"


def test_the_catalogue_test_catches_stray_text() -> None:
    assert _template_text('<p title="Shown">{{ _("Fine") }} Oops</p>') == ["Oops", "Shown"]


@pytest.mark.parametrize("script", ["app.js", "map.js"])
def test_scripts_carry_no_text_of_their_own(script: str) -> None:
    source = (STATIC_DIR / script).read_text(encoding="utf-8")
    source = re.sub(r"^\s*//.*$", "", source, flags=re.M)
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`', source)
    prose = [
        text
        for pair in literals
        for text in pair
        if re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", re.sub(r"\$\{[^}]*\}", "", text))
        and text != "use strict"
        and not ("-" in text and re.fullmatch(r"[a-z -]+", text))  # CSS classes
    ]
    assert not prose, f"{script}: English text in the script: {prose}"


def test_template_and_script_strings_are_extracted_and_translated() -> None:
    extracted = {m.id: m for m in extract_messages() if m.id}
    from_templates = [
        m for m in extracted.values() if any("/templates/" in loc for loc, _ in m.locations)
    ]
    assert len(from_templates) > 150
    fr = translator("fr")
    for text in JS_STRINGS.values():
        assert text in extracted
    untranslated = [m.id for m in from_templates if isinstance(m.id, str) and not fr.gettext(m.id)]
    assert not untranslated


@cache
def _english_catalogue() -> list[str]:
    """English messages of the catalogue a French page must not show: whole sentences
    or phrases (three words or more, no placeholder) that French writes differently."""
    fr = translator("fr")
    out = []
    for message in extract_messages():
        text = message.id
        if not isinstance(text, str) or "%" in text or len(text.split()) < 3:
            continue
        if fr.gettext(text) != text:
            out.append(text)
    return out


@pytest.mark.parametrize("path", PAGES)
def test_a_french_page_is_french(app_client: TestClient, path: str) -> None:
    page = get(app_client, path, "fr-FR,fr;q=0.9")
    assert '<html lang="fr">' in page
    text = visible_text(page)
    assert len(_english_catalogue()) > 150  # the check has something to find
    leaked = [m for m in _english_catalogue() if m in text]
    assert not leaked, f"{path}: English in the French page: {leaked}"
    assert not re.search(r"\b(nan|None|NaN|True|False)\b", text), path
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"{path}: a code in the text"


@pytest.mark.parametrize(
    ("path", "french", "english"),
    [
        ("/trends?country=MLI", "Décès par mois : Mali", "Fatalities per month: Mali"),
        ("/alerts", "Chaque alerte dit ce qui a été constaté", "Each alert says what was found"),
        ("/impact", "la fermeture d\u2019une emprise a fait varier", "closure of a base changed"),
        ("/forecasts?country=MLI", "La ligne est la médiane", "The line is the median"),
        ("/actors?country=MLI", "Acteurs et dyades : Mali", "Actors and dyads: Mali"),
    ],
)
def test_each_page_in_both_languages(
    app_client: TestClient, path: str, french: str, english: str
) -> None:
    assert french in visible_text(get(app_client, path, "fr"))
    en = get(app_client, path, "en-GB,en;q=0.9,fr;q=0.5")
    assert '<html lang="en">' in en and english in visible_text(en)


# ----------------------------------------------------------------------- the choice


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.8,fr;q=0.9", "fr"),
        ("de-DE,de;q=0.9", "fr"),  # no preference between the two: French first
        ("", "fr"),
        (None, "fr"),
        ("en;q=0", "fr"),
        ("fr;q=oops, en", "en"),
    ],
)
def test_accept_language(header: str | None, lang: str) -> None:
    assert accept_language(header) == lang


def test_the_switch_is_remembered_and_keeps_the_view(store: duckdb.DuckDBPyConnection) -> None:
    client = TestClient(create_app(settings_for(":memory:"), store))
    first = client.get("/trends?country=MLI&level=admin1", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in first.text and first.headers["content-language"] == "fr"
    switch = re.search(r'href="([^"]+)"[^>]*data-lang="en"', first.text)
    assert switch is not None
    target = html.unescape(switch.group(1))
    assert "country=MLI" in target and "level=admin1" in target and "lang=en" in target
    english = client.get(target, headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in english.text
    # Remembered: the next page, without ?lang and with a French browser, is English.
    later = client.get("/alerts", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in later.text
    assert '<html lang="fr">' in client.get("/alerts?lang=fr").text


def test_a_protected_page_sends_to_a_sign_in_page_in_its_language(
    app_client: TestClient,
) -> None:
    app_client.cookies.clear()
    french = app_client.get("/incidents?lang=fr")  # followed: the redirect keeps the language
    assert french.url.path == "/login" and french.url.params["lang"] == "fr"
    assert 'lang="fr"' in french.text and "Sign in" not in visible_text(french.text)
    app_client.cookies.clear()
    english = app_client.get("/incidents", headers={"Accept-Language": "en"})
    assert 'lang="en"' in english.text and "Sign in" in visible_text(english.text)


def test_api_errors_say_it_in_the_readers_language(app_client: TestClient) -> None:
    app_client.cookies.clear()
    fr = app_client.get("/api/impact?mission=UNMISS", headers={"Accept-Language": "fr"})
    assert fr.status_code == 404
    body = fr.json()
    assert "UNMISS" in body["detail"]  # the API's contract, as before
    assert body["message"].startswith("aucune analyse d\u2019impact enregistrée pour UNMISS")
    assert body["title"] == "Introuvable"
    en = app_client.get("/api/impact?mission=UNMISS", headers={"Accept-Language": "en"})
    assert en.json()["message"] == en.json()["detail"] and en.json()["title"] == "Not found"


def test_a_refused_field_is_explained_on_the_page(app_client: TestClient) -> None:
    app_client.cookies.clear()
    page = app_client.get(
        "/actors?country=MLI&period=last-summer", headers={"Accept-Language": "fr"}
    )
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "une période de mois comme 2023-07..2024-06" in visible_text(page.text)


# -------------------------------------------------------------------- impact, alerts


def test_the_impact_page_says_it_in_words(app_client: TestClient) -> None:
    page = get(app_client, "/impact", "fr")
    text = visible_text(page)
    assert "Doubles différences échelonnées" in text and "callaway" not in text
    assert "L\u2019estimation principale" in text  # each estimator's one line
    assert "Charlie Camp" in text and "31 décembre 2017" in text  # the per-base table
    plot = re.search(r'<img id="event-study" src="([^"]+)"', page)
    assert plot is not None
    png = app_client.get(html.unescape(plot.group(1)))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert "lang=fr" in plot.group(1)


def test_the_alerts_page_explains_each_alert(app_client: TestClient) -> None:
    text = visible_text(get(app_client, "/alerts", "fr"))
    assert "ALERTE — Mali : 120 décès liés aux conflits en juin 2020" in text
    assert "Règle conflits de HDX Signals" in text
    assert "Seuil 50" in text and "Plancher (nombre minimal de décès pour alerter) 50" in text
    english = visible_text(get(app_client, "/alerts", "en"))
    assert "HDX Signals conflict rule" in english and "Threshold 50" in english


# ------------------------------------------------------------------------- exports


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/export/[^"]+)"', page)]


@pytest.mark.parametrize(
    "path",
    [
        "/trends?country=MLI&level=admin1",
        "/actors?country=MLI",
        "/forecasts?country=MLI",
        "/impact",
        "/alerts",
    ],
)
def test_every_table_downloads_as_csv_and_xlsx(app_client: TestClient, path: str) -> None:
    page = get(app_client, path, "fr")
    links = _links(page)
    assert {link.split("?")[0].rsplit(".", 1)[1] for link in links} >= {"csv", "xlsx"}
    for link in links:
        if link.endswith(".png") or ".png?" in link:
            continue
        answer = app_client.get(link, headers={"Accept-Language": "fr"})
        assert answer.status_code == 200, link
        frame = (
            pd.read_csv(io.StringIO(answer.text))
            if ".csv" in link
            else pd.read_excel(io.BytesIO(answer.content))
        )
        assert len(frame.columns) >= 3, link
        assert not [c for c in frame.columns if re.search(r"[a-z]_[a-z]", str(c))], link


def test_exports_follow_the_view_and_escape_formulas(app_client: TestClient) -> None:
    query = "?country=MLI&period=2020-01..2020-12&source=acled"
    csv = pd.read_csv(io.StringIO(get(app_client, "/export/actors.csv" + query, "fr")))
    assert list(csv.columns) == ["Acteur", "Type", "Événements", "Décès", "Victimes civiles"]
    assert "'" + FORMULA_ACTOR in set(csv["Acteur"])
    xlsx = app_client.get("/export/actors.xlsx" + query, headers={"Accept-Language": "en"})
    sheet = pd.read_excel(io.BytesIO(xlsx.content))
    assert "'" + FORMULA_ACTOR in set(sheet["Actor"])
    assert not any(str(v).startswith("=") for v in sheet["Actor"])
    whole = pd.read_csv(io.StringIO(get(app_client, "/export/trends.csv?country=MLI", "en")))
    assert list(whole.columns) == ["Unit", "Month", "Fatalities"] and len(whole) == 24
    effects = pd.read_csv(io.StringIO(get(app_client, "/export/impact-effects.csv", "fr")))
    assert "Doubles différences en deux étapes" in set(effects["Estimateur"])
    assert app_client.get("/export/nothing.csv").status_code == 404
    assert app_client.get("/export/alerts.exe").status_code == 404
