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
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from sentinelle.errors import UsageError

ActorType = Literal["state", "rebel", "jihadist", "militia", "foreign", "peacekeeping", "civilians"]
ACTOR_TYPES: frozenset[str] = frozenset(ActorType.__args__)  # type: ignore[attr-defined]
System = Literal["ucdp", "acled", "any"]

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
class Actor:
    """A canonical actor of the registry."""

    id: str
    name: str
    type: ActorType
    affiliations: tuple[str, ...]
    valid_from: dt.date
    valid_to: dt.date
    sources: tuple[str, ...]
    aliases: tuple[Alias, ...] = field(repr=False)


@dataclass(frozen=True)
class Registry:
    """Canonical actors indexed for exact matching (see the module docstring)."""

    actors: dict[str, Actor]
    _by_name: dict[str, list[tuple[Actor, Alias]]] = field(repr=False)
    _by_ucdp_id: dict[str, list[tuple[Actor, Alias]]] = field(repr=False)

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
    )


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
    by_name: dict[str, list[tuple[Actor, Alias]]] = {}
    by_ucdp: dict[str, list[tuple[Actor, Alias]]] = {}
    for actor in actors:
        if actor.id in by_id:
            raise UsageError(f"registry: duplicate actor id {actor.id!r}")
        by_id[actor.id] = actor
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
    return Registry(by_id, by_name, by_ucdp)


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
