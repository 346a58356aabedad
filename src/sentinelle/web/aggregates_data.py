"""The map's reads of subnational aggregates: choropleth values, months, unit polygons, bases.

ACLED's HDX workbooks are stored as unit-month aggregates keyed by OCHA P-codes
(``admin_aggregates``, read through :mod:`sentinelle.store.aggregates`). The map draws
them as a choropleth of the slider's month over the polygons of the boundary files
named by the ``admin_boundaries`` setting (``SENTINELLE_ADMIN_BOUNDARIES``, a JSON
list, or ``admin_boundaries = [...]`` in ``sentinelle.toml``; ``sentinelle serve
--admin-boundaries FILE``): any file :func:`sentinelle.geo.read_admin` reads with a
P-code id field, at level 2 or, failing that, 1. Polygons are simplified
(:data:`SIMPLIFY_DEGREES`) and kept in memory per file version, so the map downloads
about 100 kB for Mali's 53 cercles instead of 740 kB.

Bases are a mission's sites from :func:`sentinelle.impact.timeline.base_timeline`
(Geo-PKO refined by the curated closure table), with their status at a month, the
unit holding them (point in polygon) and what the closure table's sources say
happened to the site; nothing is added that the table does not say.

Place names (:func:`place_labels`) come only from data the map already holds: the
countries of the outlines (named from CLDR in the page's language), the admin-1 and
admin-2 units of the boundary files and the stored aggregates (placed at a point inside
their polygons), and the towns where the deployments put a base (Geo-PKO's location
names and coordinates). No coordinate is made up.

Subnational forecasts (:func:`unit_forecast`) are the latest stored ``admin1``/``admin2``
run of a country and source (``sentinelle forecast --unit admin2 --source acled-hdx
--country MLI``), summarised per unit for one month, with the run's origin and how far
the aggregates behind it go.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from sentinelle.errors import NoDataError, SentinelleError
from sentinelle.geo import country_table, month_id_from_str, month_string
from sentinelle.i18n import N_, Lang, country_name
from sentinelle.places import unit_phrase, unit_plural
from sentinelle.sources.closures import closure_wording
from sentinelle.store.aggregates import aggregate_coverage, current_aggregates
from sentinelle.store.currency import currency_line as currency_line_of
from sentinelle.store.currency import data_currency, source_label
from sentinelle.web.messages import Message, NotStored, Said, country, word

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_SERIES",
    "DEFAULT_SOURCE",
    "SIMPLIFY_DEGREES",
    "aggregate_countries",
    "aggregate_months",
    "bases_at",
    "choropleth_values",
    "currency_line",
    "has_unit_forecast",
    "place_labels",
    "read_units",
    "unit_forecast",
    "units_geojson",
]

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "acled-hdx"
DEFAULT_SERIES = "political_violence"
# Simplification tolerance of the unit polygons, in degrees (~500 m): borders stay
# recognisable at country zoom, and Mali's cercles weigh ~100 kB instead of ~740 kB.
SIMPLIFY_DEGREES = 0.005
# Coordinates are written with this many decimals (~10 m).
_DECIMALS = 4
# Series of the aggregates in words (a series without its words is named by its code).
_SERIES_WORDS = {
    "political_violence": N_("political violence"),
    "civilian_targeting": N_("attacks on civilians"),
}


def _source(source: str) -> Message:
    """A stored source as a placeholder value: its name in the reader's language."""
    return word(source_label(source))


def _series(series: str) -> Message | str:
    return word(_SERIES_WORDS[series]) if series in _SERIES_WORDS else series


# ----------------------------------------------------------------------------- coverage


def aggregate_countries(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Countries with stored aggregates: ISO3, name, first and last month ('YYYY-MM'),
    and the number of units of their finest level.

    Ordered by units, most first, then ISO3; every source, series and level counted.
    """
    frame = aggregate_coverage(con)
    if frame.empty:
        return []
    names = country_table().drop_duplicates("iso3").set_index("iso3")["name"]
    out = []
    for iso3, rows in frame.groupby("iso3", sort=True):
        out.append(
            {
                "iso3": str(iso3),
                "name": str(names.get(iso3, iso3)),
                "first_month": month_string(int(rows["first_month"].min())),
                "last_month": month_string(int(rows["last_month"].max())),
                "units": int(rows.sort_values("admin_level")["units"].iloc[-1]),
            }
        )
    return sorted(out, key=lambda c: (-c["units"], c["iso3"]))


def _finest_level(con: duckdb.DuckDBPyConnection, iso3: str, source: str) -> int | None:
    frame = aggregate_coverage(con, source=source, iso3=iso3)
    return None if frame.empty else int(frame["admin_level"].max())


def aggregate_months(
    con: duckdb.DuckDBPyConnection,
    iso3: str,
    level: int | None = None,
    series: str | None = None,
    source: str = DEFAULT_SOURCE,
) -> dict[str, Any]:
    """The months a country's aggregates cover, per series, at one admin level.

    Parameters
    ----------
    level : int, optional
        1 or 2; the finest level stored for the country when omitted.
    series : str, optional
        One series; the country's default (``political_violence`` when stored, else
        the first) when omitted. ``series_available`` lists every one.

    Returns
    -------
    dict
        ``country, source, level, series, series_available, first_month, last_month``
        (``'YYYY-MM'``), ``first_month_id``, ``last_month_id``, ``units`` and
        ``as_of`` (the latest version stored, ISO date or None).

    Raises
    ------
    NoDataError
        If the store holds no such aggregates (the message says what to ingest).
    """
    level = level if level is not None else _finest_level(con, iso3, source)
    frame = (
        aggregate_coverage(con, source=source, iso3=iso3, level=level)
        if level is not None
        else pd.DataFrame()
    )
    named = {"source": _source(source), "country": country(iso3), "code": source}
    if frame.empty and level is None:
        raise NotStored(
            N_(
                "no %(source)s aggregates of %(country)s in the store: ingest ACLED's HDX "
                "workbook (`sentinelle ingest %(code)s FILE` or `sentinelle fetch %(code)s "
                "--country NAME`)"
            ),
            **named,
        )
    if frame.empty:
        raise NotStored(
            N_(
                "no %(source)s aggregates of %(country)s at admin level %(level)s in the store: "
                "ingest ACLED's HDX workbook (`sentinelle ingest %(code)s FILE` or "
                "`sentinelle fetch %(code)s --country NAME`)"
            ),
            level=level,
            **named,
        )
    available = sorted(str(s) for s in frame["series"])
    if series is None:
        series = DEFAULT_SERIES if DEFAULT_SERIES in available else available[0]
    row = frame[frame["series"] == series]
    if row.empty:
        raise NotStored(
            N_(
                "no %(source)s series '%(series)s' for %(country)s at admin level %(level)s; "
                "stored: %(stored)s"
            ),
            source=_source(source),
            series=series,
            country=country(iso3),
            level=level,
            stored=", ".join(available),
        )
    first, last = int(row["first_month"].iloc[0]), int(row["last_month"].iloc[0])
    as_of = row["as_of"].iloc[0]
    return {
        "country": iso3,
        "source": source,
        "level": int(level),  # type: ignore[arg-type]  # not None once rows were found
        "series": series,
        "series_available": available,
        "first_month": month_string(first),
        "last_month": month_string(last),
        "first_month_id": first,
        "last_month_id": last,
        "units": int(row["units"].iloc[0]),
        "as_of": None if pd.isna(as_of) else pd.Timestamp(as_of).date().isoformat(),
    }


def choropleth_values(
    con: duckdb.DuckDBPyConnection,
    iso3: str,
    month: str,
    level: int | None = None,
    series: str | None = None,
    source: str = DEFAULT_SOURCE,
) -> dict[str, Any]:
    """Current events and fatalities of every unit of a country in one month.

    Returns
    -------
    dict
        The keys of :func:`aggregate_months`, plus ``month``, ``month_id`` and
        ``values``: ``[{pcode, name, admin1_name, events, fatalities}]`` by P-code.

    Raises
    ------
    NoDataError
        If the aggregates do not cover ``month`` (the message gives the months they
        cover) or none are stored.
    """
    months = aggregate_months(con, iso3, level, series, source)
    wanted = month_id_from_str(month)
    if not months["first_month_id"] <= wanted <= months["last_month_id"]:
        raise NotStored(
            N_(
                "%(source)s aggregates (%(series)s) of %(country)s cover %(first)s to %(last)s, "
                "not %(month)s"
            ),
            source=_source(source),
            series=_series(months["series"]),
            country=country(iso3),
            first=months["first_month"],
            last=months["last_month"],
            month=month,
        )
    frame = current_aggregates(
        con, source=source, series=months["series"], iso3=iso3, level=months["level"]
    )
    frame = frame[frame["month_id"] == wanted]
    values = [
        {
            "pcode": str(r["pcode"]),
            "name": _text(r["name"]),
            "admin1_name": _text(r["admin1_name"]),
            "events": int(r["events"]),
            "fatalities": int(r["fatalities"]),
        }
        for r in frame.to_dict("records")
    ]
    return {**months, "month": month, "month_id": wanted, "values": values}


def currency_line(con: duckdb.DuckDBPyConnection, iso3: str, lang: Lang = "en") -> str:
    """How far each source the map shows goes for ``iso3``, in words (events, aggregates,
    deployments): ``ACLED to December 2020; ACLED (HDX) to December 2024; Geo-PKO to
    2024`` (:func:`sentinelle.store.currency.currency_line`)."""
    spans = data_currency(con, country=iso3, kinds=("events", "aggregates", "deployments"))
    return currency_line_of(spans, lang) if spans else ""


# -------------------------------------------------------------------------------- units


def _read_one(path: Path) -> gpd.GeoDataFrame:
    """Units of one boundary file: ``level, pcode, unit_name, parent_pcode, parent_name,
    geometry`` (the parent unit's code and name where the file has them, else None).

    Read at admin level 2, else 1 (the level whose P-code field the file has).
    """
    from sentinelle.geo import read_admin

    errors = []
    for level in (2, 1):
        try:
            units = read_admin(path, level)
        except SentinelleError as exc:
            errors.append(str(exc))
            continue
        parent = {f"admin{level - 1}_id": "parent_pcode", f"admin{level - 1}_name": "parent_name"}
        units = units.rename(
            columns={f"admin{level}_id": "pcode", f"admin{level}_name": "unit_name", **parent}
        ).assign(level=level)
        for column in parent.values():
            if column not in units.columns:
                units[column] = None
        return units[["level", "pcode", "unit_name", *parent.values(), "geometry"]]
    raise NoDataError(f"{path}: not an admin-1 or admin-2 boundary file ({'; '.join(errors)})")


@lru_cache(maxsize=8)
def _read_cached(path: str, version: tuple[int, int]) -> gpd.GeoDataFrame:
    import shapely

    units = _read_one(Path(path))
    simple = shapely.set_precision(
        units.geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True).to_numpy(),
        10.0**-_DECIMALS,
    )
    return units.set_geometry(simple)


def read_units(paths: Sequence[Path]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The simplified units of every boundary file, and one message per unreadable file.

    Each file is read once per version (size and modification time).
    """
    import geopandas as gpd

    frames, problems = [], []
    for path in paths:
        try:
            info = os.stat(path)
            frames.append(_read_cached(str(path), (info.st_size, info.st_mtime_ns)))
        except (OSError, SentinelleError) as exc:
            problems.append(f"{path}: {exc}" if isinstance(exc, OSError) else str(exc))
            log.warning("admin boundaries skipped: %s", problems[-1])
    if not frames:
        columns = ("level", "pcode", "unit_name", "parent_pcode", "parent_name")
        empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
        return empty, problems
    units = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(units, geometry="geometry", crs="EPSG:4326"), problems


def units_geojson(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    iso3: str,
    level: int | None = None,
    source: str = DEFAULT_SOURCE,
) -> bytes:
    """The polygons of a country's aggregate units as GeoJSON (the choropleth's shapes).

    A unit is the country's when its P-code is among the country's stored aggregates
    at ``level`` (the finest stored when omitted). Properties: ``pcode``, ``name``,
    ``level``. The collection carries ``country``, ``level``, ``missing`` (P-codes with
    aggregates but no polygon) and ``problems`` (boundary files that could not be read).
    """
    level = level if level is not None else _finest_level(con, iso3, source)
    codes = {
        str(c)
        for (c,) in con.execute(
            "SELECT DISTINCT pcode FROM admin_aggregates WHERE iso3 = ? AND admin_level = ? "
            "AND source = ?",
            [iso3, level, source],
        ).fetchall()
    }
    units, problems = read_units(paths)
    mine = units[(units["level"] == level) & units["pcode"].isin(codes)]
    mine = mine.drop_duplicates("pcode")
    features = [
        {
            "type": "Feature",
            "geometry": geometry.__geo_interface__,
            "properties": {"pcode": pcode, "name": name, "level": int(lvl)},
        }
        for pcode, name, lvl, geometry in zip(
            mine["pcode"], mine["unit_name"], mine["level"], mine.geometry, strict=True
        )
    ]
    body = {
        "type": "FeatureCollection",
        "country": iso3,
        "level": level,
        "missing": sorted(codes - set(mine["pcode"])),
        "problems": problems,
        "features": features,
    }
    return json.dumps(body, separators=(",", ":")).encode()


# -------------------------------------------------------------------------------- bases


def bases_at(
    con: duckdb.DuckDBPyConnection,
    mission: str,
    month: str | None = None,
    paths: Sequence[Path] = (),
    lang: Lang = "en",
) -> list[dict[str, Any]]:
    """A mission's bases, each with its status at ``month`` and the unit it lies in.

    Status is 'not_open_yet' before the base's first month, 'closed' from the first
    full month without it (``closed_from``, the month after the closure date), else
    'open'. ``event`` and ``taken_over_by`` are the closure table's words in ``lang``
    (:func:`~sentinelle.sources.closures.closure_wording`; None where it says
    nothing); ``pcode``/``unit_name`` the admin unit of the boundary files holding
    the base (None without boundaries).

    Raises
    ------
    NoDataError
        If the store has no deployments of ``mission``.
    """
    from sentinelle.geo import assign_admin
    from sentinelle.impact.timeline import DEFAULT_SOURCE as DEPLOYMENTS
    from sentinelle.impact.timeline import base_timeline, load_closures

    sources = [
        s for (s,) in con.execute(
            "SELECT DISTINCT source FROM deployments WHERE mission = ? ORDER BY source", [mission]
        ).fetchall()
    ]  # fmt: skip
    if not sources:
        raise NotStored(N_("no deployments of mission '%(mission)s' in the store"), mission=mission)
    source = DEPLOYMENTS if DEPLOYMENTS in sources else sources[0]
    closures = load_closures()
    timeline = base_timeline(con, mission, source=source, closures=closures)
    curated = closures[closures["mission"] == mission]
    by_site = {
        str(site).casefold(): row
        for site, row in zip(curated["geopko_location"], curated.to_dict("records"), strict=True)
    }
    units, _ = read_units(paths)
    units = units[units["level"] == units["level"].max()] if len(units) else units
    timeline = timeline.reset_index(drop=True)
    inside = (
        assign_admin(timeline["latitude"], timeline["longitude"], units.reset_index(drop=True))
        if len(units)
        else None
    )
    at = month_id_from_str(month) if month else None
    out = []
    for i, row in enumerate(timeline.to_dict("records")):
        opened = int(row["open_month"])
        closed = None if pd.isna(row["cohort_month"]) else int(row["cohort_month"])
        fact = by_site.get(str(row["base"]).casefold(), {})
        status = None
        if at is not None:
            status = (
                "not_open_yet" if at < opened else "closed" if closed and at >= closed else "open"
            )
        unit = inside.iloc[i] if inside is not None else None
        out.append(
            {
                "mission": mission,
                "base": str(row["base"]),
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "open_month": month_string(opened),
                "open_month_id": opened,
                "closed_from": None if closed is None else month_string(closed),
                "closed_from_id": closed,
                "closure_date": None
                if pd.isna(row["closure_date"])
                else pd.Timestamp(row["closure_date"]).date(),
                "date_precision": None
                if pd.isna(row["date_precision"])
                else str(row["date_precision"]),
                "event": closure_wording(fact.get("event"), lang, "event"),
                "taken_over_by": closure_wording(fact.get("taken_over_by"), lang, "taken_over_by"),
                "citation": _text(row["citation"]),
                "deployment_source": source,
                "pcode": None if unit is None else _text(unit["pcode"]),
                "unit_name": None if unit is None else _text(unit["unit_name"]),
                "status_at": status,
            }
        )
    return out


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


# ------------------------------------------------------------------------------- labels

# How far around a country its neighbours are named (degrees).
_NEIGHBOUR_MARGIN = 3.0


def _point(geometry: Any) -> tuple[float, float]:
    """A point inside ``geometry`` (latitude, longitude), rounded like the polygons."""
    point = geometry.representative_point()
    return round(float(point.y), _DECIMALS), round(float(point.x), _DECIMALS)


def _town_name(location: str, lang: Lang) -> str:
    """A deployment location as a town label: "Tombouctou (Timbuktu)" is Geo-PKO's
    French name with the English one in brackets, shown as the page's language reads it.

    Examples
    --------
    >>> _town_name("Tombouctou (Timbuktu)", "en"), _town_name("Tombouctou (Timbuktu)", "fr")
    ('Timbuktu', 'Tombouctou')
    >>> _town_name("Gao", "en")
    'Gao'
    """
    head, bracket, rest = location.partition(" (")
    if not bracket or not rest.endswith(")"):
        return location.strip()
    return (rest[:-1] if lang == "en" else head).strip()


def place_labels(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    iso3: str,
    outlines: gpd.GeoDataFrame | None,
    lang: Lang = "en",
    source: str = DEFAULT_SOURCE,
) -> dict[str, Any]:
    """The names the map writes on a country: countries, admin-1 and admin-2 units, towns.

    Returns
    -------
    dict
        ``country``, ``level`` (finest aggregate level, None without aggregates) and
        ``labels``: ``[{kind, name, place, pcode, latitude, longitude}]`` where ``kind``
        is ``country``, ``admin1``, ``admin2`` or ``town``; ``name`` is the label and
        ``place`` the unit named in a sentence, in ``lang`` ("cercle de Bandiagara").
        Countries are ``iso3`` and its neighbours (CLDR names), placed inside the part
        of their outline near ``iso3``; units are those of the stored aggregates that
        have a polygon in the boundary files, admin-1 units placed inside the union of
        their admin-2 units; towns are the deployments' locations inside ``iso3``.
    """
    import shapely

    labels: list[dict[str, Any]] = []
    shape = None
    if outlines is not None and len(outlines):
        mine = outlines[outlines["iso3"] == iso3]
        if len(mine):
            shape = mine.geometry.union_all()
            west, south, east, north = shape.bounds
            box = shapely.box(
                west - _NEIGHBOUR_MARGIN, south - _NEIGHBOUR_MARGIN,
                east + _NEIGHBOUR_MARGIN, north + _NEIGHBOUR_MARGIN,
            )  # fmt: skip
            near = outlines[outlines.intersects(box) & outlines["iso3"].notna()]
            for code, rows in near.groupby("iso3", sort=True):
                part = rows.geometry.union_all().intersection(box)
                if part.is_empty:
                    continue
                lat, lon = _point(part)
                name = country_name(str(code), lang)
                labels.append(_label("country", name, name, str(code), lat, lon))
    level = _finest_level(con, iso3, source)
    if level is not None:
        labels += _unit_labels(con, paths, iso3, level, lang, source)
    if shape is not None:
        labels += _town_labels(con, shape, lang)
    return {"country": iso3, "level": level, "labels": labels}


def _label(
    kind: str, name: str, place: str, pcode: str | None, lat: float, lon: float
) -> dict[str, Any]:
    return {"kind": kind, "name": name, "place": place, "pcode": pcode,
            "latitude": lat, "longitude": lon}  # fmt: skip


def _unit_labels(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    iso3: str,
    level: int,
    lang: Lang,
    source: str,
) -> list[dict[str, Any]]:
    """Labels of the admin-1 and (at level 2) admin-2 units with a polygon."""
    stored = con.execute(
        "SELECT pcode, any_value(name) AS name, any_value(admin1_pcode) AS admin1_pcode, "
        "any_value(admin1_name) AS admin1_name FROM admin_aggregates "
        "WHERE iso3 = ? AND admin_level = ? AND source = ? GROUP BY pcode ORDER BY pcode",
        [iso3, level, source],
    ).df()
    units, _ = read_units(paths)
    mine = units[(units["level"] == level) & units["pcode"].isin(set(stored["pcode"]))]
    mine = mine.drop_duplicates("pcode").merge(stored, on="pcode", how="left")
    out = []
    if level == 1:
        for pcode, name, geometry in zip(
            mine["pcode"], mine["unit_name"], mine.geometry, strict=True
        ):
            lat, lon = _point(geometry)
            text = _text(name) or str(pcode)
            out.append(_label("admin1", text, unit_phrase(iso3, 1, text, lang), pcode, lat, lon))
        return out
    # Regions: the boundary file's parent code and name, else the aggregates'.
    mine = mine.assign(
        region_pcode=mine["parent_pcode"].where(mine["parent_pcode"].notna(), mine["admin1_pcode"]),
        region_name=mine["parent_name"].where(mine["parent_name"].notna(), mine["admin1_name"]),
    )
    grouped = mine[mine["region_pcode"].notna()].groupby("region_pcode", sort=True)
    for code, rows in grouped:
        names = rows["region_name"].dropna()
        name = _text(names.iloc[0] if len(names) else None) or str(code)
        lat, lon = _point(rows.geometry.union_all())
        out.append(_label("admin1", name, unit_phrase(iso3, 1, name, lang), str(code), lat, lon))
    for pcode, own, stored_name, geometry in zip(
        mine["pcode"], mine["unit_name"], mine["name"], mine.geometry, strict=True
    ):
        text = _text(own) or _text(stored_name) or str(pcode)
        lat, lon = _point(geometry)
        out.append(_label("admin2", text, unit_phrase(iso3, 2, text, lang), pcode, lat, lon))
    return out


def _town_labels(con: duckdb.DuckDBPyConnection, shape: Any, lang: Lang) -> list[dict[str, Any]]:
    """The deployments' locations inside ``shape``, one label per location name, the
    sites that held the most troops first (they claim room on the map first).

    A coarse outline takes in sites across a border (Tingréla, Côte d'Ivoire, inside
    Natural Earth's low-resolution Mali): sites whose ``country`` differs from the one
    most sites inside the outline carry are left out.
    """
    import shapely

    sites = con.execute(
        "SELECT location, mode(country) AS country, median(latitude) AS lat, "
        "median(longitude) AS lon, coalesce(max(troops), 0) AS troops FROM deployments "
        "WHERE location IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL "
        "GROUP BY location ORDER BY troops DESC, location"
    ).df()
    if sites.empty:
        return []
    sites = sites[shapely.contains_xy(shape, sites["lon"].to_numpy(), sites["lat"].to_numpy())]
    named = sites["country"].dropna()
    if len(named):
        usual = named.mode().iloc[0]
        sites = sites[sites["country"].isna() | (sites["country"] == usual)]
    out = []
    for location, lat, lon in zip(sites["location"], sites["lat"], sites["lon"], strict=True):
        name = _town_name(str(location), lang)
        out.append(
            _label("town", name, name, None, round(float(lat), _DECIMALS),
                   round(float(lon), _DECIMALS))
        )  # fmt: skip
    return out


# ---------------------------------------------------------------------------- forecasts

_UNIT_LEVELS = {"admin1": 1, "admin2": 2}
_RUN_OF = (
    "FROM forecast_runs WHERE unit = ? AND json_extract_string(meta, '$.countries') = ? "
    "AND json_extract_string(meta, '$.source') = ?"
)


def has_unit_forecast(
    con: duckdb.DuckDBPyConnection, iso3: str, unit: str, source: str = DEFAULT_SOURCE
) -> bool:
    """Whether a forecast of ``iso3``'s ``unit`` units made from ``source`` is stored."""
    return con.execute(f"SELECT count(*) {_RUN_OF}", [unit, iso3, source]).fetchone() != (0,)


def unit_forecast(
    con: duckdb.DuckDBPyConnection,
    iso3: str,
    unit: str = "admin2",
    source: str = DEFAULT_SOURCE,
    month: str | None = None,
    threshold: float = 25,
    lang: Lang = "en",
) -> dict[str, Any]:
    """The latest stored forecast of ``iso3``'s admin units, summarised per unit for a month.

    The run is the latest (origin, then newest) of ``unit`` whose meta says it was made
    from ``source`` for ``iso3`` alone.

    Parameters
    ----------
    month : str, optional
        ``'YYYY-MM'`` among the run's months; the first (the month after the origin)
        when omitted.

    Returns
    -------
    dict
        ``country, unit, level, source, run`` (provenance, ``origin_month``), ``month``,
        ``months`` (every month the run forecasts), ``threshold``, ``data_last_month``
        and ``as_of`` (how far the aggregates go, the publisher's version),
        ``currency`` (the same in words, ``lang``) and ``rows``: ``[{pcode, name,
        admin1_name, place, mean, median, q05, q25, q75, q95, p_exceed}]``.

    Raises
    ------
    NoDataError
        If no such run is stored (the message gives the command), or ``month`` is not
        one it forecasts.
    """
    from sentinelle.forecast.store import forecast_summary
    from sentinelle.store import records

    level = _UNIT_LEVELS[unit]
    found = records(
        con.execute(
            f"SELECT * {_RUN_OF} ORDER BY origin DESC, created_at DESC, run_id DESC LIMIT 1",
            [unit, iso3, source],
        )
    )
    units = Said(lambda lang: unit_plural(iso3, level, lang))
    if not found:
        raise NotStored(
            N_(
                "no forecast of the %(units)s of %(country)s made from %(source)s in the store: "
                "run `sentinelle forecast --unit %(unit)s --source %(code)s --country %(iso3)s`"
            ),
            units=units,
            country=country(iso3),
            source=_source(source),
            unit=unit,
            code=source,
            iso3=iso3,
        )
    run = found[0]
    first, last = int(run["first_month"]), int(run["last_month"])
    wanted = month_id_from_str(month) if month else first
    if not first <= wanted <= last:
        raise NotStored(
            N_(
                "the forecast of the %(units)s of %(country)s (run %(run)s) covers %(first)s "
                "to %(last)s, not %(month)s"
            ),
            units=units,
            country=country(iso3),
            run=int(run["run_id"]),
            first=month_string(first),
            last=month_string(last),
            month=month,
        )
    summary = forecast_summary(con, int(run["run_id"]), threshold=threshold)
    summary = summary[summary["month_id"] == wanted]
    regions = dict(
        con.execute(
            "SELECT pcode, any_value(admin1_name) FROM admin_aggregates WHERE iso3 = ? "
            "AND admin_level = ? AND source = ? GROUP BY pcode",
            [iso3, level, source],
        ).fetchall()
    )
    rows = []
    for r in summary.to_dict("records"):
        pcode = _text(r.get("unit_code")) or str(int(r["unit_id"]))
        name = _text(r.get("unit_name"))
        rows.append(
            {
                "pcode": pcode,
                "name": name,
                "admin1_name": _text(regions.get(pcode)),
                "place": unit_phrase(iso3, level, name, lang) if name else pcode,
                **{k: float(r[k]) for k in ("mean", "median", "q05", "q25", "q75", "q95")},
                "p_exceed": float(r["p_exceed"]),
            }
        )
    spans = data_currency(con, country=iso3, kinds=("aggregates",), sources=[source])
    spans = [s for s in spans if s.level == level] or spans
    data_last = max((s.last_month for s in spans), default=None)
    as_of = max((s.as_of for s in spans if s.as_of is not None), default=None)
    return {
        "country": iso3,
        "unit": unit,
        "level": level,
        "source": source,
        "run": {
            "run_id": int(run["run_id"]),
            "model": str(run["model"]),
            "target": str(run["target"]),
            "origin": int(run["origin"]),
            "origin_month": month_string(int(run["origin"])),
            "n_draws": int(run["n_draws"]),
            "data_version": str(run["data_version"]),
            "created_at": run.get("created_at"),
        },
        "month": month_string(wanted),
        "months": [month_string(m) for m in range(first, last + 1)],
        "threshold": threshold,
        "data_last_month": None if data_last is None else month_string(data_last),
        "as_of": None if as_of is None else as_of.isoformat(),
        "currency": currency_line_of(spans, lang) if spans else "",
        "rows": rows,
    }
