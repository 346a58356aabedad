"""The impact page lists every mission with stored results and shows cross-mission runs (#17).

The store holds the package fixture's single-mission run (MINUSMA, cells in km rings)
and a cross-mission run stored by :func:`sentinelle.impact.store.store_staggered`, of
a *simulated* grid (:func:`tests.impact.simulate.simulate_deployments`) whose first
mission is labelled UNAMID here: the numbers are the simulation's, not UNAMID's.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sentinelle.i18n import Lang, translator
from sentinelle.impact import latest_impact
from sentinelle.impact.staggered import run_staggered
from sentinelle.impact.store import store_staggered
from sentinelle.web import create_app
from sentinelle.web.impact_view import staggered_view
from tests.impact.simulate import simulate_deployments
from tests.web.conftest import build_store, settings_for


@pytest.fixture(scope="module")
def staggered_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_store(Path(tmp_path_factory.mktemp("impact")) / "store.duckdb")
    deployments, events, cells = simulate_deployments(3, size=24)
    deployments["mission"] = deployments["mission"].replace({"AAA": "UNAMID"})
    result = run_staggered(
        deployments, event_data=events, cells=cells, closures=pd.DataFrame(), min_treated=5,
        outcomes=["civilian_deaths", "any_civilian_deaths"],
    )  # fmt: skip
    store_staggered(con, result)
    yield con
    con.close()


@pytest.fixture(scope="module")
def reader(staggered_store: duckdb.DuckDBPyConnection) -> TestClient:
    return TestClient(create_app(settings_for(":memory:"), staggered_store))


def visible(page: str) -> str:
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def no_codes(text: str) -> None:
    words = re.findall(r"\w+", text)
    assert "nan" not in words and "NaN" not in words
    for code in ("callaway_santanna", "placebo_leads", "any_civilian_deaths", "pgm-year"):
        assert code not in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_mission_with_results_is_listed_and_linked(reader: TestClient, lang: Lang) -> None:
    page = reader.get("/impact", params={"lang": lang}).text
    table = re.search(r'<table class="data" id="impact-missions">(.*?)</table>', page, re.S)
    assert table is not None
    links = dict(
        (html.unescape(name), html.unescape(href))
        for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', table.group(1))
    )
    pooled = (
        "Toutes les missions en Afrique, ensemble"
        if lang == "fr"
        else "All missions in Africa, pooled"
    )
    assert set(links) == {"MINUSMA", "UNAMID", "BBB", pooled}
    assert links["UNAMID"] == f"/impact?mission=UNAMID&lang={lang}"
    assert links[pooled] == f"/impact?mission=ALL%3Aafrica&lang={lang}"
    text = visible(table.group(1))
    assert ("2000\u20132015" in text) and (
        "janvier 2014" if lang == "fr" else "January 2014"
    ) in text
    no_codes(text)
    for name, href in links.items():
        target = reader.get(href)
        assert target.status_code == 200
        heading = re.search(r"<h1>(.*?)</h1>", target.text, re.S)
        assert heading is not None and name in html.unescape(heading.group(1)), name


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Quand une emprise ferme, dans sa cellule",
                "Quand une emprise s\u2019installe, dans les cellules voisines",
                "Doubles différences échelonnées", "pas placées au hasard",
                "Précision des dates : année"]),
        ("en", ["When a base leaves, in its cell", "When a base arrives, in the neighbouring cells",
                "Staggered difference-in-differences", "not placed at random",
                "Precision of the dates: year"]),
    ],
)  # fmt: skip
def test_unamid_shows_its_entries_and_exits_in_words(
    reader: TestClient, staggered_store: duckdb.DuckDBPyConnection, lang: Lang, words: list[str]
) -> None:
    page = reader.get("/impact", params={"mission": "UNAMID", "lang": lang})
    assert page.status_code == 200
    text = visible(page.text)
    for word in words:
        assert word in text, word
    assert "sentinelle impact --mission MINUSMA" not in text
    no_codes(text)
    summary = re.search(r'<div class="summary" id="impact-summary">(.*?)</div>', page.text, re.S)
    assert summary is not None
    paragraphs = re.findall(r"<p>(.*?)</p>", summary.group(1), re.S)
    assert len(paragraphs) == 5  # the design, then exit and entry x same cell and neighbours
    # The numbers are the stored ones: exit, same cell, in percentage points.
    stored = latest_impact(staggered_store, "UNAMID")
    assert stored is not None and stored.run["outcome"] == "any_civilian_deaths"
    exit_cell = stored.effects.query("estimator == 'callaway_santanna:exit' and ring == 0").iloc[0]
    points = translator(lang).signed(100 * float(exit_cell["estimate"]), 1)
    assert points in html.unescape(paragraphs[1])
    rows = re.findall(r"<tr><td>", page.text.split('id="staggered-table"')[1].split("</table>")[0])
    assert len(rows) == 2 * 2 * 2  # two outcomes, exit and entry, two rings
    caveats = re.search(r'<ul id="impact-caveats">(.*?)</ul>', page.text, re.S)
    assert caveats is not None and caveats.group(1).count("<li>") >= 5


def test_the_single_mission_view_is_unchanged(reader: TestClient) -> None:
    page = reader.get("/impact", params={"mission": "MINUSMA", "lang": "en"}).text
    assert 'id="impact-table"' in page and 'id="staggered-table"' not in page
    assert "closure of a base changed" in visible(page)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_mission_without_results_says_how_to_get_them(reader: TestClient, lang: Lang) -> None:
    text = visible(reader.get("/impact", params={"mission": "UNMISS", "lang": lang}).text)
    assert "sentinelle impact --mission UNMISS" in text
    assert "sentinelle impact --missions all" in text
    assert "MINUSMA" not in text.split("UNMISS", 1)[1]  # no other mission's command


def test_the_api_reads_the_staggered_run_too(reader: TestClient) -> None:
    body = reader.get("/api/impact", params={"mission": "unamid"}).json()
    assert body["run"]["mission"] == "UNAMID" and body["run"]["unit"] == "pgm-year"


def test_an_event_without_estimate_says_why_it_may_be_missing(
    staggered_store: duckdb.DuckDBPyConnection,
) -> None:
    stored = latest_impact(staggered_store, "UNAMID")
    assert stored is not None
    effects = stored.effects[~stored.effects["estimator"].str.endswith(":exit")]
    view = staggered_view(staggered_store, dataclasses.replace(stored, effects=effects), "fr")
    assert view["summary"][1].startswith("Quand une emprise ferme, dans sa cellule : pas d")
    assert "trop peu de cellules traitées" in view["summary"][1]
    assert view["summary"][3].startswith("Quand une emprise s\u2019installe, dans sa cellule, la")


# ------------------------------------------------------- the cross-mission event study


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_staggered_view_shows_its_event_study_by_year(
    reader: TestClient, staggered_store: duckdb.DuckDBPyConnection, lang: Lang
) -> None:
    from matplotlib import pyplot as plt

    from sentinelle.web.exports import event_study_figure, period_unit

    page = reader.get("/impact", params={"mission": "UNAMID", "lang": lang}).text
    image = re.search(r'<img id="event-study" src="([^"]+)" alt="([^"]+)"', page)
    assert image is not None
    src, alt = html.unescape(image.group(1)), html.unescape(image.group(2))
    assert src == f"/export/impact-event-study.png?mission=UNAMID&lang={lang}"
    assert ("année par année" if lang == "fr" else "by year") in alt
    caption = visible(page.split('<figure class="event-study">', 1)[1].split("</figure>", 1)[0])
    assert ("(année 0)" if lang == "fr" else "(year 0)") in caption
    png = reader.get(src)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 10_000
    # The axes say years (the run is yearly); rings and events in words.
    stored = latest_impact(staggered_store, "UNAMID")
    assert stored is not None and period_unit(stored) == "year"
    t = translator(lang)
    figure = event_study_figure(stored, lang)
    try:
        axes = [ax for ax in figure.axes if ax.get_legend() is not None]
        assert len(axes) == 2  # same cell, neighbouring cells
        for ax, ring in zip(axes, ("same cell", "neighbouring cells"), strict=True):
            assert ax.get_title().startswith("UNAMID") and ax.get_title().endswith(t.gettext(ring))
            assert ax.get_xlabel() == t.gettext("years since the base arrived or left")
            assert ax.get_xlabel().startswith("années" if lang == "fr" else "years")
            legend = {x.get_text() for x in ax.get_legend().get_texts()}
            assert legend == {t.gettext("When a base arrives"), t.gettext("When a base leaves")}
        ylabel = figure.axes[0].get_ylabel().replace("\n", " ")
        assert ylabel.startswith("variation de «" if lang == "fr" else "change in \u201c")
        assert ylabel.endswith("par cellule et par an" if lang == "fr" else "per cell and year")
    finally:
        plt.close(figure)
    monthly = event_study_figure(stored, lang, "month")
    try:
        assert monthly.axes[0].get_xlabel() == t.gettext("months since the base arrived or left")
    finally:
        plt.close(monthly)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_staggered_export_names_events_and_rings_in_words(
    reader: TestClient, lang: Lang
) -> None:
    t = translator(lang)
    body = reader.get("/export/impact-effects.csv", params={"mission": "UNAMID", "lang": lang})
    assert body.status_code == 200
    frame = pd.read_csv(io.StringIO(body.text))
    for code in ("(exit)", "(entry)", "placebo_leads", "callaway_santanna", "any_civilian"):
        assert code not in body.text, code
    events = {e.rsplit(":", 1)[1].strip() for e in frame[t.gettext("Estimator")]}
    assert events == {t.gettext("exit"), t.gettext("entry")}
    assert set(frame[t.gettext("Ring")]) == {
        t.gettext("same cell"),
        t.gettext("neighbouring cells"),
    }
    assert frame[t.gettext("What it compares")].notna().all()
    # Every outcome the page shows, in words: two outcomes x (main, placebo) x events x rings.
    assert frame[t.gettext("Outcome")].nunique() == 2 and len(frame) == 2 * 2 * 2 * 2
    if lang == "fr":
        assert events == {"retrait", "arrivée"}
        assert "same cell" not in body.text and "exit" not in body.text
