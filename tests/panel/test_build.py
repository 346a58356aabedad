"""Panel builds on hand-made events whose every feature value is worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sentinelle.geo.months import month_id
from sentinelle.geo.priogrid import (
    centroid,
    gid_from_latlon,
    gid_from_row_col,
    haversine_km,
    row_col_from_gid,
)
from sentinelle.panel import FeatureSpec, build_panel, check_panel, export_panel, read_panel
from sentinelle.panel.inputs import GID_SQL
from sentinelle.store.panels import panel_record
from sentinelle.store.queries import month_sql
from tests.panel.conftest import add_deployments, add_events

C_LAT, C_LON = 15.25, -2.25  # centre of the 5 x 5 block of cells used below
C = gid_from_latlon(C_LAT, C_LON)
ROW, COL = row_col_from_gid(C)
BLOCK = [gid_from_row_col(r, c) for r in range(ROW - 2, ROW + 3) for c in range(COL - 2, COL + 3)]
EAST1 = gid_from_row_col(ROW, COL + 1)
EAST2 = gid_from_row_col(ROW, COL + 2)


def m(year: int, month: int) -> int:
    return month_id(year, month)


def test_month_and_cell_sql_match_the_geo_module() -> None:
    con = duckdb.connect()
    rng = np.random.default_rng(3)
    lat = np.r_[rng.uniform(-90, 90, 500), -90, 90, 0.0, -1e-9, 15.5]
    lon = np.r_[rng.uniform(-180, 180, 500), -180, 180, 0.0, -1e-9, -2.0]
    con.register("points", pd.DataFrame({"lat": lat, "lon": lon}))
    gids = con.execute(f"SELECT {GID_SQL.format(lat='lat', lon='lon')} FROM points").fetchnumpy()
    assert np.array_equal(next(iter(gids.values())), gid_from_latlon(lat, lon))
    dates = pd.DataFrame({"d": pd.date_range("1979-12-31", "2030-01-31", freq="17D")})
    con.register("dates", dates)
    ids = con.execute(f"SELECT {month_sql('d')} AS m FROM dates").df()["m"]
    assert ids.tolist() == month_id(dates["d"].dt.year, dates["d"].dt.month).tolist()
    assert month_id(1980, 1) == 1 and month_id(2018, 1) == 457


@pytest.fixture
def hand_store(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    e_lat, e_lon = centroid(EAST1)
    e2_lat, e2_lon = centroid(EAST2)
    add_events(
        con,
        [
            {"id": 1, "start": dt.date(2015, 3, 2), "lat": C_LAT, "lon": C_LON, "best": 5},
            # spans February-March: counts in March, the month it ends
            {"id": 2, "start": dt.date(2015, 2, 27), "end": dt.date(2015, 3, 1),
             "lat": C_LAT + 0.1, "lon": C_LON, "best": 2},
            {"id": 3, "start": dt.date(2015, 5, 9), "lat": C_LAT, "lon": C_LON, "best": 3,
             "civ": 3, "vt": "one_sided"},
            {"id": 4, "start": dt.date(2015, 3, 9), "lat": e_lat, "lon": e_lon, "best": 4,
             "vt": "non_state"},
            {"id": 5, "start": dt.date(2015, 4, 9), "lat": e2_lat, "lon": e2_lon, "best": 7},
            {"id": 6, "start": dt.date(2015, 4, 9), "lat": C_LAT, "lon": C_LON, "best": 50,
             "deleted": True},
            {"id": 7, "start": dt.date(2015, 4, 9), "lat": C_LAT, "lon": C_LON, "best": 1,
             "vt": "other"},
            # outside the block (but in Mali): reported
            {"id": 8, "start": dt.date(2015, 4, 9), "lat": 12.6, "lon": -8.0, "best": 9},
        ],
    )  # fmt: skip
    add_deployments(
        con,
        [
            # two maps of 2014 for the same site: averaged (150)
            {"location": "Here", "lat": C_LAT, "lon": C_LON, "year": 2014, "troops": 100},
            {"location": "Here", "lat": C_LAT, "lon": C_LON, "year": 2014, "troops": 200,
             "record": 2},
            {"location": "East", "lat": e2_lat, "lon": e2_lon, "year": 2015, "troops": 40},
        ],
    )  # fmt: skip
    return con


def test_hand_computed_pgm_panel(hand_store: duckdb.DuckDBPyConnection) -> None:
    report = build_panel(hand_store, "pgm", "2015-01", "2015-12", cells=BLOCK)
    assert (report.n_units, report.n_rows) == (25, 25 * 12)
    assert (report.events_used, report.events_outside, report.fatalities_outside) == (5, 1, 9)
    panel = read_panel(hand_store, "pgm").set_index(["unit_id", "month_id"])
    c = panel.loc[C]
    assert c.loc[m(2015, 3), ["ged_sb", "ev_sb"]].tolist() == [7, 2]
    assert c.loc[m(2015, 4), "ged_sb"] == 0  # deleted and 'other' events left out
    assert c.loc[m(2015, 5), ["ged_os", "civ_deaths", "ev_os"]].tolist() == [3, 3, 1]
    assert pd.isna(c.loc[m(2015, 1), "ged_sb_tlag_1"])  # before the history start
    assert c.loc[m(2015, 3), "ged_sb_tlag_1"] == 0
    assert c.loc[m(2015, 4), "ged_sb_tlag_1"] == 7
    assert c.loc[m(2015, 6), "ged_sb_tlag_3"] == 7
    assert pd.isna(c.loc[m(2015, 3), "ged_sb_tsum_3"])
    assert c.loc[m(2015, 4), "ged_sb_tsum_3"] == 7
    assert c.loc[m(2015, 7), "ged_sb_tsum_3"] == 0
    assert pd.isna(c.loc[m(2015, 12), "ged_sb_tsum_12"])
    assert pd.isna(c.loc[m(2015, 3), "ged_sb_time_since"])  # no event before March
    assert c.loc[m(2015, 4), "ged_sb_time_since"] == 1
    assert c.loc[m(2015, 9), "ged_sb_time_since"] == 6
    assert c.loc[m(2015, 6), "ged_os_time_since"] == 1
    assert c.loc[m(2015, 4), "ged_ns_splag_1"] == 4
    assert c.loc[m(2015, 5), "ged_sb_splag_2"] == 7
    assert c.loc[m(2015, 5), "ged_sb_splag_1"] == 0
    assert panel.loc[(EAST1, m(2015, 4)), "ged_sb_splag_1"] == 7
    assert pd.isna(c.loc[m(2015, 1), "ged_sb_splag_1"])
    # PKO: 'Here' listed for 2014 only, 'East' (two cells east) for 2015.
    assert c.loc[m(2015, 1), "pko_troops"] == 150
    assert c.loc[m(2015, 2), "pko_troops"] == 0
    assert c.loc[m(2015, 1), "pko_dist_km"] == 0
    east_km = haversine_km(C_LAT, C_LON, *centroid(EAST2))
    assert c.loc[m(2015, 2), "pko_dist_km"] == pytest.approx(east_km)
    assert pd.isna(c.loc[m(2015, 1), "pko_months_since_close"])
    assert c.loc[m(2015, 2), "pko_months_since_close"] == 1
    assert c.loc[m(2015, 6), "pko_months_since_close"] == 5
    assert panel.loc[(EAST2, m(2015, 3)), "pko_troops"] == 40
    assert c[["unit_lat", "unit_lon", "pg_row", "pg_col"]].iloc[0].tolist() == [
        C_LAT, C_LON, ROW, COL,
    ]  # fmt: skip
    assert (c["country_id"] == 50).all()  # Mali's VIEWS id


def test_metadata_check_and_export(hand_store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    build_panel(
        hand_store, "pgm", "2015-01", "2015-12", cells=BLOCK, features=FeatureSpec(pko=False)
    )
    record = panel_record(hand_store, "panel_pgm")
    assert record is not None
    assert (record["unit"], record["source"], record["engine"]) == ("pgm", "ged", "duckdb")
    assert (record["first_month"], record["last_month"], record["n_rows"]) == (421, 432, 300)
    assert record["versions"] == '{"ged": ["23.1"]}' and record["ingest_ids"] == [1]
    assert check_panel(hand_store, "pgm").ok
    out = export_panel(hand_store, "pgm", tmp_path / "out" / "panel.parquet")
    exported = pd.read_parquet(out)
    pd.testing.assert_frame_equal(exported, read_panel(hand_store, "pgm"), check_dtype=False)

    # Break the panel four ways; the check names each.
    hand_store.execute("INSERT INTO panel_pgm SELECT * FROM panel_pgm WHERE month_id = 425 LIMIT 1")
    hand_store.execute(
        f"UPDATE panel_pgm SET ev_ns = -1 WHERE unit_id = {EAST1} AND month_id = 430"
    )
    hand_store.execute(f"DELETE FROM panel_pgm WHERE unit_id = {EAST2} AND month_id = 421")
    add_events(
        hand_store,
        [{"id": 99, "start": dt.date(2015, 8, 1), "lat": C_LAT, "lon": C_LON, "best": 11}],
    )
    check = check_panel(hand_store, "pgm")
    assert not check.ok
    assert (check.missing_rows, check.missing_examples) == (1, [(EAST2, 421)])
    assert check.duplicate_keys == 1
    assert check.negative_counts == {"ev_ns": 1}
    mismatched = {(t.month_id, t.column) for t in check.total_mismatches}
    assert {(m(2015, 8), "ged_sb"), (m(2015, 8), "ev_sb")} <= mismatched


def test_candidate_appended_after_the_last_ged_year(con: duckdb.DuckDBPyConnection) -> None:
    add_events(
        con,
        [
            {"id": 1, "start": dt.date(2015, 6, 1), "lat": C_LAT, "lon": C_LON, "best": 1},
            # GED covers 2015: the Candidate's 2015 events are ignored, 2016 ones used
            {"id": 2, "source": "ged_candidate", "version": "16.0.1",
             "start": dt.date(2015, 6, 1), "lat": C_LAT, "lon": C_LON, "best": 100},
            {"id": 3, "source": "ged_candidate", "version": "16.0.1",
             "start": dt.date(2016, 2, 1), "lat": C_LAT, "lon": C_LON, "best": 10},
        ],
    )  # fmt: skip
    report = build_panel(con, "cm", "2015-01", "2016-12", countries=["MLI"])
    assert report.versions == {"ged": ["23.1"], "ged_candidate": ["16.0.1"]}
    panel = read_panel(con, "cm", columns=["ged_sb"]).set_index("month_id")["ged_sb"]
    assert panel[m(2015, 6)] == 1 and panel[m(2016, 2)] == 10 and panel.sum() == 11
    assert panel_record(con, "panel_cm")["ged_last_month"] == m(2015, 12)  # type: ignore[index]
