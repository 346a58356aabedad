"""Strict causality (perturbing the future changes no feature of the past) and the
DuckDB-vs-Spark equality of the same panel definitions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sentinelle.geo.months import month_id
from sentinelle.geo.priogrid import gid_from_row_col
from sentinelle.panel import OUTCOMES, build_panel, read_panel
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from sentinelle.store.panels import panel_record
from tests.factories import ged_frame, write_ged_csv
from tests.panel.conftest import add_deployments

# Cells of the factory's event area (lat 10..20, lon -10..4) around central Mali.
CELLS = [gid_from_row_col(r, c) for r in range(206, 216) for c in range(346, 360)]
T0 = month_id(2012, 1)


def _seed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest_ged(con, write_ged_csv(ged_frame(20_000, seed=7), tmp_path / "GEDEvent_v23_1.csv"))
    rng = np.random.default_rng(1)
    sites = [(f"S{i}", *rng.uniform((14, -6), (16, -3))) for i in range(6)]
    add_deployments(
        con,
        [
            {"location": name, "lat": lat, "lon": lon, "year": year, "troops": 100 + i}
            for i, (name, lat, lon) in enumerate(sites)
            for year in range(2009, 2013)
            if (i + year) % 3  # sites open and close over the years
        ],
    )


def test_features_of_month_t_ignore_data_from_t_on(tmp_path: Path) -> None:
    con = open_store(tmp_path / "a.duckdb")
    _seed(con, tmp_path)
    build_panel(con, "pgm", "2010-01", "2012-12", cells=CELLS)
    before = read_panel(con, "pgm").set_index(["unit_id", "month_id"])

    # Rewrite the future: every event from T0 on changes type and toll, new events
    # arrive in T0, and the deployments of T0's year move and change strength.
    month = "((year(date_end) - 1980) * 12 + month(date_end))"
    con.execute(
        f"UPDATE events SET fatalities_best = fatalities_best * 3 + 5, "
        f"civilian_deaths = 2, violence_type = 'one_sided' WHERE {month} >= {T0}"
    )
    con.execute(
        f"INSERT INTO events SELECT * REPLACE ('x' || source_event_id AS source_event_id) "
        f"FROM events WHERE {month} = {T0}"
    )
    con.execute("UPDATE deployments SET troops = troops * 10, latitude = latitude + 0.7 "
                "WHERE year >= 2012")  # fmt: skip
    add_deployments(con, [{"location": "New", "lat": 15.1, "lon": -4.2, "year": 2012,
                           "troops": 999}])  # fmt: skip
    build_panel(con, "pgm", "2010-01", "2012-12", cells=CELLS)
    after = read_panel(con, "pgm").set_index(["unit_id", "month_id"])

    features = [c for c in before.columns if c not in OUTCOMES]
    past = before.index.get_level_values("month_id") <= T0
    pd.testing.assert_frame_equal(before.loc[past, features], after.loc[past, features])
    earlier = before.index.get_level_values("month_id") < T0
    pd.testing.assert_frame_equal(before.loc[earlier], after.loc[earlier])
    # ... while the perturbation is visible in outcomes at T0 and features after it.
    at_t0 = before.index.get_level_values("month_id") == T0
    assert not before.loc[at_t0, "ged_os"].equals(after.loc[at_t0, "ged_os"])
    later = before.index.get_level_values("month_id") == T0 + 1
    for column in ("ged_os_tlag_1", "ged_os_splag_1", "pko_troops", "pko_dist_km"):
        assert not before.loc[later, column].equals(after.loc[later, column]), column


@pytest.mark.slow
def test_duckdb_and_spark_build_identical_panels(tmp_path: Path, spark: object) -> None:
    frames = {}
    for engine in ("duckdb", "spark"):
        con = open_store(tmp_path / f"{engine}.duckdb")
        _seed(con, tmp_path)
        for unit, kwargs in (("pgm", {"cells": CELLS[:42]}), ("cm", {"countries": ["MLI"]})):
            report = build_panel(
                con, unit, "2010-01", "2012-12", engine=engine, spark=spark, **kwargs
            )  # type: ignore[arg-type]
            assert panel_record(con, report.table)["engine"] == engine  # type: ignore[index]
            frames[engine, unit] = read_panel(con, unit)
        con.close()
    for unit in ("pgm", "cm"):
        duck, spk = frames["duckdb", unit], frames["spark", unit]
        assert list(duck.columns) == list(spk.columns)
        assert duck["ged_sb"].sum() > 0 and duck["pko_troops"].sum() > 0
        pd.testing.assert_frame_equal(duck, spk)  # dtypes, NULLs and every value
