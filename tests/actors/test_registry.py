"""Actor matching: aliases, UCDP ids, validity dates, ambiguity, unknown names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sentinelle.actors import load_registry, normalise_name, unmatched_names
from sentinelle.actors.registry import (
    ACTOR_TYPES,
    Actor,
    Alias,
    actor_type_label,
    build_registry,
    display_name,
    is_target,
    localise_actors,
    name_source,
    short_name,
)
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


_NAMES = "".join(
    f'names.{lang}.{part} = "{lang} {part}"\n'
    for lang in ("en", "fr")
    for part in ("display", "short", "source")
)


def test_registry_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "bandit"\n')
    with pytest.raises(ValueError, match="type"):
        load_registry(bad)
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "rebel"\naffiliations = ["y"]\n'
                   + _NAMES)  # fmt: skip
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


# --- names a reader sees (issue 16) --------------------------------------------------

SAHEL_IDS = ("jnim", "is_sahel", "mali_forces", "wagner_africa_corps", "cma",
             "dan_na_ambassagou", "dozo_mali", "koglweogo", "vdp", "burkina_forces",
             "niger_forces", "minusma", "french_forces", "civilians")  # fmt: skip


def _citation_keys() -> set[str]:
    """Citation keys the registry file defines in its header (``#   KEY   ...``)."""
    from importlib import resources

    text = resources.files("sentinelle.actors").joinpath("data/registry.toml").read_text("utf-8")
    head = text.split("\n[[actor]]\n", 1)[0]
    return {line.split()[1] for line in head.splitlines() if line.startswith("#   ")}


def test_every_actor_has_names_in_both_languages_each_with_a_cited_source() -> None:
    keys = _citation_keys()
    assert {"UCDP-22.1", "ACLED-LOC", "FTVI-2019", "HRW-2024-05"} <= keys
    for actor in REG.actors.values():
        for lang in ("en", "fr"):
            name = actor.names[lang]
            assert name.display.strip() and name.short.strip(), (actor.id, lang)
            assert len(name.short) <= 24, (actor.id, name.short)  # fits a chart label
            cited = {k for k in keys if k in name.source}
            assert cited, f"{actor.id}.{lang}: source {name.source!r} cites no known key"


@pytest.mark.parametrize(
    ("actor_id", "fr_short", "en_short"),
    [
        ("mali_forces", "FAMa", "FAMa"),
        ("jnim", "JNIM", "JNIM"),
        ("is_sahel", "EIGS", "IS Sahel"),
        ("civilians", "Civils", "Civilians"),
        ("wagner_africa_corps", "Wagner / Africa Corps", "Wagner / Africa Corps"),
        ("cma", "CMA / CSP", "CMA / CSP"),
        ("dan_na_ambassagou", "Dan Na Ambassagou", "Dan Na Ambassagou"),
        ("dozo_mali", "Dozos", "Dozos"),
        ("koglweogo", "Koglweogo", "Koglweogo"),
        ("vdp", "VDP", "VDP"),
        ("fulani_militia", "Milice peule", "Fulani militia"),
    ],
)
def test_short_names_of_the_main_sahel_actors(actor_id: str, fr_short: str, en_short: str) -> None:
    assert short_name(actor_id, "fr") == fr_short
    assert short_name(actor_id, "en") == en_short
    # The canonical name (tables' key) finds the same actor.
    assert short_name(REG.actors[actor_id].name, "fr") == fr_short


def test_display_names_in_french_are_those_an_analyst_writes() -> None:
    assert display_name("mali_forces", "fr") == "Forces armées maliennes (FAMa)"
    assert display_name("is_sahel", "fr").startswith("État islamique au Sahel")
    assert "EIGS" in display_name("is_sahel", "fr")
    assert display_name("jnim", "fr").startswith("Groupe de soutien à l'islam et aux musulmans")
    assert (
        display_name("burkina_forces", "fr") == "Forces de défense et de sécurité burkinabè (FDS)"
    )
    assert display_name("civilians", "fr") == "Civils"
    for actor_id in SAHEL_IDS:  # every main actor has a French name of its own
        assert display_name(actor_id, "fr") != REG.actors[actor_id].name or actor_id in (
            "koglweogo", "dan_na_ambassagou")  # fmt: skip
    assert "Mouvement national pour la libération de l'Azawad" in display_name("mnla", "fr")
    assert "UCDP-22.1" in name_source("mnla", "fr")  # UCDP's own French name


def test_unknown_names_are_shown_as_published() -> None:
    assert display_name("Some Local Group (Mali)", "fr") == "Some Local Group (Mali)"
    assert short_name("Some Local Group (Mali)", "en") == "Some Local Group (Mali)"
    assert display_name(None, "fr") == "" and name_source("nope", "fr") == ""


def test_acled_generic_actors_are_typed_not_unmatched() -> None:
    on = D(2019, 6, 1)
    for name, actor_id, kind in [
        ("Unidentified Armed Group (Mali)", "unidentified_armed_group", "unidentified"),
        ("Fulani Ethnic Militia (Mali)", "fulani_militia", "militia"),
        ("Dogon Ethnic Militia (Mali)", "dogon_militia", "militia"),
        ("Protesters (Burkina Faso)", "protesters", "protesters"),
        ("JNIM: Group for Support of Islam and Muslims and/or Islamic State (Greater Sahara)",
         "jnim_or_is_sahel", "jihadist"),
        ("Police Forces of Mali (2012-2013)", "mali_forces", "state"),
    ]:  # fmt: skip
        actor = REG.match(name, on, source="acled")
        assert actor is not None and (actor.id, actor.type) == (actor_id, kind), name
    assert display_name("unidentified_armed_group", "fr") == "Groupe armé non identifié"


def test_civilians_are_targets() -> None:
    assert REG.actors["civilians"].is_target and is_target("Civilians") and is_target("civilians")
    assert not any(is_target(a) for a in SAHEL_IDS if a != "civilians")
    assert not is_target("Some Local Group (Mali)")


def test_actor_type_labels_say_what_a_type_is() -> None:
    assert actor_type_label("unidentified", "fr") == "groupe armé non identifié"
    assert actor_type_label("civilians", "fr") == "civils"
    unknown = actor_type_label(None, "fr")
    assert unknown == actor_type_label("unmatched", "fr") == actor_type_label(float("nan"), "fr")  # type: ignore[arg-type]
    assert "registre" in unknown and unknown != "non répertorié"
    assert all(actor_type_label(t, "fr") != actor_type_label(t, "en") for t in ACTOR_TYPES)


def test_localise_actors_renames_actor_and_type_columns() -> None:
    pairs = pd.DataFrame({
        "actor_1": ["Civilians", "Jama'at Nusrat al-Islam wal-Muslimin (JNIM)"],
        "actor_2": ["Islamic State Sahel Province (ISGS / IS Sahel)", "Group X (Mali)"],
        "type_1": ["civilians", "jihadist"], "type_2": ["jihadist", "unmatched"],
        "events": [3, 1],
    })  # fmt: skip
    short = localise_actors(pairs, "fr", short=True, types=True)
    assert short["actor_1"].tolist() == ["Civils", "JNIM"]
    assert short["actor_2"].tolist() == ["EIGS", "Group X (Mali)"]
    assert short["type_2"].tolist()[0] == "groupe armé jihadiste"
    assert pairs["actor_1"].tolist()[0] == "Civilians"  # a copy: keys left alone
    activity = pd.DataFrame({"actor": ["Malian defence and security forces (FAMa)", None],
                             "actor_id": ["mali_forces", None]})  # fmt: skip
    assert localise_actors(activity, "fr")["actor"].tolist() == [
        "Forces armées maliennes (FAMa)",
        None,
    ]


def test_names_are_required_with_their_source(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "rebel"\n'
                   + _NAMES.replace('names.fr.source = "fr source"\n', ""))  # fmt: skip
    with pytest.raises(ValueError, match=r"names\.fr lacks source"):
        load_registry(bad)
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "rebel"\n')
    with pytest.raises(ValueError, match="no names"):
        load_registry(bad)
    bad.write_text('[[actor]]\nid = "x"\nname = "X"\ntype = "rebel"\n' + _NAMES
                   + '[[actor]]\nid = "y"\nname = "X"\ntype = "rebel"\n' + _NAMES)  # fmt: skip
    with pytest.raises(ValueError, match="share the name"):
        load_registry(bad)
