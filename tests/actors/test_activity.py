"""Actor activity, dyad counts, networks and the situational picture on fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd

from sentinelle.actors import (
    actor_activity,
    dyad_network,
    dyad_networks,
    dyads,
    plot_network,
    situation,
    write_network,
    write_situation,
)
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from tests.actors.events import store_events
from tests.factories import acled_frame, ged_frame, write_acled_csv, write_ged_csv

FAMA = "Malian defence and security forces (FAMa)"


def test_dyad_counts_match_the_fixture(tmp_path: Path) -> None:
    frame = ged_frame(400, seed=3)
    # Dates after the JNIM merger and the IS Sahel pledge, so every name matches.
    frame["date_start"] = frame["date_end"] = "2019-06-15 00:00:00.000"
    con = open_store(":memory:")
    ingest_ged(con, write_ged_csv(frame, tmp_path / "g.csv"), version="23.1")
    got = dyads(con, freq="all").set_index(["actor_1", "actor_2"])["events"]
    # Fixture names: "Government of Burkina Faso" (fake id) matches by name.
    names = {"Government of Mali": FAMA, "JNIM": "Jama'at Nusrat al-Islam wal-Muslimin (JNIM)",
             "IS Sahel": "Islamic State Sahel Province (ISGS / IS Sahel)",
             "Government of Burkina Faso": "Burkinabe defence and security forces",
             "Civilians": "Civilians"}  # fmt: skip
    a, b = frame["side_a"].map(names), frame["side_b"].map(names)
    pairs = pd.DataFrame({"actor_1": a.where(a <= b, b), "actor_2": b.where(a <= b, a)})
    expected = pairs.value_counts().rename("events")
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def _sahel_events(con: object, tmp_path: Path) -> None:
    store_events(
        con,  # type: ignore[arg-type]
        [
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
             "side_b_new_id": "6716", "date": "2022-03-10", "best": "10", "type_of_violence": "1",
             "deaths_civilians": "0",
             "adm_1": "Mopti", "adm_2": "Bandiagara", "latitude": "14.35", "longitude": "-3.61"},
            {"side_a": "JNIM", "side_a_new_id": "6716", "side_b": "Civilians",
             "side_b_new_id": "1", "date": "2023-08-05", "best": "30", "type_of_violence": "3",
             "deaths_civilians": "30", "adm_1": "Mopti", "adm_2": "Bandiagara",
             "latitude": "14.35", "longitude": "-3.61"},
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "CMA",
             "side_b_new_id": "1158", "date": "2023-09-12", "best": "40", "type_of_violence": "1",
             "deaths_civilians": "0",
             "adm_1": "Kidal", "adm_2": "Kidal", "latitude": "18.44", "longitude": "1.41"},
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
             "side_b_new_id": "6716", "date": "2024-01-20", "best": "5", "type_of_violence": "1",
             "deaths_civilians": "0",
             "adm_1": "Mopti", "adm_2": "Bandiagara", "latitude": "14.35", "longitude": "-3.61"},
        ],
        tmp_path,
    )  # fmt: skip


def test_actor_activity_by_admin_and_period(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _sahel_events(con, tmp_path)
    act = actor_activity(con, country_iso3="MLI", period="2023-07..2024-06", freq="all",
                         admin_level=1).set_index(["actor_id", "admin1"])  # fmt: skip
    assert act.loc[("mali_forces", "Kidal"), "fatalities"] == 40
    assert act.loc[("mali_forces", "Mopti"), "events"] == 1
    assert act.loc[("jnim", "Mopti"), ["events", "fatalities", "civilian_deaths"]].tolist() == [
        2, 35, 30]  # fmt: skip
    assert actor_activity(con, country_iso3="BFA").empty


def test_networks_export_and_plot(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _sahel_events(con, tmp_path)
    table = dyads(con, country_iso3="MLI", freq="year")
    assert table["period"].tolist() == ["2022", "2023", "2023", "2024"]
    over_time = dyad_networks(table)
    assert list(over_time) == ["2022", "2023", "2024"]
    graph = dyad_network(table)
    assert graph.edges["Jama'at Nusrat al-Islam wal-Muslimin (JNIM)", FAMA]["events"] == 2
    assert graph.nodes[FAMA]["type"] == "state"
    back = nx.read_graphml(write_network(graph, tmp_path / "n.graphml"))
    assert back.number_of_edges() == graph.number_of_edges()
    timeline = json.loads(write_network(over_time, tmp_path / "t.json").read_text())
    assert len(timeline["2023"]["links"]) == 2
    assert plot_network(graph, tmp_path / "n.png").stat().st_size > 0


def test_situation(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _sahel_events(con, tmp_path)
    sit = situation(con, "MLI", "2023-07..2024-06")
    assert sit.trends.set_index(["month", "violence_type"]).loc[("2023-09", "state_based"),
                                                                 "fatalities"] == 40  # fmt: skip
    assert sit.lethal_events["fatalities_best"].tolist() == [40, 30, 5]
    # Bandiagara had an event in 2022-03, more than 12 months before 2023-07: new again.
    assert sorted(sit.new_areas["admin2"]) == ["Bandiagara", "Kidal"]
    assert sit.new_actors["actor_id"].tolist() == ["civilians", "cma"]
    gid = int((14.35 + 90) * 2) * 720 + int((-3.61 + 180) * 2) + 1
    assert gid in sit.hotspots_cells["gid"].tolist()
    assert sit.civilian_harm["civilian_deaths"].sum() == 30
    files = {p.name for p in write_situation(sit, tmp_path / "out")}
    assert {"trends.png", "civilian_harm.png", "map.png", "hotspots_admin2.csv"} <= files


def test_views_of_a_file_no_actor_of_which_the_registry_knows(tmp_path: Path) -> None:
    # Issue 13 item 5: "Could not convert string 'unmatched' to INT32" in dyads, the
    # table behind `sentinelle actors`, /actors and /api/dyads.
    frame = acled_frame(12)
    frame["actor1"], frame["actor2"] = "Group A", "Group B"
    con = open_store(":memory:")
    ingest_acled(con, write_acled_csv(frame, tmp_path / "acled.csv"))
    pairs = dyads(con, freq="all")
    assert pairs[["actor_1", "actor_2", "type_1", "type_2"]].values.tolist() == [
        ["Group A", "Group B", "unmatched", "unmatched"]
    ]
    assert pairs["events"].sum() == 12
    activity = actor_activity(con, freq="all")
    assert activity["actor"].tolist() == ["Group A", "Group B"]
    assert not activity["matched"].any()
    assert dyad_network(pairs).nodes["Group A"]["type"] == "unmatched"
