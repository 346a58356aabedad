"""Actor activity, dyad counts, networks and the situational picture on fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

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
from sentinelle.actors.activity import TYPE_COLOURS, network_drawing, rank_actors, targets
from sentinelle.actors.registry import load_registry
from sentinelle.errors import UsageError
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


# --- ranking without civilians, readable networks, periods (issue 16) -----------------


def test_civilians_are_targets_not_ranked_among_actors(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _sahel_events(con, tmp_path)
    activity = actor_activity(con, country_iso3="MLI", freq="all")
    assert "civilians" in activity["actor_id"].tolist()
    ranked = rank_actors(activity)
    assert "civilians" not in ranked["actor_id"].tolist()
    assert ranked["actor_id"].tolist() == ["mali_forces", "jnim", "cma"]  # 55, 45, 40 deaths
    assert targets(activity)["actor_id"].tolist() == ["civilians"]
    # "2023" is the year 2023, as "2023-01..2023-12".
    pd.testing.assert_frame_equal(
        actor_activity(con, country_iso3="MLI", period="2023", freq="all"),
        actor_activity(con, country_iso3="MLI", period="2023-01..2023-12", freq="all"),
    )
    with pytest.raises(UsageError, match=r"expected a year \(YYYY, e\.g\. 2023\)"):
        actor_activity(con, country_iso3="MLI", period="abc")


def _star(n_armed: int) -> nx.Graph:
    """FAMa against ``n_armed`` others (fatalities 10, 20, ...), civilians attacked by all."""
    reg = load_registry()
    fama = reg.actors["mali_forces"].name
    graph = nx.Graph(period="all")
    graph.add_node(fama, type="state")
    graph.add_node("Civilians", type="civilians")
    others = [reg.actors[i] for i in ("jnim", "is_sahel", "cma", "dozo_mali", "vdp",
                                      "wagner_africa_corps", "fulani_militia")]  # fmt: skip
    names = [a.name for a in others]
    names += [f"Local group {i} (Mali)" for i in range(len(names), n_armed)]
    for i, name in enumerate(names[:n_armed]):
        kind = others[i].type if i < len(others) else "unmatched"
        graph.add_node(name, type=kind)
        graph.add_edge(fama, name, events=i + 1, fatalities=10 * (i + 1), civilian_deaths=0)
        graph.add_edge(name, "Civilians", events=1, fatalities=1, civilian_deaths=1)
    graph.add_edge(fama, fama, events=3, fatalities=3, civilian_deaths=0)  # within a force
    return graph


def test_network_drawing_keeps_the_top_actors_labelled_by_type_and_fatalities() -> None:
    graph = _star(12)
    drawing = network_drawing(graph, "fr", top=5)
    shown = set(drawing.graph.nodes)
    fama, civils = load_registry().actors["mali_forces"].name, "Civilians"
    # FAMa is in every fight; then the four most lethal of the others (12, 11, 10, 9).
    expected = {fama, civils} | {f"Local group {i} (Mali)" for i in range(8, 12)}
    assert len(shown - {civils}) == 5 and fama in shown and civils in shown
    assert expected <= shown and drawing.left_out == 12 + 1 - 5
    assert "8 autres acteurs non représentés" in drawing.note
    assert drawing.labels[fama] == "FAMa" and drawing.labels[civils] == "Civils"
    assert drawing.labels["Local group 10 (Mali)"] == "Local group 10 (Mali)"  # as published
    assert drawing.colours[fama] == TYPE_COLOURS["state"]
    assert drawing.colours[civils] == TYPE_COLOURS["civilians"]
    assert drawing.colours["Local group 10 (Mali)"] == TYPE_COLOURS["unmatched"]
    assert not list(nx.selfloop_edges(drawing.graph))
    edge = {frozenset(k): w for k, w in drawing.widths.items()}
    thick = edge[frozenset((fama, "Local group 11 (Mali)"))]  # 120 deaths, the most
    thin = edge[frozenset((fama, "Local group 8 (Mali)"))]  # 90 deaths
    assert thick > thin > edge[frozenset(("Local group 8 (Mali)", civils))]
    assert thick == pytest.approx(0.6 + 8.0)
    assert drawing.positions[civils] == (0.0, 0.0)  # targets at the centre
    legend = dict(drawing.legend)
    assert "forces étatiques" in legend and "civils" in legend
    assert drawing.title == "Qui a combattu qui"
    assert network_drawing(graph, "en", period="2023-01..2023-12").title.endswith(
        "2023-01..2023-12"
    )


def test_network_drawing_of_named_sahel_actors_in_both_languages(tmp_path: Path) -> None:
    graph = _star(7)
    fr = network_drawing(graph, "fr", top=15)
    en = network_drawing(graph, "en", top=15)
    assert sorted(fr.labels.values()) == sorted(
        ["FAMa", "Civils", "JNIM", "EIGS", "CMA / CSP", "Dozos", "VDP",
         "Wagner / Africa Corps", "Milice peule"]
    )  # fmt: skip
    assert "IS Sahel" in en.labels.values() and "Fulani militia" in en.labels.values()
    assert fr.left_out == 0 and fr.note.endswith("sont des cibles.")
    kinds = ("state", "jihadist", "rebel", "militia", "foreign", "civilians")
    assert {fr.colours[n] for n in fr.graph} >= {TYPE_COLOURS[t] for t in kinds}
    png = plot_network(graph, tmp_path / "n_fr.png", lang="fr", top=8)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(UsageError, match="top"):
        network_drawing(graph, "fr", top=0)
