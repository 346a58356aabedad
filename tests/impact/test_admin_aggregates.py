"""Impact on admin-unit aggregates: simulated closures staggered within one half-year.

A country of 12 x 10 square units with P-codes, eight bases closing between July and
December of one year (the 2023 pattern), and monthly aggregates in the store with a
known effect in the host units and a smaller one in their neighbours. The design must
recover both within their intervals, find nothing at placebo dates, and say why when
the data end before the closures.
"""

from __future__ import annotations

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sentinelle.errors import ImpactError, NoDataError, UsageError
from sentinelle.geo import month_id
from sentinelle.impact import run_impact
from sentinelle.store.schema import migrate

HOST_EFFECT = 10.0
NEIGHBOUR_EFFECT = 4.0
# (column, row) of each base's unit and its closure date: July to December 2023.
BASES = {
    "B1": ((1, 1), "2023-07-10"),
    "B2": ((4, 1), "2023-08-02"),
    "B3": ((7, 1), "2023-08-25"),
    "B4": ((10, 1), "2023-09-15"),
    "B5": ((1, 5), "2023-10-21"),
    "B6": ((4, 5), "2023-10-31"),
    "B7": ((7, 5), "2023-11-18"),
    "B8": ((10, 5), "2023-12-28"),
}
HQ = (5, 8)  # a base still open at the end of the data
FIRST, LAST = month_id(2015, 1), month_id(2024, 12)


def _pcode(col: int, row: int) -> str:
    return f"ML{row:02d}{col:02d}"


def _units() -> gpd.GeoDataFrame:
    cells = [(c, r) for r in range(10) for c in range(12)]
    return gpd.GeoDataFrame(
        {
            "admin2_id": [_pcode(c, r) for c, r in cells],
            "admin2_name": [f"Unit {c}-{r}" for c, r in cells],
            "admin1_id": [f"ML{r:02d}" for _, r in cells],
        },
        geometry=[shapely.box(c, 10 + r, c + 1, 11 + r) for c, r in cells],
        crs="EPSG:4326",
    )


def _centre(col: int, row: int) -> tuple[float, float]:
    return 10 + row + 0.5, col + 0.5  # lat, lon


def _cohort(date: str) -> int:
    day = pd.Timestamp(date)
    return month_id(day.year, day.month) + 1


def _aggregates(units: gpd.GeoDataFrame, seed: int = 1) -> pd.DataFrame:
    """Poisson counts: unit level + common month effects + the closure effects."""
    rng = np.random.default_rng(seed)
    months = np.arange(FIRST, LAST + 1)
    level = rng.gamma(2.0, 2.0, len(units))
    common = 2.0 * np.sin(2 * np.pi * months / 12) + 0.03 * (months - FIRST) + 3.0
    mu = np.clip(level[:, None] + common[None, :], 0.1, None)
    effect = np.zeros((len(units), months.size))
    index = {code: i for i, code in enumerate(units["admin2_id"])}
    for (col, row), date in BASES.values():
        post = months >= _cohort(date)
        effect[index[_pcode(col, row)]] += HOST_EFFECT * post
        for dc in (-1, 0, 1):
            for dr in (-1, 0, 1):
                code = _pcode(col + dc, row + dr)
                if (dc, dr) != (0, 0) and code in index:
                    effect[index[code]] = np.maximum(effect[index[code]], NEIGHBOUR_EFFECT * post)
    y = rng.poisson(mu) + rng.poisson(effect)
    n = len(units)
    return pd.DataFrame(
        {
            "source": "acled-hdx",
            "series": "political_violence",
            "as_of": None,
            "iso3": "MLI",
            "admin_level": 2,
            "pcode": np.repeat(units["admin2_id"].to_numpy(), months.size),
            "name": np.repeat(units["admin2_name"].to_numpy(), months.size),
            "admin1_pcode": np.repeat(units["admin1_id"].to_numpy(), months.size),
            "admin1_name": None,
            "month_id": np.tile(months, n),
            "events": np.tile(np.ones(months.size, dtype=int), n),
            "fatalities": y.ravel(),
            "ingest_id": 1,
        }
    )


def _deployments() -> pd.DataFrame:
    rows = []
    for base, (cell, _) in BASES.items():
        lat, lon = _centre(*cell)
        rows += [(base, lat, lon, year) for year in range(2014, 2024)]
    lat, lon = _centre(*HQ)
    rows += [("HQ", lat, lon, year) for year in range(2014, 2025)]
    frame = pd.DataFrame(rows, columns=["location", "latitude", "longitude", "year"])
    return frame.assign(
        source="geopko_frontmap", mission="SIM", country="Mali", month=0, troops=500.0,
        police=None, observers=None, record=1, hq=0, ingest_id=1,
    )  # fmt: skip


def _closures() -> pd.DataFrame:
    rows = []
    for base, (cell, date) in BASES.items():
        lat, lon = _centre(*cell)
        rows.append(
            {
                "mission": "SIM", "base": base, "geopko_location": base, "latitude": lat,
                "longitude": lon, "closure_date": pd.Timestamp(date), "date_precision": "day",
                "event": f"{base} handed over", "taken_over_by": None,
                "source": "https://example.org/sim",
            }
        )  # fmt: skip
    table = pd.DataFrame(rows)
    table["closure_month"] = month_id(
        table["closure_date"].dt.year.to_numpy(), table["closure_date"].dt.month.to_numpy()
    )
    return table


@pytest.fixture(scope="module")
def store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    units = _units()
    aggregates = _aggregates(units)
    deployments = _deployments()
    con.register("_a", aggregates)
    con.execute("INSERT INTO admin_aggregates SELECT * FROM _a")
    con.register("_d", deployments)
    con.execute("INSERT INTO deployments BY NAME SELECT * FROM _d")
    return con


@pytest.fixture(scope="module")
def result(store):
    return run_impact(
        store, "SIM", unit="admin2", admin_units=_units(), event_source="acled-hdx",
        closures=_closures(), min_precision="month",
        estimators=["callaway_santanna", "placebo_minus_24m", "synth"], max_donors=10,
    )  # fmt: skip


def _row(result, estimator: str, ring: int) -> pd.Series:
    effects = result.effects
    return effects[(effects["estimator"] == estimator) & (effects["ring"] == ring)].iloc[0]


def test_design_hosts_neighbours_and_never_hosting_controls(result) -> None:
    units = result.units
    hosts = units[(units["role"] == "treated") & (units["ring"] == 0)]
    assert set(hosts["admin2_id"]) == {_pcode(*cell) for cell, _ in BASES.values()}
    assert set(hosts["cohort"]) == {_cohort(date) for _, date in BASES.values()}
    assert result.labels == ("host unit", "neighbouring units")
    # The unit hosting the base still open is no control.
    assert units.loc[units["admin2_id"] == _pcode(*HQ), "role"].item() == "dropped"
    assert result.months.start == min(_cohort(d) for _, d in BASES.values()) - 48
    assert result.months.stop - 1 == LAST


def test_recovers_the_host_and_neighbour_effects(result) -> None:
    for ring, truth in ((0, HOST_EFFECT), (1, NEIGHBOUR_EFFECT)):
        row = _row(result, "callaway_santanna", ring)
        assert row["lower"] <= truth <= row["upper"], (ring, row["estimate"])
        assert row["lower"] > 0
        assert row["pretrend_p"] > 0.05


def test_no_effect_at_placebo_dates(result) -> None:
    row = _row(result, "placebo_minus_24m", 0)
    assert row["lower"] <= 0 <= row["upper"]


def test_per_base_table(result) -> None:
    bases = result.bases
    assert list(bases["base"]) == list(BASES)
    assert (bases["months_after"] == 12).all()  # every closure has 12 months after it
    assert bases["what_happened"].str.endswith("handed over").all()
    assert bases["taken_over_by"].isna().all()  # nobody is named where no source says
    # The host units gained about HOST_EFFECT a month after the closure.
    gain = (bases["after_12m"] - bases["before_12m"]).mean() / 12
    assert HOST_EFFECT / 2 < gain < HOST_EFFECT * 2
    synth = bases["synthetic_after"]
    assert synth.notna().all() and (bases["after_12m"] > synth).mean() >= 0.75


def test_data_ending_before_the_closures_says_so(store) -> None:
    cut = duckdb.connect()
    migrate(cut)
    cut.register("_a", store.execute("SELECT * FROM admin_aggregates").df())
    cut.execute(
        f"INSERT INTO admin_aggregates SELECT * FROM _a WHERE month_id <= {month_id(2022, 12)}"
    )
    cut.register("_d", store.execute("SELECT * FROM deployments").df())
    cut.execute("INSERT INTO deployments SELECT * FROM _d")
    with pytest.raises(ImpactError, match=r"8 closure\(s\) fall after the data .*acled-hdx"):
        run_impact(
            cut, "SIM", unit="admin2", admin_units=_units(), event_source="acled-hdx",
            closures=_closures(), min_precision="month",
        )  # fmt: skip


def test_wrong_outcome_unit_or_series_is_one_clear_error(store) -> None:
    common = {"admin_units": _units(), "event_source": "acled-hdx", "closures": _closures()}
    with pytest.raises(UsageError, match="use unit='admin2'"):
        run_impact(store, "SIM", event_source="acled-hdx", closures=_closures())
    with pytest.raises(UsageError, match="outcome must be one of"):
        run_impact(store, "SIM", unit="admin2", outcome="civilian_deaths", **common)
    with pytest.raises(NoDataError, match="no admin-2 civilian_targeting series"):
        run_impact(store, "SIM", unit="admin2", outcome="civilian_targeting", **common)
    with pytest.raises(ImpactError, match="no base of SIM in BFA"):
        run_impact(store, "SIM", unit="admin2", country="BFA", **common)
