"""The actor registry: one canonical actor per armed group or force, across sources.

The registry is the data file ``actors/data/registry.toml`` (editable, each row cited).
Matching a side name of an event onto a canonical actor is explicit and exact:

1. Names are normalised: Unicode NFKD with diacritics removed, case-folded, runs of
   whitespace collapsed and the ends stripped (``"Dan na  Ambassagou"`` = ``"DAN NA
   AMBASSAGOU"``, ``"défense"`` = ``"defense"``). Nothing else: no fuzzy matching, no
   stripping of parenthesised years.
2. A UCDP side (source ``ged`` or ``ged_candidate``) is matched by its UCDP actor id
   when the registry knows the id; otherwise, and for ACLED, by its normalised name.
   An alias applies to the systems it names (``ucdp``, ``acled`` or ``any``).
3. The event date must lie within both the alias's and the actor's validity dates
   (inclusive); a known name outside them is not matched.
4. Whatever is not matched is listed by :func:`unmatched_names` for review, with
   similarity-ranked *suggestions* that are never applied automatically.

The registry refuses to load if two actors claim the same alias (or UCDP id) in
overlapping validity periods, so a match is never ambiguous.

Names a reader sees
-------------------
Each actor has a display name and a short name per language (``names.en``,
``names.fr`` in the data file), each with the source it comes from: French readers see
*FAMa*, *EIGS*, *Milice peule*, *Civils*. :func:`display_name` and :func:`short_name`
give them for an actor, an actor id or a canonical name; a name the registry does not
know is shown as the source published it. :func:`localise_actors` renames the actor
columns of a table, :func:`actor_type_label` says what a type is in words. Civilians
are the *targets* of violence (:func:`is_target`): tables rank armed actors without
them and list them apart.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from sentinelle.errors import UsageError
from sentinelle.i18n import LANGS, N_, Lang, translator

ActorType = Literal[
    "state",
    "rebel",
    "jihadist",
    "militia",
    "foreign",
    "peacekeeping",
    "unidentified",
    "protesters",
    "rioters",
    "civilians",
]
ACTOR_TYPES: frozenset[str] = frozenset(ActorType.__args__)  # type: ignore[attr-defined]
System = Literal["ucdp", "acled", "any"]
# Types whose actors are the targets of violence, not parties ranked beside armed groups.
TARGET_TYPES: frozenset[str] = frozenset({"civilians"})
# What each type is, in words (translated through the catalogue); ``UNMATCHED_TYPE``
# is the type tables give a published name the registry does not know.
UNMATCHED_TYPE = "unmatched"
ACTOR_TYPE_LABELS: dict[str, str] = {
    "state": N_("state forces"),
    "rebel": N_("rebel group"),
    "jihadist": N_("jihadist armed group"),
    "militia": N_("militia"),
    "foreign": N_("foreign forces"),
    "peacekeeping": N_("peacekeepers"),
    "unidentified": N_("unidentified armed group"),
    "protesters": N_("protesters"),
    "rioters": N_("rioters"),
    "civilians": N_("civilians"),
    UNMATCHED_TYPE: N_("type unknown (name not in the actor registry)"),
}

# Event sources whose side ids are UCDP actor ids.
UCDP_SOURCES = frozenset({"ged", "ged_candidate"})

_FAR_PAST = dt.date(1, 1, 1)
_FAR_FUTURE = dt.date(9999, 12, 31)
_SPACES = re.compile(r"\s+")

# The side-to-actor matches that :func:`register_sides` joins onto events.
_MATCHES_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("source", "name", "id", "actor_id", "actor_name", "actor_type")]
    + [("valid_from", pa.date32()), ("valid_to", pa.date32())]
)


def normalise_name(name: str) -> str:
    """Normalised form of an actor name used for exact matching.

    Examples
    --------
    >>> normalise_name("  Volontaires pour la  Défense ")
    'volontaires pour la defense'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


@dataclass(frozen=True)
class Alias:
    """One name or UCDP id under which a canonical actor appears in a source."""

    name: str | None
    ucdp_id: str | None
    system: System
    valid_from: dt.date
    valid_to: dt.date

    def applies_to(self, source: str) -> bool:
        """Whether this alias may match a side from event source ``source``."""
        if self.system == "any":
            return True
        return (self.system == "ucdp") == (source in UCDP_SOURCES)


@dataclass(frozen=True)
class ActorName:
    """How an actor is named in one language, and where that name comes from."""

    display: str
    short: str
    source: str


@dataclass(frozen=True)
class Actor:
    """A canonical actor of the registry.

    ``name`` is the canonical (English) name, the key of tables; ``names`` the names a
    reader sees, per language (see :func:`display_name`).
    """

    id: str
    name: str
    type: ActorType
    affiliations: tuple[str, ...]
    valid_from: dt.date
    valid_to: dt.date
    sources: tuple[str, ...]
    aliases: tuple[Alias, ...] = field(repr=False)
    names: dict[str, ActorName] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_target(self) -> bool:
        """Whether the actor is a target of violence (civilians), not an armed party."""
        return self.type in TARGET_TYPES


@dataclass(frozen=True)
class Registry:
    """Canonical actors indexed for exact matching (see the module docstring)."""

    actors: dict[str, Actor]
    _by_name: dict[str, list[tuple[Actor, Alias]]] = field(repr=False)
    _by_ucdp_id: dict[str, list[tuple[Actor, Alias]]] = field(repr=False)
    _by_canonical: dict[str, Actor] = field(default_factory=dict, repr=False)

    def find(self, key: str | None) -> Actor | None:
        """The actor of an id or a canonical name (as in tables' ``actor``), or None."""
        if key is None:
            return None
        return self.actors.get(key) or self._by_canonical.get(key)

    def match(
        self,
        name: str | None,
        on: dt.date,
        *,
        source: str,
        ucdp_id: str | None = None,
    ) -> Actor | None:
        """The canonical actor of a side named ``name`` on date ``on``, or None.

        Parameters
        ----------
        name : str or None
            The side name as published.
        on : datetime.date
            Event date; must lie in the alias's and the actor's validity.
        source : str
            Event source (``'ged'``, ``'ged_candidate'``, ``'acled'``...).
        ucdp_id : str, optional
            UCDP actor id of the side (UCDP sources only); takes precedence when known.

        Examples
        --------
        >>> reg = load_registry()
        >>> reg.match("JNIM: Group for Support of Islam and Muslims", dt.date(2019, 5, 1),
        ...           source="acled").id
        'jnim'
        >>> reg.match("JNIM", dt.date(2016, 5, 1), source="ged") is None  # before the merger
        True
        """
        for actor, alias in self.candidates(name, source=source, ucdp_id=ucdp_id):
            if _within(on, alias.valid_from, alias.valid_to) and _within(
                on, actor.valid_from, actor.valid_to
            ):
                return actor
        return None

    def candidates(
        self, name: str | None, *, source: str, ucdp_id: str | None = None
    ) -> list[tuple[Actor, Alias]]:
        """Aliases matching a side regardless of dates (UCDP id first, else name)."""
        if ucdp_id is not None and source in UCDP_SOURCES:
            by_id = [p for p in self._by_ucdp_id.get(str(ucdp_id), []) if p[1].applies_to(source)]
            if by_id:
                return by_id
        if name is None:
            return []
        return [p for p in self._by_name.get(normalise_name(name), []) if p[1].applies_to(source)]

    def suggest(self, name: str, *, limit: int = 3, cutoff: float = 0.6) -> list[tuple[str, float]]:
        """Canonical actor ids whose aliases resemble ``name``, with a 0-1 similarity.

        These are suggestions for a reviewer, never applied by :meth:`match`.
        """
        key = normalise_name(name)
        best: dict[str, float] = {}
        for alias_key, pairs in self._by_name.items():
            score = difflib.SequenceMatcher(None, key, alias_key).ratio()
            if score >= cutoff:
                for actor, _ in pairs:
                    best[actor.id] = max(best.get(actor.id, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(actor_id, round(score, 2)) for actor_id, score in ranked[:limit]]

    def frame(self) -> pd.DataFrame:
        """The canonical actors as a table (id, name, type, affiliations, validity)."""
        return pd.DataFrame(
            [
                {
                    "actor_id": a.id,
                    "name": a.name,
                    "type": a.type,
                    "affiliations": ";".join(a.affiliations),
                    "valid_from": a.valid_from,
                    "valid_to": a.valid_to,
                    **{
                        f"{part}_{lang}": getattr(a.names[lang], part) if lang in a.names else ""
                        for lang in LANGS
                        for part in ("display", "short", "source")
                    },
                }
                for a in self.actors.values()
            ]
        )


def _within(on: dt.date, start: dt.date, end: dt.date) -> bool:
    return start <= on <= end


def _date(value: Any, default: dt.date, where: str) -> dt.date:
    if value is None:
        return default
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise UsageError(f"{where}: dates must be TOML dates (YYYY-MM-DD), got {value!r}")


def _parse_actor(raw: dict[str, Any]) -> Actor:
    actor_id = raw.get("id")
    if not actor_id or not raw.get("name"):
        raise UsageError(f"registry actor without id or name: {raw}")
    if raw.get("type") not in ACTOR_TYPES:
        raise UsageError(f"actor {actor_id}: type {raw.get('type')!r} not in {sorted(ACTOR_TYPES)}")
    aliases = []
    for item in raw.get("aliases", []):
        if item.get("name") is None and item.get("ucdp_id") is None:
            raise UsageError(f"actor {actor_id}: alias without name or ucdp_id: {item}")
        system = item.get("system", "any")
        if system not in ("ucdp", "acled", "any"):
            raise UsageError(f"actor {actor_id}: alias system {system!r} unknown")
        where = f"actor {actor_id} alias {item.get('name') or item.get('ucdp_id')}"
        aliases.append(
            Alias(
                name=item.get("name"),
                ucdp_id=None if item.get("ucdp_id") is None else str(item["ucdp_id"]),
                system=system,
                valid_from=_date(item.get("valid_from"), _FAR_PAST, where),
                valid_to=_date(item.get("valid_to"), _FAR_FUTURE, where),
            )
        )
    return Actor(
        id=actor_id,
        name=raw["name"],
        type=raw["type"],
        affiliations=tuple(raw.get("affiliations", [])),
        valid_from=_date(raw.get("valid_from"), _FAR_PAST, f"actor {actor_id}"),
        valid_to=_date(raw.get("valid_to"), _FAR_FUTURE, f"actor {actor_id}"),
        sources=tuple(raw.get("sources", [])),
        aliases=tuple(aliases),
        names=_parse_names(actor_id, raw.get("names")),
    )


def _parse_names(actor_id: str, raw: Any) -> dict[str, ActorName]:
    """``names.<lang>.display/short/source`` of an actor: every language, every part."""
    if not isinstance(raw, dict):
        raise UsageError(f"actor {actor_id}: no names (names.en and names.fr, each with "
                         "display, short and source)")  # fmt: skip
    names: dict[str, ActorName] = {}
    for lang in LANGS:
        entry = raw.get(lang)
        missing = [
            part
            for part in ("display", "short", "source")
            if not isinstance(entry, dict) or not str(entry.get(part) or "").strip()
        ]
        if missing:
            raise UsageError(f"actor {actor_id}: names.{lang} lacks {', '.join(missing)}")
        assert isinstance(entry, dict)
        names[lang] = ActorName(str(entry["display"]), str(entry["short"]), str(entry["source"]))
    unknown = sorted(set(raw) - set(LANGS))
    if unknown:
        raise UsageError(f"actor {actor_id}: names in unknown language(s) {unknown}")
    return names


def _check_unambiguous(index: dict[str, list[tuple[Actor, Alias]]], what: str) -> None:
    """Refuse two actors sharing a key with overlapping validity in a common system."""
    for key, pairs in index.items():
        for i, (a1, x1) in enumerate(pairs):
            for a2, x2 in pairs[i + 1 :]:
                if a1.id == a2.id:
                    continue
                shared = x1.system == x2.system or "any" in (x1.system, x2.system)
                start = max(x1.valid_from, x2.valid_from, a1.valid_from, a2.valid_from)
                end = min(x1.valid_to, x2.valid_to, a1.valid_to, a2.valid_to)
                if shared and start <= end:
                    raise UsageError(
                        f"registry: {what} {key!r} belongs to both {a1.id} and {a2.id} "
                        f"from {start} to {end}"
                    )


def build_registry(actors: Iterable[Actor]) -> Registry:
    """Index and validate canonical actors (ids unique, affiliations known, no ambiguity)."""
    by_id: dict[str, Actor] = {}
    by_canonical: dict[str, Actor] = {}
    by_name: dict[str, list[tuple[Actor, Alias]]] = {}
    by_ucdp: dict[str, list[tuple[Actor, Alias]]] = {}
    for actor in actors:
        if actor.id in by_id:
            raise UsageError(f"registry: duplicate actor id {actor.id!r}")
        if actor.name in by_canonical:
            raise UsageError(
                f"registry: {actor.id} and {by_canonical[actor.name].id} share the name "
                f"{actor.name!r}"
            )
        by_id[actor.id] = actor
        by_canonical[actor.name] = actor
        for alias in actor.aliases:
            if alias.name is not None:
                by_name.setdefault(normalise_name(alias.name), []).append((actor, alias))
            if alias.ucdp_id is not None:
                by_ucdp.setdefault(alias.ucdp_id, []).append((actor, alias))
    for actor in by_id.values():
        unknown = [a for a in actor.affiliations if a not in by_id]
        if unknown:
            raise UsageError(f"actor {actor.id}: unknown affiliation(s) {unknown}")
    _check_unambiguous(by_name, "alias")
    _check_unambiguous(by_ucdp, "UCDP id")
    return Registry(by_id, by_name, by_ucdp, by_canonical)


@cache
def _shipped() -> Registry:
    return load_registry()


def _resolve(actor: Actor | str | None, registry: Registry | None) -> Actor | None:
    if actor is None or isinstance(actor, Actor):
        return actor
    return (registry or _shipped()).find(actor)


def display_name(actor: Actor | str | None, lang: Lang, registry: Registry | None = None) -> str:
    """The name a reader of ``lang`` sees for an actor, an actor id or a canonical name.

    A name the registry does not know (an unmatched side) is returned as published;
    None gives ``""``.

    Examples
    --------
    >>> display_name("mali_forces", "fr"), display_name("Civilians", "fr")
    ('Forces armées maliennes (FAMa)', 'Civils')
    >>> display_name("Some Local Group (Mali)", "fr")
    'Some Local Group (Mali)'
    """
    found = _resolve(actor, registry)
    if found is None:
        return "" if actor is None else str(actor)
    name = found.names.get(lang)
    return name.display if name else found.name


def short_name(actor: Actor | str | None, lang: Lang, registry: Registry | None = None) -> str:
    """The short name of an actor in ``lang`` (charts, narrow tables); see :func:`display_name`.

    Examples
    --------
    >>> short_name("is_sahel", "fr"), short_name("is_sahel", "en"), short_name("jnim", "fr")
    ('EIGS', 'IS Sahel', 'JNIM')
    """
    found = _resolve(actor, registry)
    if found is None:
        return "" if actor is None else str(actor)
    name = found.names.get(lang)
    return name.short if name else found.name


def name_source(actor: Actor | str | None, lang: Lang, registry: Registry | None = None) -> str:
    """Where the ``lang`` names of an actor come from (``""`` for an unknown name)."""
    found = _resolve(actor, registry)
    name = found.names.get(lang) if found else None
    return name.source if name else ""


def is_target(actor: Actor | str | None, registry: Registry | None = None) -> bool:
    """Whether an actor (or id, or canonical name) is a target of violence: civilians.

    Examples
    --------
    >>> is_target("civilians"), is_target("Civilians"), is_target("jnim")
    (True, True, False)
    """
    found = _resolve(actor, registry)
    return found is not None and found.is_target


def actor_type_label(actor_type: str | None, lang: Lang) -> str:
    """An actor type in words in ``lang``; None or NaN means a name outside the registry.

    Examples
    --------
    >>> actor_type_label("jihadist", "fr"), actor_type_label(None, "en")
    ('groupe armé jihadiste', 'type unknown (name not in the actor registry)')
    """
    key = actor_type if isinstance(actor_type, str) and actor_type in ACTOR_TYPE_LABELS else None
    return translator(lang).gettext(ACTOR_TYPE_LABELS[key or UNMATCHED_TYPE])


# Columns of activity and dyad tables that hold actor names or types.
ACTOR_COLUMNS = ("actor", "actor_1", "actor_2")
TYPE_COLUMNS = ("actor_type", "type_1", "type_2")


def localise_actors(
    frame: pd.DataFrame,
    lang: Lang,
    *,
    short: bool = False,
    types: bool = False,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` whose actor columns (``actor``, ``actor_1``, ``actor_2``) carry
    the names readers of ``lang`` see (short ones if ``short``) and, if ``types``, whose
    type columns carry the types in words. Published names the registry does not know
    are kept as published. Where a column ``actor_id`` is present it is used (exact);
    otherwise canonical names are looked up.

    Examples
    --------
    >>> frame = pd.DataFrame({"actor": ["Civilians", "X (Mali)"],
    ...                       "actor_type": ["civilians", None]})
    >>> localise_actors(frame, "fr", types=True)["actor"].tolist()
    ['Civils', 'X (Mali)']
    """
    registry = registry or _shipped()
    name = short_name if short else display_name
    out = frame.copy()
    for column in (c for c in ACTOR_COLUMNS if c in out.columns):
        keys = out["actor_id"] if column == "actor" and "actor_id" in out.columns else None
        values = out[column].tolist()
        ids = keys.tolist() if keys is not None else [None] * len(values)
        out[column] = [
            name(i if isinstance(i, str) else v, lang, registry) if isinstance(v, str) else v
            for v, i in zip(values, ids, strict=True)
        ]
    if types:
        for column in (c for c in TYPE_COLUMNS if c in out.columns):
            out[column] = [actor_type_label(v, lang) for v in out[column]]
    return out


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate a registry file (default: the one shipped with Sentinelle).

    Examples
    --------
    >>> reg = load_registry()
    >>> reg.actors["jnim"].type
    'jihadist'
    """
    if path is None:
        raw = resources.files("sentinelle.actors").joinpath("data/registry.toml").read_bytes()
    else:
        raw = Path(path).read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    return build_registry(_parse_actor(a) for a in data.get("actor", []))


def register_sides(con: duckdb.DuckDBPyConnection, registry: Registry) -> str:
    """Create temp table ``actor_sides``: one row per event side, matched to the registry.

    Columns: every ``events`` column an analysis needs (``source, source_event_id,
    date_start, latitude, longitude, country_iso3, country_gwno, admin1, admin2,
    violence_type, fatalities_best, civilian_deaths``) plus ``side`` ('a'/'b'),
    ``side_name``, ``side_id``, ``actor_id``, ``actor_name``, ``actor_type`` (NULL when
    unmatched) and ``actor`` (the canonical name, or the published name when unmatched).
    Withdrawn (``deleted``) events are left out. Returns the table name.

    Matching runs in Python once per distinct (source, name, id) and date validity is
    applied in SQL, so the cost does not grow with the number of events.
    """
    keys = con.execute(
        """
        SELECT DISTINCT source, side_a AS name, side_a_id AS id FROM events
        WHERE side_a IS NOT NULL AND NOT deleted
        UNION
        SELECT DISTINCT source, side_b, side_b_id FROM events
        WHERE side_b IS NOT NULL AND NOT deleted
        """
    ).fetchall()
    rows = []
    for source, name, side_id in keys:
        for actor, alias in registry.candidates(name, source=source, ucdp_id=side_id):
            rows.append(
                {
                    "source": source,
                    "name": name,
                    "id": side_id,
                    "actor_id": actor.id,
                    "actor_name": actor.name,
                    "actor_type": actor.type,
                    "valid_from": max(actor.valid_from, alias.valid_from),
                    "valid_to": min(actor.valid_to, alias.valid_to),
                }
            )
    # Typed, not inferred: with no match at all (a file of unknown names) an inferred
    # table would type its empty columns as integers, and every query comparing
    # ``actor_type`` with text would fail.
    con.register("_actor_matches", pa.Table.from_pylist(rows, schema=_MATCHES_SCHEMA))
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE actor_sides AS
            WITH sides AS (
                SELECT source, source_event_id, date_start, latitude, longitude, country_iso3,
                       country_gwno, admin1, admin2, violence_type, fatalities_best,
                       civilian_deaths, 'a' AS side, side_a AS side_name, side_a_id AS side_id
                FROM events WHERE side_a IS NOT NULL AND NOT deleted
                UNION ALL
                SELECT source, source_event_id, date_start, latitude, longitude, country_iso3,
                       country_gwno, admin1, admin2, violence_type, fatalities_best,
                       civilian_deaths, 'b', side_b, side_b_id
                FROM events WHERE side_b IS NOT NULL AND NOT deleted
            )
            SELECT s.*, m.actor_id, m.actor_name, m.actor_type,
                   coalesce(m.actor_name, s.side_name) AS actor
            FROM sides s
            LEFT JOIN _actor_matches m
              ON m.source = s.source AND m.name = s.side_name
             AND m.id IS NOT DISTINCT FROM s.side_id
             AND s.date_start BETWEEN m.valid_from AND m.valid_to
            -- one actor may match a side through two of its aliases: keep one row
            QUALIFY row_number() OVER (
                PARTITION BY s.source, s.source_event_id, s.side ORDER BY m.actor_id
            ) = 1
            """
        )
    finally:
        con.unregister("_actor_matches")
    return "actor_sides"


def unmatched_names(
    con: duckdb.DuckDBPyConnection, registry: Registry | None = None
) -> pd.DataFrame:
    """Side names of stored events that the registry does not match, for review.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store (see :func:`sentinelle.store.open_store`).
    registry : Registry, optional
        Defaults to the shipped registry.

    Returns
    -------
    pandas.DataFrame
        One row per (source, name, side_id) with ``events``, ``first_seen``,
        ``last_seen``, ``reason`` (``'unknown name'`` or ``'outside validity of
        <actor ids>'``) and ``suggestions`` (``'id (score)'``, never applied), sorted by
        number of events, most first.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> unmatched_names(open_store(":memory:")).empty
    True
    """
    registry = registry or load_registry()
    register_sides(con, registry)
    frame = con.execute(
        """
        SELECT source, side_name AS name, side_id, count(*) AS events,
               min(date_start) AS first_seen, max(date_start) AS last_seen
        FROM actor_sides WHERE actor_id IS NULL
        GROUP BY ALL ORDER BY events DESC, name
        """
    ).df()
    reasons, suggestions = [], []
    for row in frame.to_dict("records"):
        known = registry.candidates(row["name"], source=row["source"], ucdp_id=row["side_id"])
        ids = sorted({actor.id for actor, _ in known})
        reasons.append(f"outside validity of {', '.join(ids)}" if ids else "unknown name")
        suggestions.append(
            "; ".join(f"{i} ({s:.2f})" for i, s in registry.suggest(row["name"])) if not ids else ""
        )
    frame["reason"] = reasons
    frame["suggestions"] = suggestions
    return frame
