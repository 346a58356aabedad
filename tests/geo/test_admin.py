"""Tests of admin-unit reading, point assignment and contiguity on fixtures and real boundaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from sentinelle.geo.admin import admin_neighbours, assign_admin, read_admin

# Two adjacent unit squares sharing the meridian lon = 1, in one region:
#   A: lon 0..1, lat 0..1      B: lon 1..2, lat 0..1
SQUARES = {
    "GID_1": ["R.1_1", "R.1_1"],
    "NAME_1": ["Region", "Region"],
    "GID_2": ["R.1.1_1", "R.1.2_1"],
    "NAME_2": ["A", "B"],
}


def _write(tmp_path: Path, attributes: dict[str, list[str]], crs: str = "EPSG:4326") -> Path:
    """Write the two squares with ``attributes`` as GeoJSON, in ``crs``."""
    frame = gpd.GeoDataFrame(attributes, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    path = tmp_path / "units.geojson"
    frame.to_crs(crs).to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def squares(tmp_path: Path) -> gpd.GeoDataFrame:
    return read_admin(_write(tmp_path, SQUARES), level=2)


def test_read_admin_detects_gadm_fields(squares: gpd.GeoDataFrame) -> None:
    assert squares.columns.tolist() == [
        "admin2_id",
        "admin2_name",
        "admin1_id",
        "admin1_name",
        "geometry",
    ]
    assert squares["admin2_name"].tolist() == ["A", "B"]
    assert squares["admin1_id"].tolist() == ["R.1_1", "R.1_1"]
    assert squares.crs.to_epsg() == 4326


def test_read_admin_detects_geoboundaries_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, {"shapeName": ["A", "B"], "shapeID": ["X-1", "X-2"]})
    units = read_admin(path, level=1)
    assert units.columns.tolist() == ["admin1_id", "admin1_name", "geometry"]
    assert units["admin1_id"].tolist() == ["X-1", "X-2"]


def test_read_admin_detects_ocha_fields(tmp_path: Path) -> None:
    attributes = {
        "ADM2_FR": ["A", "B"],
        "ADM2_PCODE": ["ML0101", "ML0102"],
        "ADM1_FR": ["Region", "Region"],
        "ADM1_PCODE": ["ML01", "ML01"],
    }
    units = read_admin(_write(tmp_path, attributes), level=2)
    assert units[["admin2_id", "admin2_name", "admin1_id", "admin1_name"]].values.tolist() == [
        ["ML0101", "A", "ML01", "Region"],
        ["ML0102", "B", "ML01", "Region"],
    ]


def test_read_admin_explicit_fields_and_name_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, {"CAPTION": ["A", "B"], "REGION": ["North", "South"]})
    with pytest.raises(ValueError, match=r"name_field=.*\['CAPTION', 'REGION'\]"):
        read_admin(path, level=2)
    units = read_admin(path, level=2, name_field="CAPTION", parent_field="REGION")
    # Without an id field the names serve as ids.
    assert units["admin2_id"].tolist() == ["A", "B"]
    assert units["admin1_name"].tolist() == ["North", "South"]


def test_read_admin_rejects_duplicate_ids(tmp_path: Path) -> None:
    # A level-2 file read as level 1: both squares carry region id R.1_1.
    with pytest.raises(ValueError, match=r"not unique \(e\.g\. 'R\.1_1'\)"):
        read_admin(_write(tmp_path, SQUARES), level=1)


def test_read_admin_reprojects(tmp_path: Path) -> None:
    units = read_admin(_write(tmp_path, SQUARES, crs="EPSG:3857"), level=2)
    assert units.crs.to_epsg() == 4326
    np.testing.assert_allclose(units.total_bounds, [0, 0, 2, 1], atol=1e-9)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the point of the fixture
@pytest.mark.parametrize(("scale", "ok"), [(1.0, True), (100_000.0, False)])
def test_read_admin_without_crs(tmp_path: Path, scale: float, ok: bool) -> None:
    # A GeoPackage with no CRS: lon/lat-looking coordinates are taken as EPSG:4326,
    # metre-sized ones are refused rather than silently misplaced.
    frame = gpd.GeoDataFrame(
        SQUARES, geometry=[box(0, 0, scale, scale), box(scale, 0, 2 * scale, scale)]
    )
    path = tmp_path / "units.gpkg"
    frame.to_file(path, driver="GPKG")
    if ok:
        assert read_admin(path, level=2).crs.to_epsg() == 4326
    else:
        with pytest.raises(ValueError, match="no CRS"):
            read_admin(path, level=2)


def test_assign_admin_inside_outside_border_and_nan(squares: gpd.GeoDataFrame) -> None:
    lat = pd.Series([0.5, 0.5, 0.5, 5.0, np.nan], index=[10, 11, 12, 13, 14])
    lon = [0.5, 1.5, 1.0, 5.0, 0.5]
    result = assign_admin(lat, lon, squares)
    assert result.index.tolist() == [10, 11, 12, 13, 14]
    assert result.columns.tolist() == ["admin2_id", "admin2_name", "admin1_id", "admin1_name"]
    names = result["admin2_name"]
    assert names.iloc[:3].tolist() == ["A", "B", "A"]  # the border point goes to the first unit
    assert names.iloc[3:].isna().all()
    assert result.iloc[3:].isna().all().all()


def test_border_point_follows_unit_order(squares: gpd.GeoDataFrame) -> None:
    reversed_units = squares.iloc[::-1]
    assert assign_admin([0.5], [1.0], reversed_units)["admin2_name"].tolist() == ["B"]
    # Non-border points do not depend on the order.
    assert assign_admin([0.5], [0.25], reversed_units)["admin2_name"].tolist() == ["A"]


def test_assign_admin_requires_lon_lat(squares: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="EPSG:4326"):
        assign_admin([0.5], [0.5], squares.to_crs(3857))
    with pytest.raises(ValueError, match="differ in shape"):
        assign_admin([0.5, 0.5], [0.5], squares)


def test_admin_neighbours_queen_contiguity() -> None:
    # Besides squares A and B: D (lon 2..3, lat 1..2) touches B only at the corner (2, 1)
    # and C (lon 3..4, lat 0..1) only at the corner (3, 1); E (lon 5..6) is an island.
    units = gpd.GeoDataFrame(
        {"admin2_id": ["A", "B", "C", "D", "E"]},
        geometry=[
            box(0, 0, 1, 1),
            box(1, 0, 2, 1),
            box(3, 0, 4, 1),
            box(2, 1, 3, 2),
            box(5, 0, 6, 1),
        ],
        crs=4326,
    )
    pairs = admin_neighbours(units, "admin2_id")
    assert pairs.values.tolist() == [
        ["A", "B"],
        ["B", "A"],
        ["B", "D"],
        ["C", "D"],
        ["D", "B"],
        ["D", "C"],
    ]


MALI_TOWNS = {
    # town: (lat, lon, cercle GID_2, cercle, region)
    "Bamako": (12.6392, -8.0029, "MLI.1.1_1", "Bamako", "Bamako"),
    "Gao": (16.2666, -0.0400, "MLI.2.3_1", "Gao", "Gao"),
    "Kidal": (18.4411, 1.4078, "MLI.4.2_1", "Kidal", "Kidal"),
}


@pytest.fixture
def mali(shared_file: Callable[[str], Path]) -> gpd.GeoDataFrame:
    return read_admin(shared_file("admin/mali_adm2_gadm40.geojson"), level=2)


def test_mali_towns_in_their_cercles(mali: gpd.GeoDataFrame) -> None:
    assert len(mali) == 50
    lat, lon, gid2, admin2, admin1 = zip(*MALI_TOWNS.values(), strict=True)
    result = assign_admin(np.array(lat), np.array(lon), mali)
    assert result["admin2_id"].tolist() == list(gid2)
    assert result["admin2_name"].tolist() == list(admin2)
    assert result["admin1_name"].tolist() == list(admin1)


def test_mali_cercle_neighbours(mali: gpd.GeoDataFrame) -> None:
    pairs = admin_neighbours(mali, "admin2_id")
    # Bamako district is an enclave in Kati cercle (MLI.5.4_1).
    assert pairs.loc[pairs["unit"] == "MLI.1.1_1", "neighbour"].tolist() == ["MLI.5.4_1"]
    # Gao cercle: Bourem (MLI.2.2_1) and Kidal (MLI.4.2_1) to the north, Menaka (MLI.2.4_1)
    # east, Ansongo (MLI.2.1_1) south, Gourma-Rharous (MLI.9.3_1, Timbuktu region) west.
    gao = pairs.loc[pairs["unit"] == "MLI.2.3_1", "neighbour"].tolist()
    assert gao == ["MLI.2.1_1", "MLI.2.2_1", "MLI.2.4_1", "MLI.4.2_1", "MLI.9.3_1"]
    reverse = pairs.rename(columns={"unit": "neighbour", "neighbour": "unit"})
    assert set(map(tuple, pairs.values)) == set(map(tuple, reverse[["unit", "neighbour"]].values))
    assert set(pairs["unit"]) == set(mali["admin2_id"])  # Mali has no island cercle


def test_burkina_regions_need_an_explicit_name_field(shared_file: Callable[[str], Path]) -> None:
    path = shared_file("admin/burkina_faso_regions.geojson")
    with pytest.raises(ValueError, match="'CAPTION'"):
        read_admin(path, level=1)
    regions = read_admin(path, level=1, name_field="CAPTION")
    assert len(regions) == 13
    assert regions.is_valid.all()  # the file has invalid polygons; read_admin repairs them
    # Ouagadougou lies in the Centre region.
    assert assign_admin([12.3714], [-1.5197], regions)["admin1_name"].tolist() == ["Centre"]
