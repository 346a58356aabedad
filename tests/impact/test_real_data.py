"""Real data: the MINUSMA timeline from Geo-PKO; the analysis on ACLED Mali (cells and
cercles) and on another mission with GED."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from sentinelle.geo import read_admin
from sentinelle.impact import (
    base_timeline,
    compare_missions,
    load_closures,
    run_impact,
    scenario_effect,
    write_report,
)
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.geopko import ingest_geopko
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FRONTMAP = DATA / "geopko" / "FrontMap_v2.3.csv"
ACLED = DATA / "acled" / "acled_mali_1997-2020.csv"

pytestmark = pytest.mark.skipif(not FRONTMAP.exists(), reason="shared Geo-PKO data missing")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    con = open_store(tmp_path_factory.mktemp("impact") / "s.duckdb")
    ingest_geopko(con, FRONTMAP)
    if ACLED.exists():
        ingest_acled(con, ACLED)
    yield con
    con.close()


def test_shipped_closures_are_cited_and_on_geopko_sites():
    closures = load_closures()
    assert closures["source"].str.startswith("https://").all()
    assert set(closures["date_precision"]) <= {"day", "month"}
    frontmap = pd.read_csv(FRONTMAP)
    sites = frontmap[frontmap["mission"] == "MINUSMA"].drop_duplicates("location")
    merged = closures.merge(sites, left_on="geopko_location", right_on="location")
    assert len(merged) == len(closures)
    assert (merged["latitude_x"] - merged["latitude_y"]).abs().max() < 1e-6
    assert (merged["longitude_x"] - merged["longitude_y"]).abs().max() < 1e-6


def test_minusma_timeline_matches_the_published_maps(store):
    timeline = base_timeline(store, "MINUSMA").set_index("base")
    frontmap = pd.read_csv(FRONTMAP)
    mission = frontmap[frontmap["mission"] == "MINUSMA"]
    for year, rows in mission.groupby("year"):
        listed = set(rows["location"])
        spans = timeline[(timeline["first_year"] <= year) & (timeline["last_year"] >= year)]
        assert set(spans.index) == listed, year
    assert set(mission.loc[mission["year"] == 2024, "location"]) == {"Bamako", "Gao"}
    assert set(timeline.index[timeline["status"] == "open"]) == {"Bamako", "Gao"}
    kidal = timeline.loc["Kidal"]
    assert (kidal["closure_source"], kidal["date_precision"]) == ("curated", "day")
    assert kidal["closure_date"] == pd.Timestamp("2023-10-31")
    assert kidal["cohort_month"] == (2023 - 1980) * 12 + 11  # November 2023
    mopti = timeline.loc["Mopti/Sevare"]
    assert mopti["cohort_month"] == (2024 - 1980) * 12 + 1  # month precision: January 2024
    gossi = timeline.loc["Gossi"]  # last on the 2018 map: closed at the end of 2018
    assert (gossi["closure_source"], gossi["date_precision"]) == ("geopko_years", "year")
    assert gossi["cohort_month"] == (2019 - 1980) * 12 + 1


@pytest.mark.skipif(not ACLED.exists(), reason="shared ACLED data missing")
def test_minusma_end_to_end_on_acled(store, tmp_path):
    started = time.perf_counter()
    result = run_impact(store, "MINUSMA", outcome="civilian_deaths")
    paths = write_report(result, tmp_path / "report")
    elapsed = time.perf_counter() - started
    assert elapsed < 120
    # ACLED Mali ends in 2020: the closures in the window are Gossi (2018) and Dyabali (2019).
    treated = set(result.units.loc[result.units["role"] == "treated", "base"])
    assert treated == {"Gossi", "Dyabali"}
    did = result.effects[result.effects["estimator"].isin(["callaway_santanna", "did2s"])]
    assert set(did["ring_label"]) == {"0-25 km", "25-50 km", "50-100 km"}
    assert (did["lower"] <= did["estimate"]).all() and (did["estimate"] <= did["upper"]).all()
    assert did["pretrend_p"].between(0, 1).all()
    assert result.effects["estimator"].str.startswith("synth:").any()
    for path in paths.values():
        assert path.stat().st_size > 0
    fr = paths["summary_fr"].read_text(encoding="utf-8")
    assert "casques bleus" in fr and "IC à 95 %" in fr
    scenario = scenario_effect(result)
    assert list(scenario["ring_hi_km"]) == [25.0, 50.0, 100.0]
    table = compare_missions([result])
    assert table.loc[0, "mission"] == "MINUSMA"
    assert {"callaway_santanna_estimate", "did2s_upper"} <= set(table.columns)


GED_ETH = DATA / "ged" / "GEDEvent_v23_1_ETH.csv"
MALI_ADM2 = DATA / "admin" / "mali_adm2_gadm40.geojson"


@pytest.mark.skipif(not GED_ETH.exists(), reason="shared GED data missing")
def test_another_mission_on_ged_keeps_only_bases_the_events_cover(tmp_path):
    """UNMIS (Sudan, Ethiopia, Kenya, Uganda) with GED events for Ethiopia only."""
    con = open_store(tmp_path / "s.duckdb")
    ingest_geopko(con, FRONTMAP)
    ingest_ged(con, GED_ETH)
    result = run_impact(con, "UNMIS", outcome="civilian_deaths", event_source="ged")
    assert set(result.timeline["country"]) == {"Ethiopia"}
    assert any("left out: Kenya, Sudan, Uganda" in note for note in result.notes)
    assert result.event_source == "ged"
    did = result.effects[result.effects["estimator"] == "callaway_santanna"]
    assert len(did) == 3 and (did["lower"] <= did["upper"]).all()
    with pytest.raises(ValueError, match="none of the countries of MONUSCO"):
        run_impact(con, "MONUSCO", event_source="ged")
    table = compare_missions([result])
    assert set(table["mission"]) == {"UNMIS"}


@pytest.mark.skipif(
    not (ACLED.exists() and MALI_ADM2.exists()), reason="shared ACLED or admin data missing"
)
def test_minusma_on_mali_cercles(store, tmp_path):
    """unit='admin2': the 50 cercles of Mali (GADM) instead of PRIO-GRID cells."""
    cercles = read_admin(MALI_ADM2, 2)
    result = run_impact(store, "MINUSMA", unit="admin2", admin_units=cercles, event_source="acled")
    assert result.unit == "admin2"
    assert result.units["unit_id"].is_unique
    assert set(result.units["admin2_id"]) <= set(cercles["admin2_id"])
    treated = result.units[result.units["role"] == "treated"]
    assert not treated.empty and treated["base"].isin({"Gossi", "Dyabali"}).all()
    did = result.effects[result.effects["estimator"].isin(["callaway_santanna", "did2s"])]
    assert not did.empty and (did["lower"] <= did["upper"]).all()
    paths = write_report(result, tmp_path / "admin2")
    assert paths["map"].stat().st_size > 0
