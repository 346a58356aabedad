"""The actors page draws the dyad network of ``sentinelle actors``' PNG (issue #16).

The page's SVG comes from :func:`sentinelle.actors.activity.network_drawing`, as the
PNG does: the same actors (the most lethal, civilians as targets at the centre), short
names in the page's language, colours by type, edge widths by fatalities, and a
legend of the types in words. No browser: the rendered HTML is read.
"""

from __future__ import annotations

import html
import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from sentinelle.actors import dyad_network, dyads
from sentinelle.actors.activity import network_drawing
from sentinelle.i18n import Lang
from sentinelle.web import data, pages
from tests.web.conftest import settings_for


@pytest.fixture(scope="module")
def reader(store: duckdb.DuckDBPyConnection) -> TestClient:
    from sentinelle.web import create_app

    return TestClient(create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store))


def _figure(page: str) -> str:
    found = re.search(r'<figure class="network-figure">(.*?)</figure>', page, re.S)
    assert found, "no network on the page"
    return found.group(1)


def _labels(figure: str) -> list[str]:
    return [
        html.unescape(label)
        for label in re.findall(r'<g class="actor">.*?<text [^>]*>([^<]*)</text></g>', figure, re.S)
    ]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["forces étatiques", "groupe armé jihadiste", "civils"]),
        ("en", ["state forces", "jihadist armed group", "civilians"]),
    ],
)
def test_the_page_draws_the_png_network_in_its_language(
    reader: TestClient, store: duckdb.DuckDBPyConnection, lang: Lang, words: list[str]
) -> None:
    page = reader.get("/actors", params={"country": "MLI", "lang": lang})
    assert page.status_code == 200
    figure = _figure(page.text)
    # What `sentinelle actors` draws to network.png for the same country and source.
    source = data.event_source(data.find_country(data.coverage(store), "MLI"))
    pairs = dyads(store, country_iso3="MLI", source=source)
    drawing = network_drawing(dyad_network(pairs), lang)
    assert sorted(_labels(figure)) == sorted(drawing.labels.values())
    assert figure.count("<circle") - figure.count('aria-hidden="true"') + figure.count(
        "<rect"
    ) == len(drawing.graph.nodes)
    assert figure.count("<line") == drawing.graph.number_of_edges()
    legend = re.search(r'<figcaption id="network-legend">(.*?)</figcaption>', figure, re.S)
    assert legend is not None
    shown = html.unescape(legend.group(1))
    assert [label for label, _ in drawing.legend] == [
        label for label, _ in drawing.legend if label in shown
    ]
    for word in words:
        assert word in shown
    assert html.unescape(drawing.note) in html.unescape(figure)
    assert "unmatched" not in page.text and "nan" not in re.findall(r"\w+", page.text)


def test_short_names_differ_by_language(reader: TestClient) -> None:
    fr = _labels(_figure(reader.get("/actors", params={"country": "MLI", "lang": "fr"}).text))
    en = _labels(_figure(reader.get("/actors", params={"country": "MLI", "lang": "en"}).text))
    assert "EIGS" in fr and "IS Sahel" in en  # the registry's short names
    assert "Civils" in fr and "Civilians" in en


def test_civilians_are_the_targets_at_the_centre(reader: TestClient) -> None:
    figure = _figure(reader.get("/actors", params={"country": "MLI", "lang": "en"}).text)
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', figure)
    assert view is not None
    width, height = int(view.group(1)), int(view.group(2))
    (square,) = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"', figure)
    x, y, side = (float(v) for v in square)
    assert x + side / 2 == pytest.approx(width / 2, abs=0.2)
    assert y + side / 2 == pytest.approx(height / 2, abs=0.2)


def test_edge_widths_follow_fatalities(
    reader: TestClient, store: duckdb.DuckDBPyConnection
) -> None:
    figure = _figure(reader.get("/actors", params={"country": "MLI", "lang": "en"}).text)
    widths = [float(w) for w in re.findall(r'<line [^>]*stroke-width="([\d.]+)"', figure)]
    drawing = data.network_picture(store, "MLI", None, "acled", "en")
    assert sorted(widths) == pytest.approx(sorted(drawing.widths.values()), abs=0.01)
    assert max(widths) == pytest.approx(8.6)  # the deadliest pair


def test_a_period_names_itself_in_the_title(reader: TestClient) -> None:
    page = reader.get("/actors", params={"country": "MLI", "period": "2019", "lang": "en"})
    assert "Who fought whom, 2019-01..2019-12" in _figure(page.text)


def test_the_dashboard_has_no_layout_of_its_own() -> None:
    assert not hasattr(pages, "network_layout")
