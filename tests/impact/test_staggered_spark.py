"""The staggered design's panel on Spark: the same matrices as numpy, hence the same effects.

The SQL of :mod:`sentinelle.impact.staggered_sql` is checked against numpy on DuckDB
(no JVM: a plug-in engine of ``panel.ENGINES``), by year and by month, and on Spark on
a simulated grid (whole run, effects included) and a real slice (RADPKO x GED 20.1
points in Liberia, Sierra Leone and Côte d'Ivoire), all with one Spark session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import UsageError
from sentinelle.geo import month_id
from sentinelle.impact.staggered import StaggeredDesign, build_design, region_cells, run_staggered
from sentinelle.jobs.impact import run_impact_compare, run_impact_staggered
from sentinelle.panel import ENGINES
from sentinelle.panel.engines import run_duckdb
from tests.impact.simulate import SIM_YEARS, simulate_deployments

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RADPKO = DATA / "radpko" / "radpko_bases_cc_y.csv"
GED_POINTS = DATA / "ged" / "ged201_africa_points_1995-2019.csv"
MATRICES = ("presence", "near", "censored", "near_censored")


def tricky(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The simulated grid, plus what the panel must get right beyond it.

    A mission 'CCC' whose rows end in 2010, inside the window (censored ends, one of
    its bases sharing a cell with a base kept to the end, one outside the cells), and
    events that must not count (deleted, without coordinates or date, outside the
    window or the cells) or that test the perpetrator rules (ACLED's names in other
    cases, no side, other violence types, no death count).
    """
    dep, events, cells = simulate_deployments(seed)
    kept = dep[dep["year"] == SIM_YEARS[1]].iloc[0]
    first_gid = int(cells["gid"].iloc[0])
    extra = [
        ("ccc-shared", kept["latitude"], kept["longitude"]),
        ("ccc-corner", *(float(v) for v in _centre(first_gid))),
        ("ccc-outside", -30.25, 20.25),
    ]
    ccc = pd.DataFrame(
        [
            {"source": "geopko_frontmap", "mission": "CCC", "location": name, "country": "Mali",
             "latitude": lat, "longitude": lon, "year": year, "troops": 50.0, "hq": 0}
            for name, lat, lon in extra
            for year in range(2003, 2011)
        ]
    )  # fmt: skip
    lat, lon = _centre(first_gid)
    odd = pd.DataFrame(
        {
            "date_start": pd.to_datetime(
                ["2005-03-01", "2006-04-02", None, "2007-05-03", "1995-06-04", "2008-07-05",
                 "2009-08-06", "2010-09-07", "2011-10-08", "2012-11-09", "2013-12-10"]
            ),
            "latitude": [lat, np.nan, lat, lat, lat, -30.25, lat, lat, lat, lat, lat],
            "longitude": [lon, lon, lon, lon, lon, 20.25, lon, lon, lon, lon, lon],
            "civilian_deaths": [7.0, 3, 3, 3, 3, 3, 4, 5, 6, np.nan, 2],
            "violence_type": ["one_sided"] * 7 + ["one_sided", "state_based", "one_sided", None],
            "side_a": ["JNIM", "JNIM", "JNIM", "JNIM", "JNIM", "JNIM",
                       "military forces of Mali (2016-)", "POLICE FORCES OF MALI", "",
                       None, "Government of Mali"],
            "deleted": [False, False, False, True, False, False, False, False, False, False, False],
        }
    )  # fmt: skip
    events = pd.concat([events.assign(deleted=False), odd], ignore_index=True)
    return pd.concat([dep, ccc], ignore_index=True), events, cells


def _centre(gid: int) -> tuple[float, float]:
    from sentinelle.geo import centroid

    lat, lon = centroid(np.array([gid]))
    return float(lat[0]), float(lon[0])


def monthly(
    dep: pd.DataFrame, events: pd.DataFrame, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same bases listed by month (RADPKO's precision), arriving and leaving mid-year;
    events spread over the months of their year."""
    rng = np.random.default_rng(seed)
    rows = dep.assign(source="radpko").loc[dep.index.repeat(12)]
    rows["month"] = np.tile(np.arange(1, 13), len(dep))
    span = rows.groupby(["mission", "location"])["year"].agg(["min", "max"])
    span = span.reindex(pd.MultiIndex.from_frame(rows[["mission", "location"]])).to_numpy()
    late = (rows["year"].to_numpy() == span[:, 0]) & (span[:, 0] > SIM_YEARS[0])
    early = (rows["year"].to_numpy() == span[:, 1]) & (span[:, 1] < SIM_YEARS[1])
    cut = (late & (rows["month"].to_numpy() < 6)) | (early & (rows["month"].to_numpy() > 8))
    dates = pd.to_datetime(events["date_start"])
    shifted = dates + pd.to_timedelta(rng.integers(-160, 190, len(dates)), unit="D")
    return rows[~cut].reset_index(drop=True), events.assign(date_start=shifted)


def assert_same_panel(ours: StaggeredDesign, numpy_: StaggeredDesign) -> None:
    """Every matrix identical, in value, shape and type, and the same outcomes in order."""
    for name in MATRICES:
        a, b = getattr(ours, name), getattr(numpy_, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b), f"{name}: {int((a != b).sum())} cells differ"
    assert list(ours.outcomes) == list(numpy_.outcomes)
    for name, matrix in numpy_.outcomes.items():
        assert ours.outcomes[name].dtype == matrix.dtype, name
        assert np.array_equal(ours.outcomes[name], matrix), name


def assert_exercised(design: StaggeredDesign) -> None:
    """The design holds what could go wrong: censored ends, neighbours, both perpetrators."""
    for name in MATRICES:
        assert getattr(design, name).any(), name
    for who in ("government", "rebel"):
        assert design.outcomes[f"civilian_deaths_{who}"].sum() > 0, who


@pytest.fixture
def sql_on_duckdb() -> Iterator[str]:
    """The panel SQL run by DuckDB, as a plug-in engine: the SQL checked without a JVM."""
    ENGINES.register("duckdb_sql", run_duckdb)
    yield "duckdb_sql"
    ENGINES.unregister("duckdb_sql")


@pytest.mark.parametrize("precision", ["year", "month"])
def test_sql_panel_is_the_numpy_panel(sql_on_duckdb: str, precision: str) -> None:
    dep, events, cells = tricky()
    if precision == "month":
        dep, events = monthly(dep, events)
    kw: dict[str, Any] = {
        "cells": cells, "closures": pd.DataFrame(), "with_sides": True, "precision": precision,
    }  # fmt: skip
    numpy_ = build_design(dep, events, **kw)
    assert numpy_.precision == precision
    if precision == "month":
        assert numpy_.periods[0] == month_id(SIM_YEARS[0], 1)
    assert_exercised(numpy_)
    assert_same_panel(build_design(dep, events, engine=sql_on_duckdb, **kw), numpy_)


def test_sql_panel_without_sides_has_no_split(sql_on_duckdb: str) -> None:
    dep, events, cells = tricky()
    events = events.drop(columns=["side_a", "violence_type", "deleted"])
    kw: dict[str, Any] = {"cells": cells, "closures": pd.DataFrame()}
    numpy_ = build_design(dep, events, **kw)
    assert set(numpy_.outcomes) == {"civilian_deaths", "any_civilian_deaths"}
    assert_same_panel(build_design(dep, events, engine=sql_on_duckdb, **kw), numpy_)


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    dep, events, cells = simulate_deployments(3)
    valid = "unknown panel engine 'sprak'; choose from: duckdb, spark"
    with pytest.raises(UsageError, match=valid):
        run_staggered(dep, event_data=events, cells=cells, engine="sprak")
    with pytest.raises(UsageError, match="unknown panel engine 'sprak'"):
        build_design(dep, events, cells=cells, engine="sprak")
    # The jobs pass it on (and fail before reading anything).
    with pytest.raises(UsageError, match="unknown panel engine 'sprak'"):
        run_impact_staggered(dep, tmp_path, engine="sprak")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown panel engine 'sprak'"):
        run_impact_compare(dep, ["AAA"], tmp_path, engine="sprak")  # type: ignore[arg-type]


def test_spark_gives_the_numpy_panel_and_effects(spark: Any) -> None:
    dep, events, cells = tricky()
    kw: dict[str, Any] = {
        "event_data": events, "cells": cells, "closures": pd.DataFrame(), "min_treated": 5,
    }  # fmt: skip
    numpy_ = run_staggered(dep, **kw)
    ours = run_staggered(dep, engine="spark", spark=spark, **kw)
    assert_exercised(numpy_.design)
    assert_same_panel(ours.design, numpy_.design)
    pd.testing.assert_frame_equal(ours.effects, numpy_.effects)
    pd.testing.assert_frame_equal(ours.event_study, numpy_.event_study)
    assert ours.notes == numpy_.notes


@pytest.mark.skipif(
    not (RADPKO.exists() and GED_POINTS.exists()), reason="shared RADPKO or GED data missing"
)
def test_spark_gives_the_numpy_panel_on_real_data(spark: Any, tmp_path: Path) -> None:
    from sentinelle.sources.radpko import ingest_radpko
    from sentinelle.sources.ucdp_ged import ingest_ged
    from sentinelle.store import open_store

    con = open_store(tmp_path / "s.duckdb")
    ingest_radpko(con, RADPKO)
    ingest_ged(con, GED_POINTS)
    events = con.execute(
        "SELECT date_start, latitude, longitude, CAST(violence_type AS VARCHAR) AS "
        "violence_type, civilian_deaths, side_a, country_iso3, deleted "
        "FROM events WHERE source = 'ged_extract'"
    ).df()
    cells = region_cells("africa")
    cells = cells[cells["iso3"].isin(["LBR", "SLE", "CIV"])]
    kw: dict[str, Any] = {"years": (2000, 2017), "event_precision_": "year", "cells": cells}
    numpy_ = build_design(con, events, **kw)
    ours = build_design(con, events, engine="spark", spark=spark, **kw)
    con.close()
    # UNAMSIL's rows end in 2005: its last bases are censored ends.
    assert numpy_.censored.any() and numpy_.near.any()
    assert numpy_.outcomes["civilian_deaths"].sum() > 100
    assert_same_panel(ours, numpy_)
