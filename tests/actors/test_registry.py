"""Actor matching: aliases, UCDP ids, validity dates, ambiguity, unknown names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sentinelle.actors import load_registry, normalise_name, unmatched_names
from sentinelle.actors.registry import Actor, Alias, build_registry
from sentinelle.store import open_store
from tests.actors.events import store_events

REG = load_registry()
D = dt.date


def test_shipped_registry_has_the_sahel_actors() -> None:
    for actor_id in ("jnim", "is_sahel", "mali_forces", "wagner_africa_corps", "cma",
                     "minusma", "french_forces", "dan_na_ambassagou", "vdp"):  # fmt: skip
        assert actor_id in REG.actors
    assert REG.actors["jnim"].affiliations == ("aqim",)


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("JNIM: Group for Support of Islam and Muslims", "acled", "jnim"),
        ("  jnim:  group for support of islam and MUSLIMS ", "acled", "jnim"),
        ("Volontaires pour la defense de la patrie", "acled", "vdp"),  # diacritics
        ("Islamic State (Greater Sahara)", "acled", "is_sahel"),
        ("Military Forces of Mali (2013-2020)", "acled", "mali_forces"),
        ("Government of Mali", "ged", "mali_forces"),
        ("Military Forces of Mali (2013-2020)", "ged", None),  # an ACLED-only alias
        ("JNIM", "acled", None),  # the bare UCDP name is a UCDP alias only
    ],
)
def test_alias_matching(name: str, source: str, expected: str | None) -> None:
    actor = REG.match(name, D(2020, 6, 1), source=source)
    assert (actor.id if actor else None) == expected


def test_ucdp_id_takes_precedence_over_name() -> None:
    assert REG.match("Some new spelling", D(2020, 1, 1), source="ged", ucdp_id="6716").id == "jnim"  # type: ignore[union-attr]
    # An unknown id falls back on the name; ids mean nothing for ACLED.
    assert REG.match("JNIM", D(2020, 1, 1), source="ged", ucdp_id="999999").id == "jnim"  # type: ignore[union-attr]
    assert REG.match("x", D(2020, 1, 1), source="acled", ucdp_id="6716") is None


def test_validity_dates_of_actor_and_alias() -> None:
    jnim = "JNIM: Group for Support of Islam and Muslims"
    assert REG.match(jnim, D(2017, 3, 1), source="acled") is None  # day before the merger
    assert REG.match(jnim, D(2017, 3, 2), source="acled").id == "jnim"  # type: ignore[union-attr]
    assert REG.match("Barkhane", D(2022, 11, 9), source="acled").id == "french_forces"  # type: ignore[union-attr]
    assert REG.match("Barkhane", D(2022, 11, 10), source="acled") is None
    assert REG.match("Africa Corps", D(2023, 6, 1), source="acled") is None
    assert REG.match("Africa Corps", D(2024, 2, 1), source="acled").id == "wagner_africa_corps"  # type: ignore[union-attr]
    assert REG.match("MINUSMA", D(2024, 1, 1), source="acled") is None


def _actor(actor_id: str, alias: str, start: dt.date, end: dt.date) -> Actor:
    return Actor(actor_id, actor_id, "militia", (), dt.date(1, 1, 1), dt.date(9999, 12, 31),
                 (), (Alias(alias, None, "any", start, end),))  # fmt: skip


def test_ambiguous_aliases_are_refused_unless_periods_are_disjoint() -> None:
    with pytest.raises(ValueError, match="belongs to both"):
        build_registry([_actor("a", "Group X", D(2000, 1, 1), D(2010, 1, 1)),
                        _actor("b", "group  x", D(2009, 1, 1), D(2020, 1, 1))])  # fmt: skip
    reg = build_registry([_actor("a", "Group X", D(2000, 1, 1), D(2010, 1, 1)),
                          _actor("b", "Group X", D(2010, 1, 2), D(2020, 1, 1))])  # fmt: skip
    assert reg.match("group x", D(2015, 1, 1), source="acled").id == "b"  # type: ignore[union-attr]


def test_registry_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "bandit"\n')
    with pytest.raises(ValueError, match="type"):
        load_registry(bad)
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "rebel"\naffiliations = ["y"]\n')
    with pytest.raises(ValueError, match="unknown affiliation"):
        load_registry(bad)


def test_normalise_name() -> None:
    assert normalise_name("Dan Na  AMBASSAGOU") == normalise_name("dan na ambassagou")
    assert normalise_name("Défense") == "defense"


def test_unmatched_names_listed_never_merged(tmp_path: Path) -> None:
    con = open_store(":memory:")
    store_events(
        con,
        [
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNlM",
             "side_b_new_id": "900001", "date": "2019-05-01"},
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
             "side_b_new_id": "900002", "date": "2016-05-01"},
            {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
             "side_b_new_id": "900002", "date": "2019-05-01"},
        ],
        tmp_path,
    )  # fmt: skip
    out = unmatched_names(con).set_index("name")
    assert sorted(out.index) == ["JNIM", "JNlM"]
    assert out.loc["JNlM", "reason"] == "unknown name"
    assert out.loc["JNlM", "suggestions"].startswith("jnim (")  # a suggestion only
    assert out.loc["JNIM", "reason"] == "outside validity of jnim"
    assert out.loc["JNIM", "events"] == 1  # the 2019 event matched
