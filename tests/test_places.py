"""One table of admin-unit kinds (sentinelle.places), read by alerts, situation and the map.

The doctests of the module (and of the alert wording, which names places with it) run
here, since the suite does not collect doctests; the other tests check that the three
readers take their words from the one table, so that a country added there reaches all.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

from sentinelle import places
from sentinelle.alerts import wording
from sentinelle.places import (
    COUNTRY_KINDS,
    KINDS,
    french_of,
    place_name,
    unit_kind,
    unit_phrase,
    unit_plural,
)
from sentinelle.web import pages

# The module, not the function sentinelle.actors exports under the same name.
situation = importlib.import_module("sentinelle.actors.situation")


@pytest.mark.parametrize("module", [places, wording])
def test_doctests(module: object) -> None:
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert tried > 0 and failed == 0


def test_the_readers_share_the_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wording.place_name is place_name and wording.french_of is french_of
    assert situation.UNIT_WORDS is places.UNIT_WORDS
    assert situation.DEFAULT_UNIT_WORDS is places.DEFAULT_UNIT_WORDS
    # A country added to the table is named by the alerts and the map alike.
    monkeypatch.setitem(COUNTRY_KINDS, "TCD", ("region", "department"))
    assert place_name("admin2", "TCD/Batha/Fitri", "en") == "Chad, Batha region, Fitri department"
    assert pages._unit_label("fr", "TCD", 2) == "départements"


def test_words_per_country_and_level() -> None:
    assert [unit_plural("MLI", level, "fr") for level in (1, 2)] == ["régions", "cercles"]
    assert unit_plural("BFA", 2, "en") == "provinces"
    assert unit_plural("NER", 2, "fr") == "départements"
    assert unit_plural("NGA", 1, "fr") == "unités administratives de niveau 1"
    assert places.UNIT_WORDS["BFA"] == ("region", "province")
    assert {kind.key for kind in KINDS.values()} == set(KINDS)
    assert unit_kind("MLI", 3) is None


def test_french_articles_in_phrases() -> None:
    assert unit_phrase("BFA", 1, "Boucle du Mouhoun", "fr") == "région de la Boucle du Mouhoun"
    assert unit_phrase("BFA", 1, "Cascades", "fr") == "région des Cascades"
    assert unit_phrase("BFA", 1, "Est", "fr") == "région de l\u2019Est"
    assert unit_phrase("NER", 2, "Arlit", "fr") == "département d\u2019Arlit"
    assert unit_phrase("MLI", 2, "Bamako", "fr") == "district de Bamako"
    assert unit_phrase("MLI", 2, "Bandiagara", "en") == "Bandiagara cercle"
    # Provinces take articles of their own ("du Kadiogo", "de la Gnagna"): named alone.
    assert unit_phrase("BFA", 2, "Kadiogo", "fr") == "Kadiogo"
    assert unit_phrase("NGA", 1, "Borno", "fr") == "Borno"
