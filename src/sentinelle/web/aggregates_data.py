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
from sentinelle.i18n import Lang
from sentinelle.store.aggregates import aggregate_coverage, current_aggregates
from sentinelle.store.currency import currency_line as currency_line_of
from sentinelle.store.currency import data_currency, source_label

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
    "read_units",
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
    if frame.empty:
        raise NoDataError(
            f"no {source} aggregates of {iso3}"
            + (f" at admin level {level}" if level is not None else "")
            + f" in the store: ingest ACLED's HDX workbook (`sentinelle ingest {source} FILE`"
            f" or `sentinelle fetch {source} --country NAME`)"
        )
    available = sorted(str(s) for s in frame["series"])
    if series is None:
        series = DEFAULT_SERIES if DEFAULT_SERIES in available else available[0]
    row = frame[frame["series"] == series]
    if row.empty:
        raise NoDataError(
            f"no {source} series {series!r} for {iso3} at admin level {level}; "
            f"stored: {', '.join(available)}"
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
        label = source_label(source)
        raise NoDataError(
            f"{label} {months['series']} aggregates of {iso3} cover {months['first_month']} "
            f"to {months['last_month']}, not {month}"
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
    """Units of one boundary file: ``level, pcode, unit_name, geometry``.

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
        return units.rename(
            columns={f"admin{level}_id": "pcode", f"admin{level}_name": "unit_name"}
        ).assign(level=level)[["level", "pcode", "unit_name", "geometry"]]
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
        empty = gpd.GeoDataFrame(
            {"level": [], "pcode": [], "unit_name": []}, geometry=[], crs="EPSG:4326"
        )
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
) -> list[dict[str, Any]]:
    """A mission's bases, each with its status at ``month`` and the unit it lies in.

    Status is 'not_open_yet' before the base's first month, 'closed' from the first
    full month without it (``closed_from``, the month after the closure date), else
    'open'. ``event`` and ``taken_over_by`` are the closure table's words (None where
    it says nothing); ``pcode``/``unit_name`` the admin unit of the boundary files
    holding the base (None without boundaries).

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
        raise NoDataError(f"no deployments of mission {mission!r} in the store")
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
                "event": _text(fact.get("event")),
                "taken_over_by": _text(fact.get("taken_over_by")),
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
