"""Admin panels from unit-month aggregates (ACLED's HDX series), keyed by P-code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from sentinelle.errors import PanelError
from sentinelle.geo import month_id
from sentinelle.panel import build_panel, read_panel
from sentinelle.store.schema import migrate

FIRST = month_id(2020, 1)
MONTHS = 24
# Three units in a row (P-codes XX0101, XX0102 in admin1 XX01; XX0201 in XX02).
CODES = (("XX0101", "XX01"), ("XX0102", "XX01"), ("XX0201", "XX02"))


@pytest.fixture
def boundaries(tmp_path: Path) -> Path:
    path = tmp_path / "adm2.geojson"
    gpd.GeoDataFrame(
        {
            "ADM2_PCODE": [c for c, _ in CODES],
            "ADM2_FR": ["Un", "Deux", "Trois"],
            "ADM1_PCODE": [p for _, p in CODES],
            "ADM1_FR": ["Nord", "Nord", "Sud"],
        },
        geometry=[shapely.box(i, 10, i + 1, 11) for i in range(3)],
        crs="EPSG:4326",
    ).to_file(path)
    return path


def _rows(series: str, scale: int) -> pd.DataFrame:
    rows = [
        {
            "source": "acled-hdx", "series": series, "as_of": None, "iso3": "XXX",
            "admin_level": 2, "pcode": code, "name": code, "admin1_pcode": parent,
            "admin1_name": None, "month_id": FIRST + m, "events": (i + m) % 3,
            "fatalities": scale * ((i + m) % 3) * (i + 1), "ingest_id": 1,
        }
        for i, (code, parent) in enumerate(CODES)
        for m in range(MONTHS)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _store(*series: tuple[str, int]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    frame = pd.concat([_rows(name, scale) for name, scale in series], ignore_index=True)
    con.register("_a", frame)
    con.execute("INSERT INTO admin_aggregates SELECT * FROM _a")
    # A base in the first unit, listed for 2020 only (a yearly map).
    con.execute(
        "INSERT INTO deployments (source, mission, location, country, latitude, longitude, "
        "year, month, troops, ingest_id) VALUES "
        "('geopko_frontmap', 'SIM', 'Base', 'Nowhere', 10.5, 0.5, 2020, 0, 300, 2), "
        "('geopko_frontmap', 'SIM', 'Other', 'Nowhere', 10.5, 2.5, 2021, 0, 100, 2)"
    )
    return con


def test_outcomes_and_features_follow_the_aggregates(boundaries: Path) -> None:
    con = _store(("political_violence", 2))
    report = build_panel(
        con, "admin2", FIRST + 12, FIRST + MONTHS - 1, source="acled-hdx", boundaries=boundaries
    )
    panel = read_panel(con, "admin2")
    assert report.n_units == 3 and len(panel) == 3 * 12
    assert {"fatalities", "events", "fatalities_tlag_1", "events_time_since"} <= set(panel)
    assert "civ_fatalities" not in panel  # no civilian-targeting series stored
    expected = _rows("political_violence", 2).set_index(["pcode", "month_id"])
    got = panel.set_index(["unit_code", "month_id"])
    for (code, month), row in got.iterrows():
        assert row["fatalities"] == expected.loc[(code, month), "fatalities"]
        assert row["fatalities_tlag_1"] == expected.loc[(code, month - 1), "fatalities"]
    # The base of unit XX0101, on the 2020 map only, is gone from January 2021.
    first = got.loc["XX0101"]
    assert (first.loc[FIRST + 12 :, "pko_troops"].iloc[1:] == 0).all()
    assert first.loc[FIRST + 13, "pko_months_since_close"] == 1


def test_civilian_series_joins_when_stored(boundaries: Path) -> None:
    con = _store(("political_violence", 2), ("civilian_targeting", 1))
    build_panel(con, "admin2", FIRST + 12, FIRST + 23, source="acled-hdx", boundaries=boundaries)
    panel = read_panel(con, "admin2")
    assert {"civ_fatalities", "civ_events", "civ_fatalities_tlag_1"} <= set(panel)
    assert (panel["civ_fatalities"] <= panel["fatalities"]).all()


def test_admin1_sums_the_admin2_rows(tmp_path: Path, boundaries: Path) -> None:
    regions = gpd.read_file(boundaries).dissolve(by="ADM1_PCODE", as_index=False)
    regions = regions.rename(columns={"ADM1_PCODE": "ADM1_PCODE", "ADM1_FR": "ADM1_FR"})
    path = tmp_path / "adm1.geojson"
    regions[["ADM1_PCODE", "ADM1_FR", "geometry"]].to_file(path)
    con = _store(("political_violence", 2))
    build_panel(con, "admin1", FIRST + 12, FIRST + 23, source="acled-hdx", boundaries=path)
    panel = read_panel(con, "admin1").set_index(["unit_code", "month_id"])
    rows = _rows("political_violence", 2)
    north = rows[rows["admin1_pcode"] == "XX01"].groupby("month_id")["fatalities"].sum()
    assert panel.loc["XX01", "fatalities"].to_dict() == north.loc[FIRST + 12 :].to_dict()


def test_past_the_data_or_without_pcodes_is_refused(tmp_path: Path, boundaries: Path) -> None:
    con = _store(("political_violence", 2))
    with pytest.raises(PanelError, match=r"covers 2020-01 to 2021-12"):
        build_panel(con, "admin2", FIRST, FIRST + 30, source="acled-hdx", boundaries=boundaries)
    other = tmp_path / "names.geojson"
    frame = gpd.read_file(boundaries)
    frame["ADM2_PCODE"] = ["A", "B", "C"]
    frame.to_file(other)
    with pytest.raises(PanelError, match="P-codes as ids"):
        build_panel(con, "admin2", FIRST, FIRST + 12, source="acled-hdx", boundaries=other)
