"""Country codes: ISO3 ↔ Gleditsch-Ward ↔ VIEWS country_id ↔ ISO numeric ↔ name.

The reference table is the public VIEWS country key, shipped as the package data file
``countries.csv`` (its header says where each code comes from). Code systems:

``views_id``
    VIEWS ``country_id``, the unit of VIEWS country-month (cm) data; unique.
``gwcode``
    Gleditsch-Ward code as VIEWS codes it. UCDP GED's ``country_id`` is a GW code,
    so it is the key to join UCDP data on (names are a fallback).
``iso3``, ``isonum``
    ISO 3166-1 alpha-3 and numeric codes.
``name``
    VIEWS's short English name (as an output); any common spelling as an input,
    see :func:`iso3_from_name`.

The VIEWS key also lists historical entities (USSR, Yugoslavia, the two Yemens, ...)
and re-issued ids, so one GW or ISO code can match several rows (GW 365 matches
Russia and nine USSR rows). Every lookup by a code other than ``views_id`` resolves
in this order:

1. GW 345 is read as Serbia (GW 340 in the VIEWS key): UCDP codes today's Serbia
   345, continuing Yugoslavia's code (GED country "Serbia (Yugoslavia)"), while the
   VIEWS key keeps 345 for the historical Yugoslavia and Serbia-and-Montenegro rows.
2. Rows of the 191 *current* countries (those in the VIEWS cm actuals) win; among
   them each GW, ISO3 and ISO numeric code is unique.
3. Otherwise the historical rows are used if they agree on the requested code
   (``'SUN'`` -> GW 365); if they disagree (``'SUN'`` -> nine VIEWS ids) the
   lookup raises ``KeyError`` listing the candidates.

Unknown codes raise ``KeyError`` too. Output GW codes are VIEWS's: ``'SRB'`` gives 340.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Literal, overload

import pandas as pd

CodeSystem = Literal["views_id", "gwcode", "iso3", "isonum", "name"]
IntCode = Literal["views_id", "gwcode", "isonum"]
StrCode = Literal["iso3", "name"]
_INT_SYSTEMS = frozenset({"views_id", "gwcode", "isonum"})

# See rule 1 of the module docstring.
_GW_ALIASES = {345: 340}

# Spellings used by UCDP (and ACLED, Geo-PKO) that are in neither the VIEWS name nor the ISO name
# column, keyed by their normalised form (see _normalise_name).
_NAME_ALIASES = {
    "dr congo": "COD",  # UCDP "DR Congo (Zaire)"
    "democratic republic of congo": "COD",  # ACLED
    "republic of congo": "COG",  # ACLED
    "ivory coast": "CIV",  # UCDP, Geo-PKO
    "drc": "COD",  # Geo-PKO
    "bosnia herzegovina": "BIH",  # UCDP "Bosnia-Herzegovina"
    "kingdom of eswatini": "SWZ",  # UCDP "Kingdom of eSwatini (Swaziland)"
    "eswatini": "SWZ",  # ACLED
    "north macedonia": "MKD",  # UCDP, since 2019
    "united states of america": "USA",  # UCDP
    "south yemen": "YMD",  # UCDP
    "czechia": "CZE",
    "turkiye": "TUR",
    "cabo verde": "CPV",
    "east timor": "TLS",
}


@cache
def _table() -> pd.DataFrame:
    """The packaged reference table, read once (callers get copies or scalars)."""
    source = resources.files("sentinelle.geo").joinpath("countries.csv")
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(
            handle, comment="#", keep_default_na=False, na_values=[""], dtype={"isonum": "Int64"}
        )
    return table.astype({"in_africa": bool, "in_middle_east": bool, "current": bool})


def country_table() -> pd.DataFrame:
    """The country reference table.

    Returns
    -------
    pandas.DataFrame
        One row per VIEWS country id (220 rows) with columns ``views_id``, ``name``,
        ``gwcode``, ``iso3``, ``isonum`` (nullable), ``iso_name``, ``in_africa``,
        ``in_middle_east`` and ``current`` (in the VIEWS cm actuals). A copy: edit
        it freely.
    """
    return _table().copy()


def current_gw_iso3() -> dict[int, str]:
    """Gleditsch-Ward code -> ISO3 of current countries (unique there).

    UCDP stores only the GW code of an event's country; this is the map the event
    tables fall back on when an ISO3 is missing.

    Examples
    --------
    >>> current_gw_iso3()[432]
    'MLI'
    """
    table = _table()
    current = table[table["current"] & table["gwcode"].notna() & table["iso3"].notna()]
    return dict(zip(current["gwcode"].astype(int), current["iso3"].astype(str), strict=True))


def _normalise_name(name: str) -> str:
    """Lower-case words without accents or punctuation: "Côte d'Ivoire" -> 'cote d ivoire'."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("&", " and "))
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", letters).strip()


@cache
def _name_index() -> dict[str, str]:
    """Normalised country name -> ISO3, from both name columns plus ``_NAME_ALIASES``."""
    table = _table()
    index: dict[str, str] = {}
    # Current countries go last so that they win if a name is shared with a historical row.
    for _, row in table.sort_values("current", kind="stable").iterrows():
        for column in ("name", "iso_name"):
            index[_normalise_name(str(row[column]))] = str(row["iso3"])
    index.update(_NAME_ALIASES)
    return index


def iso3_from_name(name: str) -> str:
    """ISO3 code of a country name, tolerant of UCDP's and ACLED's spellings.

    Parameters
    ----------
    name : str
        Country name in any case, with or without accents and punctuation. UCDP's
        "Present (Former)" names resolve through the present name, then the former:
        "Russia (Soviet Union)" -> RUS, "DR Congo (Zaire)" -> COD,
        "Kingdom of eSwatini (Swaziland)" -> SWZ.

    Returns
    -------
    str
        ISO 3166-1 alpha-3 code (XKX for Kosovo).

    Raises
    ------
    KeyError
        If no form of the name is known. For UCDP data, prefer the GW code
        (GED ``country_id``) with :func:`convert_code`.
    """
    index = _name_index()
    present, _, former = name.partition("(")
    for candidate in (name, present, former.rstrip(") ")):
        key = _normalise_name(candidate)
        if key in index:
            return index[key]
    raise KeyError(
        f"unknown country name {name!r}; join UCDP data on the GW code (GED country_id) instead"
    )


def _matching_rows(value: object, source: CodeSystem) -> pd.DataFrame:
    """Rows of the reference table that ``value`` designates, resolved as in the module doc."""
    table = _table()
    if source == "name":
        key: object = iso3_from_name(str(value))
        column = "iso3"
    elif source == "iso3":
        key, column = str(value).strip().upper(), "iso3"
    else:
        # Codes read from files with missing values arrive as floats (432.0).
        try:
            number = float(str(value))
        except ValueError:
            number = float("nan")
        if not number.is_integer():
            raise KeyError(f"unknown {source} {value!r}")
        key, column = int(number), source
        if source == "gwcode":
            key = _GW_ALIASES.get(int(number), int(number))
    rows = table[table[column] == key]
    if rows.empty:
        raise KeyError(f"unknown {source} {value!r}")
    current = rows[rows["current"]]
    return current if not current.empty else rows


@overload
def convert_code(value: object, source: CodeSystem, target: IntCode) -> int: ...
@overload
def convert_code(value: object, source: CodeSystem, target: StrCode) -> str: ...
@overload
def convert_code(value: object, source: CodeSystem, target: CodeSystem) -> int | str: ...
def convert_code(value: object, source: CodeSystem, target: CodeSystem) -> int | str:
    """Translate one country code from one system to another.

    Parameters
    ----------
    value : int or str
        The code: an integer (or whole float) for ``views_id``/``gwcode``/``isonum``,
        a string for ``iso3`` (any case) or ``name`` (see :func:`iso3_from_name`).
    source, target : {'views_id', 'gwcode', 'iso3', 'isonum', 'name'}
        Code systems; see the module docstring for how duplicates are resolved.

    Returns
    -------
    int or str
        ``int`` for ``views_id``, ``gwcode`` and ``isonum``; ``str`` for ``iso3``
        and ``name``. E.g. ``convert_code(432, 'gwcode', 'iso3') == 'MLI'``.

    Raises
    ------
    KeyError
        If the code is unknown, ambiguous (historical rows that disagree), or the
        country has no code in ``target`` (Kosovo has no ISO numeric code).
    """
    rows = _matching_rows(value, source)
    found = rows[target].dropna().unique()
    if len(found) == 0:
        raise KeyError(f"{source} {value!r} ({rows['name'].iloc[0]}) has no {target} code")
    if len(found) > 1:
        candidates = ", ".join(f"{r.name} (views_id {r.views_id})" for r in rows.itertuples())
        raise KeyError(
            f"{source} {value!r} is ambiguous: no current country has it and the historical "
            f"rows disagree on {target}: {candidates}"
        )
    return int(found[0]) if target in _INT_SYSTEMS else str(found[0])


def map_codes(
    values: pd.Series,
    source: CodeSystem,
    target: CodeSystem,
    errors: Literal["raise", "coerce"] = "raise",
) -> pd.Series:
    """Translate a Series of country codes (vectorised :func:`convert_code`).

    Parameters
    ----------
    values : pandas.Series
        Codes in the ``source`` system. Missing values stay missing.
    source, target : {'views_id', 'gwcode', 'iso3', 'isonum', 'name'}
        Code systems, as in :func:`convert_code`.
    errors : {'raise', 'coerce'}, default 'raise'
        Whether codes :func:`convert_code` rejects raise ``KeyError`` (listing up to
        five of them) or become missing.

    Returns
    -------
    pandas.Series
        Same index as ``values``; dtype ``Int64`` for integer targets, ``string``
        otherwise.

    Raises
    ------
    KeyError
        With ``errors='raise'``, if any code is unknown or ambiguous.
    """
    lookup: dict[object, object] = {}
    problems: list[str] = []
    # Each distinct code is resolved once; panels repeat the same few hundred codes.
    for value in values.dropna().unique().tolist():
        try:
            lookup[value] = convert_code(value, source, target)
        except KeyError as exc:
            problems.append(str(exc.args[0]))
            lookup[value] = pd.NA
    if problems and errors == "raise":
        shown = "; ".join(problems[:5])
        raise KeyError(f"{len(problems)} {source} code(s) cannot be mapped to {target}: {shown}")
    return values.map(lookup).astype("Int64" if target in _INT_SYSTEMS else "string")
