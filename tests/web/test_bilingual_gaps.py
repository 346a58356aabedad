"""The dashboard's last English-only texts, said in the reader's language (#16).

- The 404s of the map's aggregates, bases and forecasts and of the table exports are
  catalogue messages: ``detail`` is the English, ``message`` (or the error page) the
  reader's language, a country named as the reader names it.
- The download links of the alerts, forecasts and trends pages are in the page's
  language.
- What the closure table says happened to a base (its ``event``, ``taken_over_by``)
  is shown in the reader's language on the map's bases and in the per-base table and
  its export.

The store is the web fixture store without its country-month forecast, plus three
months of aggregates of two cercles, an admin-2 forecast run (no draws: only its span
is read), MINUSMA's Douentza site (Geo-PKO-style yearly rows) and a per-base row of
the fixture impact run carrying the closure table's own English texts for Douentza.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sentinelle.geo import month_id
from sentinelle.i18n import N_, Lang, translator
from sentinelle.places import unit_plural
from sentinelle.sources.closures import load_closures
from sentinelle.store.currency import source_label
from sentinelle.web import create_app
from sentinelle.web.messages import Message, Said, country, word
from tests.web.conftest import build_store, settings_for
from tests.web.test_error_messages import LANGS, said

BASE = "Douentza"


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_gap_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _gap_rows")
    con.unregister("_gap_rows")


@pytest.fixture(scope="module")
def douentza() -> pd.Series:
    closures = load_closures()
    return closures[closures["base"] == BASE].iloc[0]


@pytest.fixture(scope="module")
def gap_store(
    tmp_path_factory: pytest.TempPathFactory, douentza: pd.Series
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_store(Path(tmp_path_factory.mktemp("gaps")) / "store.duckdb")
    cm = "SELECT run_id FROM forecast_runs WHERE unit = 'cm'"
    con.execute(f"DELETE FROM forecast_draws WHERE run_id IN ({cm})")
    con.execute("DELETE FROM forecast_runs WHERE unit = 'cm'")
    first = month_id(2023, 1)
    aggregates = pd.DataFrame(
        [
            {"pcode": pcode, "name": name, "admin1_name": "Mopti", "admin1_pcode": "ML05",
             "month_id": m, "events": 2, "fatalities": 3}
            for pcode, name in (("ML0501", "Mopti"), ("ML0502", "Bandiagara"))
            for m in range(first, first + 3)
        ]
    ).assign(source="acled-hdx", series="political_violence", as_of=pd.Timestamp("2025-04-03"),
             iso3="MLI", admin_level=2, ingest_id=7)  # fmt: skip
    _insert(con, "admin_aggregates", aggregates)
    con.execute(
        "INSERT INTO forecast_runs (model, target, unit, origin, first_month, last_month, "
        "n_units, n_draws, data_version, meta) VALUES ('gbm', 'fatalities', 'admin2', ?, ?, ?, "
        '2, 10, \'test\', \'{"countries": "MLI", "source": "acled-hdx"}\')',
        [first + 2, first + 3, first + 5],
    )
    deployments = pd.DataFrame(
        [
            {"source": "geopko_frontmap", "mission": "MINUSMA", "location": BASE,
             "country": "Mali", "latitude": float(douentza["latitude"]),
             "longitude": float(douentza["longitude"]), "year": year, "month": 0,
             "troops": 300.0, "hq": 0, "ingest_id": 2}
            for year in range(2014, 2024)
        ]
    )  # fmt: skip
    _insert(con, "deployments", deployments)
    bases = pd.DataFrame(
        [
            {"run_id": 1, "base": BASE, "unit_name": "Douentza",
             "closure_date": douentza["closure_date"], "date_precision": "day",
             "what_happened": douentza["event"], "taken_over_by": douentza["taken_over_by"],
             "citation": douentza["source"], "outcome": "civilian_deaths",
             "before_12m": 4.0, "after_12m": 9.0}
        ]
    )  # fmt: skip
    _insert(con, "impact_bases", bases)
    yield con
    con.close()


@pytest.fixture(scope="module")
def gap_app(gap_store: duckdb.DuckDBPyConnection) -> FastAPI:
    return create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), gap_store)


@pytest.fixture(scope="module")
def page_app(store: duckdb.DuckDBPyConnection) -> FastAPI:
    """The package fixture store: alerts, a country-month forecast, events to chart."""
    return create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store)


def reader(app: FastAPI, lang: Lang) -> TestClient:
    return TestClient(app, headers={"Accept-Language": lang})


# ---------------------------------------------------------------------------------- 404s

HDX = word(source_label("acled-hdx"))
INGEST = N_(
    "no %(source)s aggregates of %(country)s in the store: ingest ACLED's HDX "
    "workbook (`sentinelle ingest %(code)s FILE` or `sentinelle fetch %(code)s "
    "--country NAME`)"
)
INGEST_AT = N_(
    "no %(source)s aggregates of %(country)s at admin level %(level)s in the store: "
    "ingest ACLED's HDX workbook (`sentinelle ingest %(code)s FILE` or "
    "`sentinelle fetch %(code)s --country NAME`)"
)
NO_UNIT_RUN = N_(
    "no forecast of the %(units)s of %(country)s made from %(source)s in the store: "
    "run `sentinelle forecast --unit %(unit)s --source %(code)s --country %(iso3)s`"
)


def cercles(iso3: str) -> Said:
    return Said(lambda lang: unit_plural(iso3, 2, lang))


API_404 = [
    ("/api/aggregates/months", {"country": "NER"}, INGEST,
     {"source": HDX, "country": country("NER"), "code": "acled-hdx"}),
    ("/api/aggregates/months", {"country": "NER", "level": 2}, INGEST_AT,
     {"source": HDX, "country": country("NER"), "code": "acled-hdx", "level": 2}),
    ("/api/aggregates/values", {"country": "MLI", "month": "2023-01", "series": "fatal"},
     N_("no %(source)s series '%(series)s' for %(country)s at admin level %(level)s; "
        "stored: %(stored)s"),
     {"source": HDX, "series": "fatal", "country": country("MLI"), "level": 2,
      "stored": "political_violence"}),
    ("/api/aggregates/values", {"country": "MLI", "month": "2024-01"},
     N_("%(source)s aggregates (%(series)s) of %(country)s cover %(first)s to %(last)s, "
        "not %(month)s"),
     {"source": HDX, "series": word("political violence"), "country": country("MLI"),
      "first": "2023-01", "last": "2023-03", "month": "2024-01"}),
    ("/api/aggregates/bases", {"mission": "UNMISS"},
     N_("no deployments of mission '%(mission)s' in the store"), {"mission": "UNMISS"}),
    ("/api/forecast/units", {"country": "NER"}, NO_UNIT_RUN,
     {"units": cercles("NER"), "country": country("NER"), "source": HDX, "unit": "admin2",
      "code": "acled-hdx", "iso3": "NER"}),
    ("/api/forecast/units", {"country": "MLI", "month": "2024-01"},
     N_("the forecast of the %(units)s of %(country)s (run %(run)s) covers %(first)s "
        "to %(last)s, not %(month)s"),
     {"units": cercles("MLI"), "country": country("MLI"), "run": 3, "first": "2023-04",
      "last": "2023-06", "month": "2024-01"}),
    ("/api/forecast", {"unit": "cm"},
     N_("no %(units)s forecast stored (run `sentinelle forecast --unit %(unit)s`)"),
     {"units": word("country-month"), "unit": "cm"}),
]  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "params", "msgid", "values"), API_404)
def test_api_404_in_the_readers_language(
    gap_app: FastAPI,
    lang: Lang,
    path: str,
    params: dict[str, object],
    msgid: str,
    values: dict[str, object],
) -> None:
    response = reader(gap_app, lang).get(path, params=params)
    assert response.status_code == 404, response.text
    text = said(response, lang, msgid, **values)
    if "country" in values:  # named, not coded; in French first, before a colon
        name = {"NER": "Niger", "MLI": "Mali"}[str(params["country"])]
        assert text.startswith(f"{name}\u00a0:") if lang == "fr" else f" {name} " in text
    if "run" in values:  # the run the fixture stored
        assert response.json()["detail"].count("(run 3)") == 1


EXPORT_404 = [
    ("/export/trends.csv", {"country": "TCD"}, N_("no events of %(country)s in the store"),
     {"country": country("TCD")}, {"fr": "Tchad", "en": "Chad"}),
    ("/export/forecasts.xlsx", {},
     N_("no %(units)s forecast stored (run `sentinelle forecast --unit %(unit)s`)"),
     {"units": word("country-month"), "unit": "cm"}, {"fr": "pays-mois", "en": "country-month"}),
]  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "params", "msgid", "values", "words"), EXPORT_404)
def test_export_404_page_in_the_readers_language(
    gap_app: FastAPI,
    lang: Lang,
    path: str,
    params: dict[str, str],
    msgid: str,
    values: dict[str, object],
    words: dict[str, str],
) -> None:
    response = reader(gap_app, lang).get(path, params=params)
    assert response.status_code == 404
    text = html.unescape(response.text)
    message = Message(msgid, values).say(lang)
    assert message in text and words[lang] in message
    if lang == "fr":
        assert str(Message(msgid, values)) not in text
        assert translator("fr").gettext(msgid) != msgid


# ------------------------------------------------------------------------- export links

DOWNLOAD = "Download this table:"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("path", "table"),
    [("/alerts", "alerts"), ("/forecasts", "forecasts"), ("/trends", "trends")],
)
def test_download_links_speak_the_pages_language(
    page_app: FastAPI, lang: Lang, path: str, table: str
) -> None:
    page = reader(page_app, lang).get(path, params={"country": "MLI"})
    assert page.status_code == 200
    links = page.text.split(f'data-table="{table}"', 1)
    assert len(links) == 2, f"no download links of {table}"
    head = html.unescape(links[1].split("</p>", 1)[0])
    french = translator("fr").gettext(DOWNLOAD)
    assert french != DOWNLOAD
    assert (french if lang == "fr" else DOWNLOAD) in head
    assert (DOWNLOAD if lang == "fr" else french) not in page.text


# ------------------------------------------------------------------- closure table texts


@pytest.mark.parametrize("lang", LANGS)
def test_map_bases_carry_the_closure_texts_in_the_readers_language(
    gap_app: FastAPI, douentza: pd.Series, lang: Lang
) -> None:
    event, taken = (
        (douentza["event_fr"], douentza["taken_over_by_fr"])
        if lang == "fr"
        else (douentza["event"], douentza["taken_over_by"])
    )
    assert douentza["event_fr"] != douentza["event"]
    other: Lang = "en" if lang == "fr" else "fr"
    asked = [
        (reader(gap_app, other), {"mission": "MINUSMA", "lang": lang}),  # the URL's language
        (reader(gap_app, lang), {"mission": "MINUSMA"}),  # else the browser's
    ]
    for client, params in asked:
        rows = client.get("/api/aggregates/bases", params=params).json()
        site = next(b for b in rows if b["base"] == BASE)
        assert (site["event"], site["taken_over_by"]) == (event, taken)


@pytest.mark.parametrize("lang", LANGS)
def test_per_base_export_and_table_carry_the_closure_texts(
    gap_app: FastAPI, douentza: pd.Series, lang: Lang
) -> None:
    client = reader(gap_app, lang)
    t = translator(lang)
    body = client.get("/export/impact-bases.csv", params={"mission": "MINUSMA"})
    assert body.status_code == 200
    frame = pd.read_csv(io.StringIO(body.text))
    row = frame[frame[t.gettext("Base")] == BASE].iloc[0]
    suffix = "_fr" if lang == "fr" else ""
    assert row[t.gettext("What the sources say")] == douentza[f"event{suffix}"]
    assert row[t.gettext("Taken over by")] == douentza[f"taken_over_by{suffix}"]
    xlsx = pd.read_excel(
        io.BytesIO(client.get("/export/impact-bases.xlsx", params={"mission": "MINUSMA"}).content)
    )
    assert xlsx[t.gettext("Taken over by")].iloc[0] == douentza[f"taken_over_by{suffix}"]
    page = html.unescape(client.get("/impact", params={"mission": "MINUSMA"}).text)
    table = page.split('id="bases-table"', 1)[1].split("</table>", 1)[0]
    assert douentza[f"event{suffix}"] in table
    other = "" if lang == "fr" else "_fr"
    assert douentza[f"event{other}"] not in table
