"""Place names and the subnational forecast layer of the map (issues #16 and #15).

The store is the web fixture store with real data of ``../shared/data``: ACLED's HDX
workbook for Mali's 53 cercles (ingested as a user would), Geo-PKO's FrontMap
deployments (in place of the fixture's made-up camps), an admin-2 panel built on the
OCHA P-code cercles and a small stored forecast of it (negative binomial, few draws,
two months), made as ``sentinelle forecast --unit admin2 --source acled-hdx --country
MLI`` makes it. API answers are checked against the store, label positions against
the boundary file and Geo-PKO's coordinates, and one headless Chromium run checks that
labels follow the zoom and that the forecast layer shows, in French.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from sentinelle.forecast.store import forecast_summary
from sentinelle.jobs.forecast import run_forecast
from sentinelle.jobs.ingest import run_ingest
from sentinelle.panel import build_panel
from sentinelle.web import create_app
from sentinelle.web.pages import vendor_missing
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, build_store, served, settings_for

SHARED = Path(__file__).resolve().parents[3] / "shared/data"
CERCLES = SHARED / "admin/mli_adm2_cercles_ocha_pcodes.geojson"
WORKBOOK = SHARED / "acled-hdx/mali_acled_political_violence_admin2_month_1997-2024.xlsx"
FRONTMAP = SHARED / "geopko/FrontMap_v2.3.csv"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BANDIAGARA = "ML0501"
pytestmark = pytest.mark.skipif(
    not all(p.is_file() for p in (CERCLES, WORKBOOK, FRONTMAP)),
    reason="real data of ../shared/data not found",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    folder = tmp_path_factory.mktemp("subnational-map")
    con = build_store(folder / "store.duckdb")
    con.execute("DELETE FROM deployments")
    settings = settings_for(":memory:")
    run_ingest(con, "acled-hdx", WORKBOOK, settings=settings)
    run_ingest(con, "geopko", FRONTMAP, settings=settings)
    build_panel(
        con, "admin2", "2022-01", "2024-12", countries=["MLI"], source="acled-hdx",
        boundaries=CERCLES,
    )  # fmt: skip
    run_forecast(
        con, None, folder / "mli.parquet", unit="admin2", horizon=2, draws=60, model="negbin",
        source="acled-hdx", country="MLI",
    )  # fmt: skip
    yield con
    con.close()


def _app(store: duckdb.DuckDBPyConnection):  # type: ignore[no-untyped-def]
    settings = settings_for(":memory:", heavy_rate_limit="1000/minute", admin_boundaries=[CERCLES])
    return create_app(settings, store)


@pytest.fixture(scope="module")
def client(store: duckdb.DuckDBPyConnection) -> TestClient:
    return TestClient(_app(store), headers={"Accept-Language": "en"})


def _cercles() -> dict[str, shapely.Geometry]:
    features = json.loads(CERCLES.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["ADM2_PCODE"]: shapely.geometry.shape(f["geometry"]) for f in features}


# ------------------------------------------------------------------------ forecast API


def test_unit_forecast_is_the_stored_run_with_origin_and_data_currency(
    client: TestClient, store: duckdb.DuckDBPyConnection
) -> None:
    body = client.get("/api/forecast/units", params={"country": "MLI"}).json()
    run_id = body["run"]["run_id"]
    assert (body["unit"], body["level"], body["source"]) == ("admin2", 2, "acled-hdx")
    # Origin: the last month of the workbook; the layer shows the month after it.
    assert body["run"]["origin_month"] == "2024-12" == body["data_last_month"]
    assert (body["month"], body["months"]) == ("2025-01", ["2025-01", "2025-02"])
    assert body["run"]["n_draws"] == 60 and body["run"]["model"] == "negbin"
    assert "ACLED (HDX) to December 2024" in body["currency"]
    rows = {r["pcode"]: r for r in body["rows"]}
    assert len(rows) == 53 and set(rows) == set(_cercles())
    summary = forecast_summary(store, run_id)
    january = summary[summary["month_id"] == summary["month_id"].min()].set_index("unit_code")
    for pcode, row in rows.items():
        assert row["q05"] <= row["median"] <= row["q95"] and row["q25"] <= row["q75"]
        assert row["mean"] == pytest.approx(float(january.at[pcode, "mean"]))
        assert row["q95"] == pytest.approx(float(january.at[pcode, "q95"]))
    assert rows[BANDIAGARA]["place"] == "Bandiagara cercle"
    assert rows[BANDIAGARA]["admin1_name"] == "Mopti"
    # Not every cercle gets the same forecast (the layer would be one colour).
    assert len({round(r["mean"], 3) for r in rows.values()}) > 5


def test_unit_forecast_speaks_french_and_refuses_what_is_not_stored(client: TestClient) -> None:
    french = client.get("/api/forecast/units", params={"country": "MLI", "lang": "fr"}).json()
    bandiagara = next(r for r in french["rows"] if r["pcode"] == BANDIAGARA)
    assert bandiagara["place"] == "cercle de Bandiagara"
    assert "ACLED (HDX) jusqu" in french["currency"] and "décembre 2024" in french["currency"]
    later = client.get("/api/forecast/units", params={"country": "MLI", "month": "2025-02"})
    assert later.json()["month"] == "2025-02"
    outside = client.get("/api/forecast/units", params={"country": "MLI", "month": "2025-06"})
    assert outside.status_code == 404
    assert "covers 2025-01 to 2025-02, not 2025-06" in outside.json()["detail"]
    niger = client.get("/api/forecast/units", params={"country": "NER"})
    assert niger.status_code == 404
    assert (
        "sentinelle forecast --unit admin2 --source acled-hdx --country NER"
        in (niger.json()["detail"])
    )
    regions = client.get("/api/forecast/units", params={"country": "MLI", "unit": "admin1"})
    assert regions.status_code == 404


# ---------------------------------------------------------------------------- labels API


def test_place_labels_come_from_the_boundaries_and_deployments(client: TestClient) -> None:
    body = client.get("/api/aggregates/places", params={"country": "MLI", "lang": "en"}).json()
    assert body["level"] == 2
    by_kind: dict[str, list[dict[str, object]]] = {}
    for label in body["labels"]:
        by_kind.setdefault(str(label["kind"]), []).append(label)
    cercles = _cercles()
    # Every cercle is named at a point inside its own polygon.
    assert len(by_kind["admin2"]) == 53
    for label in by_kind["admin2"]:
        point = shapely.Point(label["longitude"], label["latitude"])  # type: ignore[arg-type]
        assert cercles[str(label["pcode"])].buffer(0.01).contains(point), label
    # Regions: the boundary file's ten admin-1 units, inside the union of their cercles.
    regions = {str(r["pcode"]): r for r in by_kind["admin1"]}
    assert len(regions) == 10
    assert regions["ML10"]["name"] == "Ménaka"  # the boundary file's name, accented
    assert regions["ML05"]["place"] == "Mopti region"
    assert regions["ML09"]["place"] == "Bamako district"
    mopti = shapely.union_all([g for code, g in cercles.items() if code.startswith("ML05")])
    assert mopti.buffer(0.01).contains(
        shapely.Point(regions["ML05"]["longitude"], regions["ML05"]["latitude"])  # type: ignore[arg-type]
    )
    # Countries: Mali and its neighbours, named from CLDR.
    countries = {r["pcode"]: r["name"] for r in by_kind["country"]}
    assert countries["MLI"] == "Mali" and countries["DZA"] == "Algeria"
    assert {"BFA", "NER", "SEN", "MRT", "GIN", "CIV"} <= set(countries)
    # Towns: Geo-PKO's MINUSMA locations, at Geo-PKO's coordinates.
    frontmap = pd.read_csv(FRONTMAP, encoding="utf-8", encoding_errors="replace")
    mali = frontmap[frontmap["country"] == "Mali"]
    towns = {r["name"]: r for r in by_kind["town"]}
    assert {"Gao", "Kidal", "Timbuktu", "Ménaka"} <= set(towns)
    # Tingrela (UNOCI, Côte d'Ivoire) lies inside the coarse Natural Earth outline of
    # Mali, but Geo-PKO says which country it is in.
    assert "Tingrela" in set(frontmap["location"]) and "Tingrela" not in towns
    # The sites that held the most troops come first (they claim room on the map first).
    assert [r["name"] for r in by_kind["town"]][:1] == ["Gao"]
    for location in ("Gao", "Kidal", "Tombouctou (Timbuktu)"):
        site = mali[mali["location"] == location]
        town = towns["Timbuktu" if location.startswith("Tombouctou") else location]
        assert town["latitude"] == pytest.approx(site["latitude"].median(), abs=1e-4)
        assert town["longitude"] == pytest.approx(site["longitude"].median(), abs=1e-4)


def test_place_labels_in_french(client: TestClient) -> None:
    body = client.get("/api/aggregates/places", params={"country": "MLI", "lang": "fr"}).json()
    names = {(r["kind"], r["name"]): r for r in body["labels"]}
    assert ("country", "Algérie") in names and ("country", "Guinée") in names
    assert ("town", "Tombouctou") in names and ("town", "Timbuktu") not in names
    assert names[("admin1", "Mopti")]["place"] == "région de Mopti"
    assert names[("admin1", "Bamako")]["place"] == "district de Bamako"
    assert names[("admin2", "Bandiagara")]["place"] == "cercle de Bandiagara"
    # The reader's language when none is asked: the browser's.
    default = client.get(
        "/api/aggregates/places", params={"country": "MLI"}, headers={"Accept-Language": "fr"}
    ).json()
    assert default == body


def test_map_page_offers_the_forecast_layer_only_with_a_stored_run(
    client: TestClient, store: duckdb.DuckDBPyConnection
) -> None:
    page = client.get("/", params={"country": "MLI"}).text
    assert 'data-unit-forecast="admin2"' in page and 'id="unit-forecast-note"' in page
    french = client.get("/", params={"country": "MLI", "lang": "fr"}).text
    strings = json.loads(
        re.search(
            r'<script type="application/json" id="map-strings">(.*?)</script>', french, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    assert strings["layerUnitForecast"] == "Décès prévus (cercles)"
    assert strings["layerLabels"] == "Noms de lieux" and strings["zoomIn"] == "Zoom avant"
    assert strings["legendForecast"] == "%(units)s : décès attendus en %(month)s (prévision)"
    # Every legend and layer name of the map is in French on the French page.
    english = json.loads(
        re.search(r'id="map-strings">(.*?)</script>', page, re.S).group(1)  # type: ignore[union-attr]
    )
    same = {k for k in strings if k.startswith(("legend", "layer")) and strings[k] == english[k]}
    assert not same, same
    # The web fixture store has aggregates of no country: no layer offered.
    plain = TestClient(create_app(settings_for(":memory:"), build_store(":memory:")))
    assert 'data-unit-forecast="admin2"' not in plain.get("/", params={"country": "MLI"}).text


# ------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def server(store: duckdb.DuckDBPyConnection) -> Iterator[str]:
    with served(_app(store)) as url:
        yield url


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
@pytest.mark.skipif(bool(vendor_missing()), reason="Leaflet not vendored: scripts/build_web.sh")
def test_browser_labels_follow_the_zoom_and_the_forecast_layer_shows(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=server, viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto("/?country=MLI&lang=fr")
        page.wait_for_selector("#map[data-ready='1']")
        box = page.locator("#map")
        # Country view: countries and regions named, cercles not yet.
        assert int(box.get_attribute("data-labels-admin1") or 0) >= 5
        assert int(box.get_attribute("data-labels-country") or 0) >= 3
        assert box.get_attribute("data-labels-admin2") == "0"
        assert page.locator("[data-place='country'] span", has_text="Algérie").count() == 1
        # The forecast layer, switched on from the layer control, in place of the
        # observed choropleth's legend.
        page.locator(".leaflet-control-layers label", has_text="Décès prévus (cercles)").click()
        page.wait_for_selector("#map[data-forecast-shown='1']")
        assert box.get_attribute("data-forecast-units") == "53"
        assert box.get_attribute("data-forecast-month") == "2025-01"
        fills = {
            page.locator(f"path[data-forecast-pcode='{code}']").get_attribute("fill")
            for code in ("ML0101", "ML0501", "ML0503", "ML0701", "ML0802", "ML1001")
        }
        assert len(fills) > 1 and "#d9d9d9" not in fills
        legend = page.locator(".forecast-legend").inner_text()
        assert "Cercles : décès attendus en janvier 2025 (prévision)" in legend
        assert "décembre 2024" in legend and "negbin" in legend
        assert page.locator(".agg-legend").count() == 0
        assert "forecast=1" in page.url  # the view is shareable
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "subnational-forecast-map-fr.png"), full_page=True)
        # Zoomed in (the French zoom button), the cercles are named.
        for _ in range(2):
            page.locator("a[title='Zoom avant']").click()
            page.wait_for_timeout(400)
        page.wait_for_function(
            "Number(document.getElementById('map').dataset.labelsAdmin2) > 0", timeout=5000
        )
        assert float(box.get_attribute("data-zoom") or 0) >= 7.5
        page.screenshot(path=str(ARTIFACTS / "subnational-labels-zoomed-fr.png"))
        page.locator(f"path[data-forecast-pcode='{BANDIAGARA}']").dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "Cercle de Bandiagara" in popup and "Intervalle à 90 %" in popup
        assert "Médiane" in popup and "jusqu\u2019à décembre 2024" in popup
        # Switched off, the observed choropleth's legend is back.
        page.locator(".leaflet-control-layers label", has_text="Décès prévus (cercles)").click()
        assert page.locator(".agg-legend").count() == 1
        browser.close()
    assert not problems, problems
