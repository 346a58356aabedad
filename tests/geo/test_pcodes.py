"""Geography by P-code on the real files: OCHA polygons, gazetteers, bases in cercles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sentinelle.errors import UsageError
from sentinelle.geo import assign_admin, read_admin, read_gazetteer
from sentinelle.impact import load_closures

ADMIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "admin"
CERCLES = ADMIN / "mli_adm2_cercles_ocha_pcodes.geojson"

pytestmark = pytest.mark.skipif(not CERCLES.exists(), reason="shared admin data missing")

# Where each base of the shipped 2023 closure table stood (OCHA cercle P-codes).
CLOSURE_CERCLES = {
    "Ber": ("ML0605", "Tombouctou"),
    "Goundam": ("ML0602", "Goundam"),
    "Ménaka": ("ML1001", "Ménaka"),
    "Douentza": ("ML0504", "Douentza"),
    "Tessalit": ("ML0803", "Tessalit"),
    "Aguelhok": ("ML0803", "Tessalit"),
    "Kidal": ("ML0802", "Kidal"),
    "Ansongo": ("ML0701", "Ansongo"),
    "Mopti/Sévaré": ("ML0506", "Mopti"),
    "Tombouctou (Timbuktu)": ("ML0605", "Tombouctou"),
}


def test_ocha_polygons_are_read_by_pcode() -> None:
    cercles = read_admin(CERCLES, 2)
    assert len(cercles) == 53 and cercles["admin2_id"].str.fullmatch(r"ML\d{4}").all()
    assert set(cercles["admin1_id"]) >= {"ML06", "ML07", "ML08", "ML10"}


def test_the_2023_closures_fall_in_their_cercles() -> None:
    cercles = read_admin(CERCLES, 2)
    closures = load_closures()
    found = assign_admin(closures["latitude"], closures["longitude"], cercles)
    placed = dict(
        zip(
            closures["base"],
            zip(found["admin2_id"], found["admin2_name"], strict=True),
            strict=True,
        )
    )
    assert placed == CLOSURE_CERCLES


@pytest.mark.parametrize(
    ("name", "units", "first"),
    [
        ("bfa_adm2_gazetteer_cod2020.csv", 45, ("BF1300", "Kadiogo", "BF13", "Centre")),
        ("ner_adm2_gazetteer_cod2023.csv", 67, ("NE001001", "Aderbissinat", "NE001", "Agadez")),
        ("mli_adm2_gazetteer.csv", 53, ("ML0101", "Bafoulabe", "ML01", "Kayes")),
    ],
)
def test_gazetteers_give_units_without_polygons(name, units, first) -> None:
    table = read_gazetteer(ADMIN / name, 2)
    assert len(table) == units
    assert tuple(table.iloc[0][["admin2_id", "admin2_name", "admin1_id", "admin1_name"]]) == first
    if name.startswith("mli"):  # the Mali list gives centroids: they fall in their cercle
        cercles = read_admin(CERCLES, 2)
        hits = assign_admin(table["latitude"], table["longitude"], cercles)
        assert (hits["admin2_id"] == table["admin2_id"]).mean() > 0.95


def test_a_gazetteer_without_pcodes_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"name": ["a"]}).to_csv(path, index=False)
    with pytest.raises(UsageError, match="no admin-2 P-code and name columns"):
        read_gazetteer(path, 2)
