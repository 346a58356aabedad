"""Tests of the country code tables against the VIEWS, UCDP and ACLED files that use them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sentinelle.geo.countries import (
    CodeSystem,
    convert_code,
    country_table,
    iso3_from_name,
    map_codes,
)


def test_table_shape_and_unique_current_codes() -> None:
    table = country_table()
    assert len(table) == 220
    assert table["views_id"].is_unique
    current = table[table["current"]]
    assert len(current) == 191
    for column in ("gwcode", "iso3", "isonum", "name"):
        assert current[column].dropna().is_unique, column
    # Kosovo is the only country without an ISO numeric code.
    assert current.loc[current["isonum"].isna(), "iso3"].tolist() == ["XKX"]


def test_country_table_is_a_copy() -> None:
    table = country_table()
    table["name"] = "changed"
    assert convert_code(432, "gwcode", "name") == "Mali"


@pytest.mark.parametrize(
    ("source", "value"),
    [("views_id", 50), ("gwcode", 432), ("iso3", "MLI"), ("isonum", 466), ("name", "Mali")],
)
@pytest.mark.parametrize("target", ["views_id", "gwcode", "iso3", "isonum", "name"])
def test_mali_in_every_system(source: CodeSystem, value: object, target: CodeSystem) -> None:
    expected = {"views_id": 50, "gwcode": 432, "iso3": "MLI", "isonum": 466, "name": "Mali"}
    assert convert_code(value, source, target) == expected[target]


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("mli ", "iso3", "gwcode", 432),  # case and blanks are forgiven
        (432.0, "gwcode", "iso3", "MLI"),  # ids read as floats from files with NAs
        (365, "gwcode", "views_id", 65),  # current Russia, not one of the nine USSR rows
        (530, "gwcode", "isonum", 231),  # current Ethiopia (231), not the pre-1993 row (230)
        (625, "gwcode", "isonum", 729),  # current Sudan (729), not the pre-2011 row (736)
        ("SUN", "iso3", "gwcode", 365),  # historical rows only, but they agree
        (265, "gwcode", "iso3", "DDR"),
        (315, "gwcode", "views_id", 187),  # Czechoslovakia: a single historical row
        (232, "gwcode", "iso3", "AND"),  # a microstate VIEWS does not forecast
        (345, "gwcode", "iso3", "SRB"),  # UCDP's code for today's Serbia
        (345, "gwcode", "views_id", 233),
        ("SRB", "iso3", "gwcode", 340),  # ... but VIEWS codes Serbia 340
        (189, "views_id", "iso3", "SUN"),  # views_id is unique, so any row can be reached
        ("XKX", "iso3", "gwcode", 347),
        ("DR Congo (Zaire)", "name", "views_id", 167),
    ],
)
def test_duplicate_resolution(
    value: object, source: CodeSystem, target: CodeSystem, expected: object
) -> None:
    assert convert_code(value, source, target) == expected


@pytest.mark.parametrize(
    ("value", "source", "target", "message"),
    [
        ("SUN", "iso3", "views_id", r"ambiguous.*USSR \(views_id 189\)"),
        (999, "gwcode", "iso3", "unknown gwcode 999"),
        ("Mali", "gwcode", "iso3", "unknown gwcode 'Mali'"),
        (432.5, "gwcode", "iso3", "unknown gwcode 432.5"),
        ("ZZZ", "iso3", "gwcode", "unknown iso3 'ZZZ'"),
        (347, "gwcode", "isonum", "Kosovo.*has no isonum"),
        ("South Vietnam", "name", "iso3", "unknown country name"),
    ],
)
def test_lookup_errors(value: object, source: CodeSystem, target: CodeSystem, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        convert_code(value, source, target)


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        # UCDP GED `country` spellings: "Present (Former)".
        ("DR Congo (Zaire)", "COD"),
        ("Ivory Coast", "CIV"),
        ("Cambodia (Kampuchea)", "KHM"),
        ("Madagascar (Malagasy)", "MDG"),
        ("Myanmar (Burma)", "MMR"),
        ("Yemen (North Yemen)", "YEM"),
        ("Russia (Soviet Union)", "RUS"),
        ("Zimbabwe (Rhodesia)", "ZWE"),
        ("Serbia (Yugoslavia)", "SRB"),
        ("Bosnia-Herzegovina", "BIH"),
        ("Kingdom of eSwatini (Swaziland)", "SWZ"),
        ("Vietnam (North Vietnam)", "VNM"),
        ("United States of America", "USA"),
        ("North Macedonia", "MKD"),
        ("South Yemen", "YMD"),
        # VIEWS, ISO and other spellings.
        ("Congo, DRC", "COD"),
        ("Congo", "COG"),
        ("Democratic Republic of Congo", "COD"),
        ("C\u00f4te d\u2019Ivoire", "CIV"),  # typographic apostrophe
        ("Cote d'Ivoire", "CIV"),
        ("The Gambia", "GMB"),
        ("gambia", "GMB"),
        ("Russian Federation", "RUS"),
        ("Timor-Leste", "TLS"),
        ("Bosnia & Herzegovina", "BIH"),
        ("Kosovo", "XKX"),
    ],
)
def test_iso3_from_name(name: str, iso3: str) -> None:
    assert iso3_from_name(name) == iso3


def test_every_current_name_resolves_to_its_own_code() -> None:
    current = country_table().query("current")
    for name, iso_name, iso3 in zip(
        current["name"], current["iso_name"], current["iso3"], strict=True
    ):
        assert iso3_from_name(name) == iso3
        assert iso3_from_name(iso_name) == iso3


def test_map_codes_keeps_index_and_missing_values() -> None:
    gw = pd.Series([432, 436.0, None, 439, 432], index=list("abcde"))
    iso3 = map_codes(gw, "gwcode", "iso3")
    assert str(iso3.dtype) == "string"
    assert iso3.index.tolist() == list("abcde")
    assert iso3.tolist() == ["MLI", "NER", pd.NA, "BFA", "MLI"]
    views = map_codes(pd.Series(["MLI", "BFA"]), "iso3", "views_id")
    assert str(views.dtype) == "Int64"
    assert views.tolist() == [50, 47]


def test_map_codes_errors() -> None:
    codes = pd.Series([432, 999, 998, 432])
    with pytest.raises(KeyError, match=r"2 gwcode code\(s\).*999.*998"):
        map_codes(codes, "gwcode", "views_id")
    coerced = map_codes(codes, "gwcode", "views_id", errors="coerce")
    assert coerced.tolist() == [50, pd.NA, pd.NA, 50]


def test_current_countries_are_the_views_actuals(shared_file: Callable[[str], Path]) -> None:
    actuals = pd.read_parquet(shared_file("views-cm/actuals/cm_actuals_2023.parquet"))
    in_actuals = set(actuals.index.get_level_values("country_id"))
    assert set(country_table().query("current")["views_id"]) == in_actuals


def test_gw_codes_match_views_features(shared_file: Callable[[str], Path]) -> None:
    features = pd.read_csv(
        shared_file("views-cm/features_monthly/cm_features_2023.csv"),
        usecols=["country_id", "gleditsch_ward"],
    ).drop_duplicates()
    assert len(features) == 191  # one GW code per country
    mapped = map_codes(features["country_id"], "views_id", "gwcode")
    assert (mapped == features["gleditsch_ward"]).all()
    back = map_codes(features["gleditsch_ward"], "gwcode", "views_id")
    assert (back == features["country_id"]).all()


@pytest.mark.parametrize(
    "relative",
    ["ged/GEDEvent_v23_1_ETH.csv", "ged/GEDEvent_v23_1_CAF.geojson"],
)
def test_ucdp_gw_codes_and_names_agree(shared_file: Callable[[str], Path], relative: str) -> None:
    path = shared_file(relative)
    columns = ["country", "country_id"]
    if path.suffix == ".csv":
        ged = pd.read_csv(path, usecols=columns)
    else:
        ged = pd.DataFrame(gpd.read_file(path, columns=columns, ignore_geometry=True))
    pairs = ged.drop_duplicates()
    by_gw = map_codes(pairs["country_id"], "gwcode", "iso3")
    by_name = pairs["country"].map(iso3_from_name)
    assert (by_gw == by_name).all()


@pytest.mark.parametrize("iso3", ["mli", "bfa", "ner"])
def test_acled_iso_numeric_codes(shared_file: Callable[[str], Path], iso3: str) -> None:
    path = shared_file(f"acled/acled_hdx_{iso3}_1997-2020.csv")
    acled = pd.read_csv(path, usecols=["iso", "iso3", "country"], skiprows=[1])  # HXL tag row
    assert (map_codes(acled["iso"], "isonum", "iso3") == acled["iso3"]).all()
    assert (acled["country"].map(iso3_from_name) == acled["iso3"]).all()
