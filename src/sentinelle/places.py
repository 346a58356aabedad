"""What admin units are called, per country and level, and how a sentence names a place.

The one table of the kinds of admin unit Sentinelle knows (Mali: régions and cercles;
Burkina Faso: régions and provinces; Niger: régions and départements), read by the
alert wording (:mod:`sentinelle.alerts.wording`), the situation picture
(:mod:`sentinelle.actors.situation`) and the dashboard's map (:mod:`sentinelle.web`).
Words are catalogue messages (:func:`sentinelle.i18n.N_`), translated where shown.

In French a unit is named with the preposition and article an analyst writes: "région
de Mopti", "région de la Boucle du Mouhoun", "région du Sahel", "région d'Agadez"
(typographic apostrophe), "district de Bamako". Unit names are carried as the
boundary file or publisher writes them; only the kind word is translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sentinelle.i18n import N_, Lang, country_name, translator

__all__ = [
    "APOSTROPHE",
    "COUNTRY_KINDS",
    "DEFAULT_UNIT_WORDS",
    "KINDS",
    "UNIT_WORDS",
    "UnitKind",
    "french_of",
    "place_name",
    "unit_kind",
    "unit_phrase",
    "unit_plural",
]


@dataclass(frozen=True)
class UnitKind:
    """A kind of admin unit: its word, plural and the phrase naming one unit.

    ``phrase`` is None for kinds whose French names take articles Sentinelle does not
    know (Burkina Faso's provinces: "province du Kadiogo", "de la Gnagna"): such a
    unit is named alone ("Burkina Faso, Kadiogo").
    """

    key: str
    word: str
    plural: str
    phrase: str | None
    heading: str


# Each kind's word, plural, phrase naming one unit, and column heading.
KINDS: dict[str, UnitKind] = {
    "region": UnitKind("region", N_("region"), N_("regions"), N_("%(name)s region"), N_("Region")),
    "cercle": UnitKind("cercle", N_("cercle"), N_("cercles"), N_("%(name)s cercle"), N_("Cercle")),
    "province": UnitKind("province", N_("province"), N_("provinces"), None, N_("Province")),
    "department": UnitKind(
        "department",
        N_("department"),
        N_("departments"),
        N_("%(name)s department"),
        N_("Department"),
    ),
    "district": UnitKind(
        "district", N_("district"), N_("districts"), N_("%(name)s district"), N_("District")
    ),
}
# The kinds of a country's admin-1 and admin-2 units (ISO3), where Sentinelle knows them.
COUNTRY_KINDS: dict[str, tuple[str, str]] = {
    "MLI": ("region", "cercle"),
    "BFA": ("region", "province"),
    "NER": ("region", "department"),
}
# Units that are not of their country's usual kind.
_SPECIAL_KINDS = {("MLI", "Bamako"): "district"}

# The words of each country's units, (admin-1, admin-2), for tables and charts; other
# countries get DEFAULT_UNIT_WORDS.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    iso3: (KINDS[one].word, KINDS[two].word) for iso3, (one, two) in COUNTRY_KINDS.items()
}
DEFAULT_UNIT_WORDS = (KINDS["region"].word, KINDS["district"].word)
_GENERIC_PLURAL = N_("admin-%(level)s units")

# French articles of unit names that take one (Burkina Faso's regions, and the like);
# other names are town names, which take none ("région de Mopti").
_FRENCH_ARTICLES = {
    "Boucle du Mouhoun": "la", "Cascades": "les", "Centre": "le", "Centre-Est": "le",
    "Centre-Nord": "le", "Centre-Ouest": "le", "Centre-Sud": "le", "Est": "l'",
    "Hauts-Bassins": "les", "Nord": "le", "Plateau-Central": "le", "Sahel": "le",
    "Sud-Ouest": "le", "Ouest": "l'", "Sud": "le",
}  # fmt: skip
APOSTROPHE = "\u2019"  # French typography's apostrophe
# Kind words publishers append to unit names (UCDP GED: "Mopti region").
_KIND_SUFFIX = re.compile(
    r"\s+(region|région|province|cercle|department|département|district|prefecture|state)$",
    re.IGNORECASE,
)


def unit_kind(iso3: str | None, level: int, name: str | None = None) -> UnitKind | None:
    """The kind of ``iso3``'s units of ``level`` (1 or 2), or of the unit ``name``
    where it is special (Bamako, a district); None where Sentinelle does not know it.

    Examples
    --------
    >>> unit_kind("MLI", 2).key, unit_kind("MLI", 1, "Bamako").key, unit_kind("NGA", 1)
    ('cercle', 'district', None)
    """
    iso3 = iso3 or ""
    special = _SPECIAL_KINDS.get((iso3, name)) if name else None
    if special:
        return KINDS[special]
    kinds = COUNTRY_KINDS.get(iso3)
    return KINDS[kinds[level - 1]] if kinds and level in (1, 2) else None


def unit_plural(iso3: str | None, level: int, lang: Lang) -> str:
    """What ``iso3``'s units of ``level`` are called, in ``lang`` ("cercles"), or the
    generic "admin-2 units".

    Examples
    --------
    >>> unit_plural("BFA", 2, "fr"), unit_plural("NGA", 2, "en")
    ('provinces', 'admin-2 units')
    """
    t = translator(lang)
    kind = unit_kind(iso3, level)
    if kind is not None:
        return t.gettext(kind.plural)
    return t.gettext(_GENERIC_PLURAL) % {"level": level}


def french_of(name: str) -> str:
    """``de`` and the article before a unit name: "de Mopti", "de la Boucle du Mouhoun",
    "du Sahel", "des Cascades", "de l'Est", "d'Agadez" (the apostrophe is the typographic
    one, U+2019, as in the rest of the French catalogue).

    Examples
    --------
    >>> [french_of(n) for n in ("Mopti", "Boucle du Mouhoun", "Sahel")]
    ['de Mopti', 'de la Boucle du Mouhoun', 'du Sahel']
    >>> french_of("Agadez") == "d" + APOSTROPHE + "Agadez"
    True
    """
    article = _FRENCH_ARTICLES.get(name)
    if article == "le":
        return f"du {name}"
    if article == "les":
        return f"des {name}"
    if article == "la":
        return f"de la {name}"
    if article == "l'":
        return f"de l{APOSTROPHE}{name}"
    return f"d{APOSTROPHE}{name}" if name[:1].lower() in "aeiouyéèêâîôûh" else f"de {name}"


def unit_phrase(iso3: str, level: int, raw: str, lang: Lang) -> str:
    """One unit named with its kind: "cercle de Bandiagara" / "Bandiagara cercle";
    the name alone where the kind is unknown or takes unknown articles.

    Examples
    --------
    >>> unit_phrase("MLI", 2, "Bandiagara", "fr"), unit_phrase("BFA", 1, "Sahel", "fr")
    ('cercle de Bandiagara', 'région du Sahel')
    >>> unit_phrase("BFA", 2, "Kadiogo", "fr"), unit_phrase("MLI", 1, "Mopti region", "en")
    ('Kadiogo', 'Mopti region')
    """
    name = _KIND_SUFFIX.sub("", raw.strip())
    kind = unit_kind(iso3, level, name)
    if kind is None or kind.phrase is None:
        return name
    return translator(lang).gettext(kind.phrase) % {
        "name": french_of(name) if lang == "fr" else name
    }


def place_name(unit_type: str, unit_id: str, lang: Lang) -> str:
    """Where an alert is, in words: "Mali, région de Mopti" / "Mali, Mopti region".

    ``unit_id`` is an alert's: ``ISO3``, ``ISO3/admin1``, ``ISO3/admin1/admin2``, or
    ``actor@ISO3/admin1`` (the actor's id is left out). Unknown shapes are returned as
    they are.

    Examples
    --------
    >>> place_name("admin1", "BFA/Boucle du Mouhoun", "fr")
    'Burkina Faso, région de la Boucle du Mouhoun'
    >>> place_name("admin2", "MLI/Ségou/Niono", "en")
    'Mali, Ségou region, Niono cercle'
    """
    where = unit_id.rpartition("@")[2] if unit_type.startswith("actor") else unit_id
    iso3, *admin = where.split("/")
    if not re.fullmatch(r"[A-Z]{3}", iso3):
        return unit_id
    parts = [country_name(iso3, lang)]
    for level, raw in enumerate(admin[:2], start=1):
        if raw and raw not in ("None", "nan"):
            parts.append(unit_phrase(iso3, level, raw, lang))
    return ", ".join(parts)
