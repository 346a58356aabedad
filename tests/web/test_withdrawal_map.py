"""The withdrawal map: the cercle choropleth of ACLED's HDX aggregates, bases opening and
closing through 2023, and a slider spanning the data (API, page and headless Chromium).

The store is the web fixture store plus MINUSMA's Kidal and Gao sites (Geo-PKO-style
yearly rows to 2023/2024, so that the shipped closure table dates Kidal's closure) and
aggregate rows for Mali's 53 cercles, 2019-01 .. 2024-12, written into
``admin_aggregates`` as an ingest would leave them. The cercle polygons are the real
OCHA P-code file of ``../shared/data``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sentinelle.geo import month_id, month_id_from_str
from sentinelle.impact.timeline import load_closures
from sentinelle.web import create_app
from sentinelle.web.pages import vendor_missing
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, build_store, served, settings_for

CERCLES = (
    Path(__file__).resolve().parents[3] / "shared/data/admin/mli_adm2_cercles_ocha_pcodes.geojson"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KIDAL = "ML0802"
FIRST, LAST = month_id(2019, 1), month_id(2024, 12)
pytestmark = pytest.mark.skipif(not CERCLES.is_file(), reason=f"{CERCLES} not found")


def _pcodes() -> list[tuple[str, str, str]]:
    import json

    features = json.loads(CERCLES.read_text())["features"]
    return [
        (f["properties"]["ADM2_PCODE"], f["properties"]["ADM2_FR"], f["properties"]["ADM1_FR"])
        for f in features
    ]


def _aggregates() -> pd.DataFrame:
    """Every cercle-month, with values that vary by unit and month; Kidal's made to jump
    after its base closed (0 fatalities in 2023-09, 30 in 2023-11)."""
    rows = []
    for i, (pcode, name, admin1) in enumerate(_pcodes()):
        for m in range(FIRST, LAST + 1):
            fatalities = (3 * i + 5 * m) % 40
            if pcode == KIDAL and m == month_id(2023, 9):
                fatalities = 0
            if pcode == KIDAL and m == month_id(2023, 11):
                fatalities = 30
            rows.append(
                {
                    "pcode": pcode, "name": name, "admin1_name": admin1,
                    "admin1_pcode": pcode[:4], "month_id": m,
                    "events": (i + m) % 7 + (fatalities > 0), "fatalities": fatalities,
                }
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["source"] = "acled-hdx"
    frame["series"] = "political_violence"
    frame["as_of"] = pd.Timestamp("2025-04-03")
    frame["iso3"] = "MLI"
    frame["admin_level"] = 2
    frame["ingest_id"] = 7
    return frame


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_new_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _new_rows")
    con.unregister("_new_rows")


@pytest.fixture(scope="module")
def aggregates() -> pd.DataFrame:
    return _aggregates()


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, aggregates: pd.DataFrame
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_store(tmp_path_factory.mktemp("withdrawal") / "store.duckdb")
    # Charlie Camp sits on Kidal's coordinates: keep Kidal's marker the only one there.
    con.execute("DELETE FROM deployments WHERE location = 'Charlie Camp'")
    sites = [
        ("Kidal", 18.44111, 1.40778, range(2014, 2024)),
        ("Gao", 16.27, -0.04, range(2014, 2025)),
    ]
    _insert(
        con,
        "deployments",
        pd.DataFrame(
            [
                {
                    "source": "geopko_frontmap",
                    "mission": "MINUSMA",
                    "location": site,
                    "country": "Mali",
                    "latitude": lat,
                    "longitude": lon,
                    "year": year,
                    "month": 0,
                    "troops": 800.0,
                    "hq": 0,
                    "ingest_id": 2,
                }
                for site, lat, lon, years in sites
                for year in years
            ]
        ),
    )
    _insert(con, "admin_aggregates", aggregates)
    # An older as-of version of one cercle-month: the newer one must be shown.
    older = aggregates[(aggregates["pcode"] == KIDAL) & (aggregates["month_id"] == LAST)].copy()
    older["as_of"], older["fatalities"], older["ingest_id"] = pd.Timestamp("2025-01-01"), 999, 6
    _insert(con, "admin_aggregates", older)
    yield con
    con.close()


@pytest.fixture(scope="module")
def client(store: duckdb.DuckDBPyConnection) -> TestClient:
    settings = settings_for(":memory:", heavy_rate_limit="1000/minute", admin_boundaries=[CERCLES])
    return TestClient(create_app(settings, store), headers={"Accept-Language": "en"})


def _value(aggregates: pd.DataFrame, pcode: str, month: str, column: str) -> int:
    row = aggregates[
        (aggregates["pcode"] == pcode) & (aggregates["month_id"] == month_id_from_str(month))
    ]
    return int(row[column].iloc[0])


# ----------------------------------------------------------------------------------- API


def test_months_span_the_data_not_the_forecast(client: TestClient) -> None:
    body = client.get("/api/aggregates/months", params={"country": "MLI"}).json()
    assert (body["first_month"], body["last_month"]) == ("2019-01", "2024-12")
    assert (body["level"], body["series"], body["units"]) == (2, "political_violence", 53)
    assert body["as_of"] == "2025-04-03"
    missing = client.get("/api/aggregates/months", params={"country": "NER"})
    assert missing.status_code == 404 and "sentinelle ingest acled-hdx" in missing.json()["detail"]


def test_choropleth_values_change_between_months(
    client: TestClient, aggregates: pd.DataFrame
) -> None:
    by_month = {}
    for month in ("2023-09", "2023-11"):
        body = client.get(
            "/api/aggregates/values", params={"country": "MLI", "month": month}
        ).json()
        assert body["month"] == month and len(body["values"]) == 53
        by_month[month] = {v["pcode"]: v for v in body["values"]}
        for pcode in (KIDAL, "ML0101"):
            for column in ("fatalities", "events"):
                assert by_month[month][pcode][column] == _value(aggregates, pcode, month, column)
    assert by_month["2023-09"][KIDAL]["fatalities"] != by_month["2023-11"][KIDAL]["fatalities"]
    assert by_month["2023-09"][KIDAL]["name"] == "Kidal"
    # The newer as-of version wins over the older one of the same cercle-month.
    last = client.get("/api/aggregates/values", params={"country": "MLI", "month": "2024-12"})
    kidal = next(v for v in last.json()["values"] if v["pcode"] == KIDAL)
    assert kidal["fatalities"] == _value(aggregates, KIDAL, "2024-12", "fatalities") != 999


def test_values_outside_the_data_say_what_is_covered(client: TestClient) -> None:
    response = client.get("/api/aggregates/values", params={"country": "MLI", "month": "2025-03"})
    assert response.status_code == 404
    assert "cover 2019-01 to 2024-12, not 2025-03" in response.json()["detail"]
    bad = client.get("/api/aggregates/values", params={"country": "MLI", "month": "2023-13"})
    assert bad.status_code == 422


def test_units_are_simplified_polygons_joined_by_pcode(client: TestClient) -> None:
    response = client.get("/api/aggregates/units", params={"country": "MLI"})
    body = response.json()
    assert len(body["features"]) == 53 and body["missing"] == [] and body["problems"] == []
    assert len(response.content) < 300_000
    assert len(response.content) < CERCLES.stat().st_size / 3  # simplified
    assert {f["properties"]["pcode"] for f in body["features"]} >= {KIDAL, "ML0101"}


def test_bases_turn_closed_at_their_closure_month(client: TestClient) -> None:
    closures = load_closures()
    kidal_row = closures[closures["base"] == "Kidal"].iloc[0]
    status = {}
    for month in ("2023-09", "2023-10", "2023-11"):
        rows = client.get(
            "/api/aggregates/bases", params={"mission": "MINUSMA", "month": month}
        ).json()
        by_base = {b["base"]: b for b in rows}
        status[month] = by_base["Kidal"]["status_at"]
        assert by_base["Gao"]["status_at"] == "open"
    kidal = by_base["Kidal"]
    # Closed from the first full month after the closure date (31 October 2023).
    assert status == {"2023-09": "open", "2023-10": "open", "2023-11": "closed"}
    assert kidal["closure_date"] == kidal_row["closure_date"].date().isoformat()
    assert kidal["closed_from"] == "2023-11"
    assert kidal["taken_over_by"] == kidal_row["taken_over_by"]  # what the table says
    assert kidal["citation"] == kidal_row["source"]
    assert (kidal["pcode"], kidal["unit_name"]) == (KIDAL, "Kidal")
    unknown = client.get("/api/aggregates/bases", params={"mission": "NOMISSION"})
    assert unknown.status_code == 404


def test_map_page_says_the_data_currency_in_both_languages(client: TestClient) -> None:
    page = client.get("/", params={"country": "MLI", "source": "acled"}).text
    assert "ACLED (HDX) to December 2024" in page
    assert "ACLED to December 2020" in page and "Geo-PKO to 2024" in page
    assert 'data-agg-last="2024-12"' in page and 'data-agg-boundaries="1"' in page
    french = client.get("/", params={"country": "MLI", "lang": "fr"}).text
    assert "ACLED (HDX) jusqu'à décembre 2024" in french.replace("&#39;", "'")
    assert "Colorier les cercles selon" in french


def test_trends_show_the_aggregates_to_the_last_month(
    client: TestClient, aggregates: pd.DataFrame
) -> None:
    api = client.get("/api/trends", params={"country": "MLI", "source": "acled-hdx"}).json()
    points = {p["month"]: p["fatalities"] for p in api["points"]}
    assert max(points) == "2024-12"
    nov = aggregates[aggregates["month_id"] == month_id(2023, 11)]["fatalities"].sum()
    assert points["2023-11"] == nov
    regions = client.get(
        "/api/trends", params={"country": "MLI", "source": "acled-hdx", "level": "admin1"}
    ).json()
    by_region = {p["unit"] for p in regions["points"]}
    assert "Kidal" in by_region and len(by_region) > 5
    page = client.get("/trends", params={"country": "MLI"}).text
    assert "ACLED (HDX)" in page  # the aggregates are the default source


# ------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def server(store: duckdb.DuckDBPyConnection) -> Iterator[str]:
    settings = settings_for(":memory:", heavy_rate_limit="1000/minute", admin_boundaries=[CERCLES])
    app = create_app(settings, store)
    with served(app) as url:
        yield url


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
@pytest.mark.skipif(bool(vendor_missing()), reason="Leaflet not vendored: scripts/build_web.sh")
def test_browser_slider_choropleth_and_base_closures(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=server, viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto("/?country=MLI&source=acled")
        page.wait_for_selector("#map[data-ready='1']")
        slider = page.locator("#month")
        # The slider reaches the last month of data and opens there, not on the forecast.
        assert slider.get_attribute("max") == str(LAST)
        assert slider.input_value() == str(LAST)
        page.wait_for_selector("#map[data-choropleth-month='2024-12']")
        assert page.locator("path[data-pcode]").count() == 53
        assert "ACLED (HDX) to December 2024" in page.locator("#data-currency").inner_text()

        def at(month: str) -> tuple[str | None, str | None]:
            page.fill("#month", str(month_id_from_str(month)))
            page.wait_for_selector(f"#map[data-choropleth-month='{month}']")
            fill = page.locator(f"path[data-pcode='{KIDAL}']").get_attribute("fill")
            base = page.locator("path.base-marker[data-base='Kidal']").get_attribute("data-status")
            return fill, base

        before, after = at("2023-09"), at("2023-11")
        assert before[1] == "open" and after[1] == "closed"
        assert before[0] != after[0] and "#d9d9d9" not in (before[0], after[0])
        assert (
            page.locator("path.base-marker[data-base='Kidal']").get_attribute("fill") == "#bbbbbb"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "withdrawal-map-2023-11.png"), full_page=True)

        # A base stays clickable after slider moves through forecast months, whose cell
        # covers Kidal's base (the popup was the cell's before panes kept bases on top).
        page.fill("#month", str(month_id(2021, 1)))
        page.fill("#month", str(month_id(2021, 2)))
        assert page.locator("#map").get_attribute("data-cells-shown") == "3"
        page.locator("path.base-marker[data-base='Kidal']").click(timeout=5000)
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "MINUSMA: Kidal" in popup and "Forecast" not in popup
        browser.close()
    assert not problems, problems
