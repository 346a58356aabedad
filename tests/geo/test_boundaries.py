"""Country outlines: the pyogrio copy by default, ISO3 codes normalised across editions."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from sentinelle.geo.boundaries import default_boundaries, read_country_outlines


def test_default_outlines_are_natural_earth_lowres() -> None:
    assert default_boundaries().exists()
    shapes = read_country_outlines()
    assert len(shapes) == 177 and list(shapes.columns) == ["iso3", "name", "geometry"]
    assert shapes.loc[shapes["iso3"] == "MLI", "name"].tolist() == ["Mali"]
    assert shapes.crs.to_epsg() == 4326


def test_adm0_code_fills_iso_gaps_and_unknown_codes_are_none(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"ISO_A3": ["MLI", "-99", "-99"], "ADM0_A3": ["MLI", "SOL", "-99"],
         "NAME": ["Mali", "Somaliland", "Nowhere"]},
        geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2), box(2, 2, 3, 3)],
        crs="EPSG:4326",
    )  # fmt: skip
    path = tmp_path / "ne.geojson"
    frame.to_file(path)
    shapes = read_country_outlines(path)
    assert shapes["iso3"].tolist() == ["MLI", "SOL", None]
    assert shapes["name"].tolist() == ["Mali", "Somaliland", "Nowhere"]


def test_a_file_without_codes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(path)
    with pytest.raises(ValueError, match="no ISO_A3, iso3 or ADM0_A3 column"):
        read_country_outlines(path)
