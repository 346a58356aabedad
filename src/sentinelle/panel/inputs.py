"""Prepare a panel's input tables in the store's DuckDB connection.

Everything geometric or code-list based happens here, once, before any engine runs:
the unit universe and its static attributes, events placed in units and months,
neighbour lists, peacekeeping sites placed in units and their distances to unit
centres. An admin panel of aggregates may take its units from a gazetteer (a CSV of
P-codes, :func:`sentinelle.geo.admin.read_gazetteer`) where no polygons are at hand:
its units then have no neighbours (no spatial lags) and no peacekeeping features, since
no site can be placed in them. The resulting temp tables (``_units``, ``_months``, ``_unit_events``,
``_neighbours``, ``_pko_active``, ``_pko_dist``; schemas in
:mod:`sentinelle.panel.definitions`) are what both engines read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from sentinelle.errors import PanelError, UsageError
from sentinelle.geo.admin import WGS84, admin_neighbours, assign_admin, read_admin, read_gazetteer
from sentinelle.geo.boundaries import read_country_outlines
from sentinelle.geo.countries import convert_code, country_table, map_codes
from sentinelle.geo.months import month_string
from sentinelle.geo.priogrid import (
    N_COLS,
    N_ROWS,
    centroid,
    gid_from_latlon,
    gid_from_row_col,
    haversine_km,
    ring_pairs,
    row_col_from_gid,
)
from sentinelle.panel.definitions import EVENT_MODEL, FeatureSpec, OutcomeModel, aggregate_model
from sentinelle.sources.closures import load_closures
from sentinelle.store.aggregates import aggregate_coverage, current_aggregates
from sentinelle.store.queries import month_sql

Unit = Literal["cm", "pgm", "admin1", "admin2"]
Source = Literal["ged", "acled", "acled-hdx"]
UNITS: tuple[str, ...] = ("cm", "pgm", "admin1", "admin2")
EVENT_SOURCES = ("ged", "acled")
# Sources of unit-month aggregates (admin_aggregates): admin panels by P-code.
AGGREGATE_SOURCES = ("acled-hdx",)
INPUT_TABLES = (
    "_units",
    "_months",
    "_unit_events",
    "_unit_aggregates",
    "_neighbours",
    "_pko_active",
    "_pko_dist",
)

# PRIO-GRID cell of a point in SQL, as sentinelle.geo.priogrid.gid_from_latlon computes it.
GID_SQL = (
    "(LEAST(CAST(floor({lat} * 2) AS BIGINT) + 180, 359) * 720 "
    "+ LEAST(CAST(floor({lon} * 2) AS BIGINT) + 360, 719) + 1)"
)
# VIEWS month id of a date: 1 = January 1980 (sentinelle.geo.months.month_id).


@dataclass(frozen=True)
class PanelRequest:
    """Everything that defines a panel; stored as JSON in ``panels.params``.

    See :func:`sentinelle.panel.build_panel` for the meaning of each field.
    """

    unit: str
    first_month: int
    last_month: int
    source: str = "ged"
    countries: tuple[str, ...] | None = None
    cells: tuple[int, ...] | None = None
    boundaries: str | None = None
    country_shapes: str | None = None
    pko_sources: tuple[str, ...] | None = None
    features: FeatureSpec = field(default_factory=FeatureSpec)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise UsageError(f"unknown unit {self.unit!r}; choose from {UNITS}")
        if self.source not in (*EVENT_SOURCES, *AGGREGATE_SOURCES):
            known = (*EVENT_SOURCES, *AGGREGATE_SOURCES)
            raise UsageError(f"unknown source {self.source!r}; choose from {known}")
        if self.source in AGGREGATE_SOURCES and not self.unit.startswith("admin"):
            raise UsageError(f"{self.source} holds admin-unit aggregates: build admin1 or admin2")
        if self.last_month < self.first_month:
            raise UsageError(f"panel ends ({self.last_month}) before it starts")
        if self.unit.startswith("admin") and not self.boundaries:
            raise UsageError(f"a {self.unit} panel needs a boundary file (boundaries=)")
        if self.gazetteer and self.source not in AGGREGATE_SOURCES:
            raise UsageError(
                f"{self.boundaries} is a gazetteer (no polygons): events cannot be placed in "
                f"its units; use it with an aggregate source ({', '.join(AGGREGATE_SOURCES)})"
            )
        if self.unit == "pgm" and not (self.countries or self.cells):
            raise UsageError("a pgm panel needs countries or a cell list to define its cells")

    @property
    def level(self) -> int:
        """Administrative level of an admin panel."""
        return int(self.unit.removeprefix("admin"))

    @property
    def gazetteer(self) -> bool:
        """Whether the admin units come from a gazetteer (CSV, no polygons)."""
        return is_gazetteer(self.boundaries)

    def to_json(self) -> str:
        """The request as JSON (cell lists summarised by their count)."""
        params = asdict(self)
        if self.cells is not None:
            params["cells"] = f"{len(self.cells)} cells"
        return json.dumps(params, sort_keys=True)


@dataclass
class PreparedInputs:
    """What input preparation found, for the build report and the ``panels`` row."""

    history_start: int
    ged_last_month: int | None
    splag_orders: tuple[int, ...]
    static: tuple[str, ...]
    n_units: int
    events_used: int
    events_outside: int
    fatalities_outside: int
    outside_examples: list[tuple[float, float, int]]
    versions: dict[str, list[str]]
    ingest_ids: list[int]
    model: OutcomeModel = EVENT_MODEL
    # False for units without polygons (a gazetteer): no site can be placed in them.
    pko_placed: bool = True


def read_country_shapes(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Country polygons keyed by VIEWS ``country_id`` (column ``views_id``).

    Parameters
    ----------
    path : str or path-like, optional
        Any vector file with an ISO3 column (``ISO_A3``/``iso_a3``, falling back to
        ``ADM0_A3`` where ISO3 is ``-99``), e.g. Natural Earth admin-0. Defaults to
        :func:`sentinelle.geo.boundaries.default_boundaries`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``views_id``, ``iso3``, ``geometry`` (EPSG:4326), one row per country
        the VIEWS key knows (others dropped).
    """
    outlines = read_country_outlines(path)
    views = map_codes(outlines["iso3"], "iso3", "views_id", errors="coerce")
    shapes = gpd.GeoDataFrame(
        {"views_id": views, "iso3": outlines["iso3"]}, geometry=outlines.geometry, crs="EPSG:4326"
    )
    shapes = shapes[shapes["views_id"].notna()].dissolve(by="views_id", as_index=False)
    return shapes.astype({"views_id": "int64"})


def read_cells(path: str | Path) -> tuple[int, ...]:
    """PRIO-GRID cell ids from a JSON list (or ``{"gids": [...]}``) or a one-column text file."""
    text = Path(path).read_text()
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        loaded = [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(loaded, dict):
        loaded = next(iter(v for v in loaded.values() if isinstance(v, list)))
    return tuple(sorted({int(v) for v in loaded}))


def _country_ids(countries: Sequence[str]) -> list[int]:
    """VIEWS country ids of ISO3 codes."""
    return sorted({convert_code(c, "iso3", "views_id") for c in countries})


def _pgm_units(request: PanelRequest, shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Cells of the universe with their static attributes."""
    if request.cells is not None:
        gids = np.asarray(request.cells, dtype=np.int64)
    else:
        wanted = shapes[shapes["views_id"].isin(_country_ids(request.countries or ()))]
        if wanted.empty:
            raise PanelError(f"none of {request.countries} is in the country shapes")
        min_lon, min_lat, max_lon, max_lat = wanted.total_bounds
        rows = np.arange(int(np.floor(min_lat * 2)) + N_ROWS // 2, int(np.floor(max_lat * 2)) + 181)
        cols = np.arange(int(np.floor(min_lon * 2)) + N_COLS // 2, int(np.floor(max_lon * 2)) + 361)
        rr, cc = np.meshgrid(rows.clip(0, N_ROWS - 1), cols.clip(0, N_COLS - 1), indexing="ij")
        candidates = np.unique(gid_from_row_col(rr.ravel(), cc.ravel()))
        lat, lon = centroid(candidates)
        inside = assign_admin(lat, lon, wanted[["views_id", "geometry"]])["views_id"].notna()
        gids = candidates[inside.to_numpy()]
    lat, lon = centroid(gids)
    row, col = row_col_from_gid(gids)
    country = assign_admin(lat, lon, shapes[["views_id", "geometry"]])["views_id"]
    return pd.DataFrame(
        {
            "unit_id": gids,
            "pg_row": row.astype(np.int32),
            "pg_col": col.astype(np.int32),
            "unit_lat": lat,
            "unit_lon": lon,
            "country_id": country.astype("Int64"),
        }
    )


def _cm_units(request: PanelRequest, shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Countries of the universe with GW code and a representative point."""
    table = country_table()
    if request.countries:
        table = table[table["views_id"].isin(_country_ids(request.countries))]
    else:
        table = table[table["current"]]
    points = shapes.set_index("views_id").representative_point()
    return pd.DataFrame(
        {
            "unit_id": table["views_id"].astype(np.int64).to_numpy(),
            "gwcode": table["gwcode"].astype("Int64").to_numpy(),
            "unit_lat": table["views_id"].map(points.y).to_numpy(),
            "unit_lon": table["views_id"].map(points.x).to_numpy(),
        }
    )


def _admin_units(admin: gpd.GeoDataFrame, level: int) -> pd.DataFrame:
    """Admin units numbered 1.. in the order of their ids in the boundary file."""
    points = admin.representative_point()
    return pd.DataFrame(
        {
            "unit_id": np.arange(1, len(admin) + 1, dtype=np.int64),
            "unit_code": admin[f"admin{level}_id"].astype(str).to_numpy(),
            "unit_name": admin[f"admin{level}_name"].astype(str).to_numpy(),
            "unit_lat": points.y.to_numpy(),
            "unit_lon": points.x.to_numpy(),
        }
    )


def is_gazetteer(boundaries: str | Path | None) -> bool:
    """Whether ``boundaries`` is a gazetteer (a CSV list of P-codes) rather than polygons."""
    return boundaries is not None and Path(boundaries).suffix.lower() == ".csv"


def _read_admin_units(boundaries: str | Path, level: int) -> gpd.GeoDataFrame:
    """The boundary file's units sorted by id, with ``unit_id`` = position + 1.

    A gazetteer's units get their centroid as geometry when it gives one, else none.
    """
    if is_gazetteer(boundaries):
        table = read_gazetteer(boundaries, level)
        if {"latitude", "longitude"} <= set(table.columns):
            points = gpd.points_from_xy(table.pop("longitude"), table.pop("latitude"))
            geometry = gpd.GeoSeries(points, crs=WGS84)
        else:
            geometry = gpd.GeoSeries([None] * len(table), crs=WGS84)
        admin = gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=WGS84)
    else:
        admin = read_admin(str(boundaries), level)
    admin = admin.sort_values(f"admin{level}_id", ignore_index=True)
    admin["unit_id"] = np.arange(1, len(admin) + 1, dtype=np.int64)
    return admin


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Materialise a DataFrame as a temp table."""
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _source_filter(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, int | None]:
    """SQL predicate selecting the source's events, and the last GED month (for 'ged').

    GED releases cover whole calendar years: GED is used up to December of the last
    year it has events in, GED Candidate after it.
    """
    if source == "acled":
        return "source = 'acled'", None
    row = con.execute(
        "SELECT max(year(date_start)) FROM events WHERE source = 'ged' AND NOT deleted"
    ).fetchone()
    if row is None or row[0] is None:
        return "source = 'ged_candidate'", None
    last = (int(row[0]) - 1980) * 12 + 12
    return (
        f"(source = 'ged' OR (source = 'ged_candidate' AND {month_sql('date_end')} > {last}))"
    ), last


def select_events(
    con: duckdb.DuckDBPyConnection,
    *,
    unit: str,
    source: str,
    last_month: int,
    boundaries: str | Path | None = None,
) -> tuple[int | None, int | None]:
    """Create temp table ``_sel``: the source's events up to ``last_month``, placed in units.

    Columns: ``source, source_version, ingest_id, violence_type, best, civ, month_id,
    latitude, longitude, country_id`` (VIEWS id of the event's country, from its GW or
    ISO3 code) and ``unit_id`` (NULL where the unit type cannot place the event).
    Deleted events and violence type 'other' are left out; an event counts in the
    month of its ``date_end`` (see :mod:`sentinelle.panel`).

    Returns
    -------
    (int or None, int or None)
        The source's first event month (its coverage start) and the last GED month.
    """
    predicate, ged_last = _source_filter(con, source)
    month = month_sql("date_end")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _sel_raw AS
        SELECT source, source_version, ingest_id, violence_type::VARCHAR AS violence_type,
               fatalities_best AS best, coalesce(civilian_deaths, 0) AS civ,
               {month} AS month_id, latitude, longitude, country_gwno, country_iso3
        FROM events
        WHERE NOT deleted AND violence_type <> 'other' AND {predicate}
        """
    )
    first = con.execute("SELECT min(month_id) FROM _sel_raw").fetchone()
    con.execute(f"DELETE FROM _sel_raw WHERE month_id > {int(last_month)}")
    gw = con.execute("SELECT DISTINCT country_gwno FROM _sel_raw WHERE country_gwno IS NOT NULL")
    gw_map = gw.df()
    gw_map["views_id"] = map_codes(gw_map["country_gwno"], "gwcode", "views_id", errors="coerce")
    iso = con.execute("SELECT DISTINCT country_iso3 FROM _sel_raw WHERE country_iso3 IS NOT NULL")
    iso_map = iso.df()
    iso_map["views_id"] = map_codes(iso_map["country_iso3"], "iso3", "views_id", errors="coerce")
    _register(con, "_gw_map", gw_map)
    _register(con, "_iso_map", iso_map)
    points = pd.DataFrame(
        {"latitude": pd.Series(dtype=float), "longitude": pd.Series(dtype=float), "unit_id": []}
    )
    if unit.startswith("admin"):
        points = con.execute(
            "SELECT DISTINCT latitude, longitude FROM _sel_raw WHERE latitude IS NOT NULL"
        ).df()
        admin = _read_admin_units(str(boundaries), int(unit.removeprefix("admin")))
        admin = admin[["unit_id", "geometry"]]
        points["unit_id"] = assign_admin(points["latitude"], points["longitude"], admin)["unit_id"]
    _register(con, "_point_units", points.astype({"unit_id": "Int64"}))
    unit_sql = {
        "cm": "coalesce(g.views_id, i.views_id)",
        "pgm": GID_SQL.format(lat="s.latitude", lon="s.longitude"),
    }.get(unit, "p.unit_id")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _sel AS
        SELECT s.* EXCLUDE (country_gwno, country_iso3),
               CAST(coalesce(g.views_id, i.views_id) AS BIGINT) AS country_id,
               CAST({unit_sql} AS BIGINT) AS unit_id
        FROM _sel_raw s
        LEFT JOIN _gw_map g ON g.country_gwno = s.country_gwno
        LEFT JOIN _iso_map i ON i.country_iso3 = s.country_iso3
        LEFT JOIN _point_units p ON p.latitude = s.latitude AND p.longitude = s.longitude
        """
    )
    for table in ("_sel_raw", "_gw_map", "_iso_map", "_point_units"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return (int(first[0]) if first and first[0] is not None else None), ged_last


def _neighbour_frame(
    request: PanelRequest, units: pd.DataFrame, shapes: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Neighbour pairs within the universe: PRIO-GRID rings 1 and 2, else shared borders."""
    ids = units["unit_id"].to_numpy()
    if request.gazetteer:  # no polygons, no borders
        return pd.DataFrame(
            {
                "unit_id": pd.Series(dtype="int64"),
                "neighbour_id": pd.Series(dtype="int64"),
                "ord": pd.Series(dtype="int32"),
            }
        )
    if request.unit == "pgm":
        rings = [(order, *ring_pairs(ids, order)) for order in (1, 2)]
        pairs = pd.concat(
            pd.DataFrame({"unit_id": cell, "neighbour_id": neighbour, "ord": order})
            for order, cell, neighbour in rings
        )
    else:
        if request.unit == "cm":
            polygons = shapes.rename(columns={"views_id": "unit_id"})
        else:
            polygons = _read_admin_units(str(request.boundaries), request.level)
        contiguous = admin_neighbours(polygons, "unit_id")
        pairs = pd.DataFrame(
            {"unit_id": contiguous["unit"], "neighbour_id": contiguous["neighbour"], "ord": 1}
        )
    pairs = pairs[pairs["unit_id"].isin(ids) & pairs["neighbour_id"].isin(ids)]
    return pairs.astype({"unit_id": "int64", "neighbour_id": "int64", "ord": "int32"})


def _prepare_pko(
    con: duckdb.DuckDBPyConnection,
    request: PanelRequest,
    units: pd.DataFrame,
    history_start: int,
) -> list[int]:
    """Create ``_pko_active`` and ``_pko_dist``; return the deployment ingest ids used.

    Geo-PKO publishes several maps for some periods (``record``): troops of a
    mission-location-period are averaged over its maps, then summed over the missions
    at a site. Yearly rows (``month = 0``) stand for every month of their year, up to
    the month of a closure the curated table dates (:mod:`sentinelle.sources.closures`). Months
    from the one before ``history_start`` are kept, so every panel month has its t-1.
    """
    where = "true"
    if request.pko_sources:
        where = "source IN (" + ", ".join(f"'{s}'" for s in request.pko_sources) + ")"
    month = "((year - 1980) * 12 + m.m)"
    # A yearly map lists a site for its whole year; the curated closure table dates
    # some closures to the month: the site is gone from the month after.
    closures = load_closures()[["mission", "geopko_location", "closure_month"]]
    _register(con, "_closures", closures)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _pko_rows AS
        WITH per_period AS (
            SELECT mission, location, latitude, longitude, any_value(country) AS country,
                   year, month, avg(coalesce(troops, 0)) AS troops
            FROM deployments WHERE {where}
            GROUP BY source, mission, location, latitude, longitude, year, month
        )
        SELECT dense_rank() OVER (ORDER BY location, latitude, longitude) AS site_id,
               location, latitude, longitude, country, {month} AS month_id, troops
        FROM per_period p JOIN (SELECT unnest(range(1, 13)) AS m) m
          ON p.month = 0 OR p.month = m.m
        LEFT JOIN _closures c
          ON c.mission = p.mission AND lower(c.geopko_location) = lower(p.location)
        WHERE {month} BETWEEN {history_start - 1} AND {request.last_month}
          AND (c.closure_month IS NULL OR {month} <= c.closure_month)
        """
    )
    con.execute("DROP TABLE IF EXISTS _closures")
    sites = con.execute(
        "SELECT site_id, any_value(latitude) AS lat, any_value(longitude) AS lon, "
        "any_value(country) AS country FROM _pko_rows GROUP BY site_id ORDER BY site_id"
    ).df()
    if request.unit == "pgm":
        sites["unit_id"] = gid_from_latlon(sites["lat"].to_numpy(), sites["lon"].to_numpy())
    elif request.unit == "cm":
        sites["unit_id"] = map_codes(sites["country"], "name", "views_id", errors="coerce")
    else:
        admin = _read_admin_units(str(request.boundaries), request.level)[["unit_id", "geometry"]]
        sites["unit_id"] = assign_admin(sites["lat"], sites["lon"], admin)["unit_id"]
    sites["unit_id"] = (
        sites["unit_id"].astype("Int64").where(sites["unit_id"].isin(units["unit_id"]))
    )
    _register(con, "_site_units", sites[["site_id", "unit_id"]])
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _pko_active AS
        SELECT CAST(r.site_id AS INTEGER) AS site_id, CAST(s.unit_id AS BIGINT) AS unit_id,
               CAST(r.month_id AS INTEGER) AS month_id, CAST(sum(r.troops) AS DOUBLE) AS troops
        FROM _pko_rows r JOIN _site_units s USING (site_id)
        GROUP BY ALL
        """
    )
    _register(con, "_pko_dist", _site_distances(units, sites, request.features.pko_max_km))
    ids = con.execute(
        f"SELECT DISTINCT ingest_id FROM deployments WHERE {where} ORDER BY 1"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS _site_units")
    con.execute("DROP TABLE IF EXISTS _pko_rows")
    return [int(i) for (i,) in ids]


def _site_distances(units: pd.DataFrame, sites: pd.DataFrame, max_km: float) -> pd.DataFrame:
    """(unit, site, km) for every site within ``max_km`` of a unit centre."""
    located = units.dropna(subset=["unit_lat", "unit_lon"])
    parts = []
    # Chunks of units keep the distance matrix small (1,000 units x sites).
    for start in range(0, len(located), 1000):
        chunk = located.iloc[start : start + 1000]
        km = haversine_km(
            chunk["unit_lat"].to_numpy(float)[:, None],
            chunk["unit_lon"].to_numpy(float)[:, None],
            sites["lat"].to_numpy(float)[None, :],
            sites["lon"].to_numpy(float)[None, :],
        )
        u, s = np.nonzero(km <= max_km)
        parts.append(
            pd.DataFrame(
                {
                    "unit_id": chunk["unit_id"].to_numpy(np.int64)[u],
                    "site_id": sites["site_id"].to_numpy(np.int32)[s],
                    "dist_km": km[u, s],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "unit_id": pd.Series(dtype="int64"),
                "site_id": pd.Series(dtype="int32"),
                "dist_km": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(parts, ignore_index=True)


def _aggregate_rows(
    con: duckdb.DuckDBPyConnection, request: PanelRequest, series: str
) -> pd.DataFrame:
    """Current values of ``series`` keyed by the P-code of the panel's level.

    Rows of the panel's own level are used; an admin1 panel without admin1 rows sums
    the admin2 rows of each admin1 unit.
    """
    frames = []
    for iso3 in request.countries or (None,):
        rows = current_aggregates(
            con, source=request.source, series=series, iso3=iso3, level=request.level
        )
        if rows.empty and request.level == 1:
            rows = current_aggregates(con, source=request.source, series=series, iso3=iso3, level=2)
            rows["pcode"] = rows["admin1_pcode"]
        frames.append(rows)
    rows = pd.concat(frames, ignore_index=True)
    return rows.groupby(["pcode", "month_id"], as_index=False).agg(
        events=("events", "sum"),
        fatalities=("fatalities", "sum"),
        as_of=("as_of", "max"),
        ingest_id=("ingest_id", "max"),
    )


@dataclass(frozen=True)
class _Aggregates:
    """What :func:`_prepare_aggregates` found: the model, first month, provenance, counts."""

    model: OutcomeModel
    first_month: int
    versions: dict[str, list[str]]
    ingest_ids: list[int]
    rows_used: int
    rows_outside: int
    fatalities_outside: int


def _prepare_aggregates(
    con: duckdb.DuckDBPyConnection, request: PanelRequest, units: pd.DataFrame
) -> _Aggregates:
    """Create ``_unit_aggregates``; return what it holds and where it comes from.

    Units are matched by P-code: the boundary file's ids must be the P-codes the
    aggregates carry (OCHA's, as ACLED's HDX workbooks use). The civilian-targeting
    series joins when the store holds it for every country of the panel.

    Raises
    ------
    PanelError
        Without aggregates of the source (for the countries), when no unit's id is one
        of their P-codes, or when the panel ends after the data (the message says which
        months the source covers).
    """
    violence = _aggregate_rows(con, request, "political_violence")
    where = f" for {', '.join(request.countries)}" if request.countries else ""
    if violence.empty:
        raise PanelError(
            f"no {request.source} political-violence aggregates at admin level "
            f"{request.level}{where}: sentinelle ingest {request.source} FILE"
        )
    last = int(violence["month_id"].max())
    if request.last_month > last:
        raise PanelError(
            f"the panel ends in {month_string(request.last_month)} but {request.source}"
            f"{where} covers {month_string(int(violence['month_id'].min()))} to "
            f"{month_string(last)}: end it there, or ingest newer data"
        )
    civilian = _aggregate_rows(con, request, "civilian_targeting")
    covered = set(
        aggregate_coverage(con, source=request.source, series="civilian_targeting")["iso3"]
    )
    has_civ = not civilian.empty and set(request.countries or covered) <= covered
    frame = violence[["pcode", "month_id", "fatalities", "events"]]
    if has_civ:
        civ = civilian.rename(columns={"fatalities": "civ_fatalities", "events": "civ_events"})
        frame = frame.merge(
            civ[["pcode", "month_id", "civ_fatalities", "civ_events"]],
            on=["pcode", "month_id"],
            how="left",
        )
    codes = units[["unit_id", "unit_code"]].rename(columns={"unit_code": "pcode"})
    joined = frame.merge(codes, on="pcode")
    if joined.empty:
        raise PanelError(
            f"no unit of the boundary file has an id among {request.source}'s P-codes "
            f"(e.g. {violence['pcode'].iloc[0]}): use boundaries with P-codes as ids"
        )
    model = aggregate_model(has_civ)
    joined = joined[joined["month_id"].between(int(violence["month_id"].min()), request.last_month)]
    _register(
        con,
        "_unit_aggregates",
        joined[["unit_id", "month_id", *model.outcomes]].astype(
            {"unit_id": "int64", "month_id": "int32", **dict.fromkeys(model.outcomes, "int64")}
        ),
    )
    outside = frame[~frame["pcode"].isin(codes["pcode"])]
    as_of = sorted({str(v.date()) for v in violence["as_of"].dropna()}) or ["unknown as-of"]
    return _Aggregates(
        model=model,
        first_month=int(violence["month_id"].min()),
        versions={request.source: as_of},
        ingest_ids=sorted({int(i) for i in violence["ingest_id"]}),
        rows_used=len(joined),
        rows_outside=len(outside),
        fatalities_outside=int(outside["fatalities"].sum()),
    )


def prepare_inputs(con: duckdb.DuckDBPyConnection, request: PanelRequest) -> PreparedInputs:
    """Create the input temp tables of ``request`` in ``con`` (see the module docstring).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store.
    request : PanelRequest
        The panel to prepare.

    Returns
    -------
    PreparedInputs
        History start, neighbour orders, static columns, counts of events used and of
        events of the requested countries that fall outside the universe, and the
        source versions and ingest ids the events come from.
    """
    shapes = read_country_shapes(request.country_shapes)
    if request.unit == "pgm":
        units = _pgm_units(request, shapes)
    elif request.unit == "cm":
        units = _cm_units(request, shapes)
    else:
        admin = _read_admin_units(str(request.boundaries), request.level)
        units = _admin_units(admin, request.level)
    _register(con, "_units", units)
    if request.source in AGGREGATE_SOURCES:
        return _prepared_aggregates(con, request, units, shapes)

    source_start, ged_last = select_events(
        con,
        unit=request.unit,
        source=request.source,
        last_month=request.last_month,
        boundaries=request.boundaries,
    )
    # Outcomes are known from the source's first month: features reach back to it so
    # that time-since-last-event is exact, and lags before it are NULL, not zero.
    history_start = min(request.first_month, source_start or request.first_month)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _months AS SELECT CAST(range AS INTEGER) AS month_id "
        f"FROM range({history_start}, {request.last_month + 1})"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _unit_events AS
        SELECT unit_id, CAST(month_id AS INTEGER) AS month_id, violence_type,
               CAST(best AS INTEGER) AS best, CAST(civ AS INTEGER) AS civ
        FROM _sel WHERE month_id >= {history_start} AND unit_id IN (SELECT unit_id FROM _units)
        """
    )
    in_scope = "true"
    if request.countries:
        ids = ", ".join(str(i) for i in _country_ids(request.countries))
        in_scope = f"country_id IN ({ids})"
    outside = con.execute(
        f"""
        SELECT count(*), coalesce(sum(best), 0),
               list([latitude, longitude, best] ORDER BY best DESC)[1:5]
        FROM _sel
        WHERE month_id >= {history_start} AND {in_scope}
          AND (unit_id IS NULL OR unit_id NOT IN (SELECT unit_id FROM _units))
        """
    ).fetchone()
    assert outside is not None
    provenance = con.execute(
        f"""
        SELECT source, list(DISTINCT source_version ORDER BY source_version),
               list(DISTINCT ingest_id ORDER BY ingest_id)
        FROM _sel WHERE month_id >= {history_start} GROUP BY source ORDER BY source
        """
    ).fetchall()
    ingest_ids = sorted({int(i) for _, _, ids in provenance for i in ids})

    splag_orders: tuple[int, ...] = (1, 2) if request.unit == "pgm" else (1,)
    _register(con, "_neighbours", _neighbour_frame(request, units, shapes))
    if request.features.pko:
        ingest_ids = sorted({*ingest_ids, *_prepare_pko(con, request, units, history_start)})
    used = con.execute("SELECT count(*) FROM _unit_events").fetchone()
    con.execute("DROP TABLE _sel")
    return PreparedInputs(
        history_start=history_start,
        ged_last_month=ged_last,
        splag_orders=splag_orders,
        static=tuple(c for c in units.columns if c != "unit_id"),
        n_units=len(units),
        events_used=int(used[0]) if used else 0,
        events_outside=int(outside[0]),
        fatalities_outside=int(outside[1]),
        outside_examples=[(float(a), float(b), int(c)) for a, b, c in outside[2] or []],
        versions={str(s): [str(v) for v in vs] for s, vs, _ in provenance},
        ingest_ids=ingest_ids,
    )


def _prepared_aggregates(
    con: duckdb.DuckDBPyConnection,
    request: PanelRequest,
    units: pd.DataFrame,
    shapes: gpd.GeoDataFrame,
) -> PreparedInputs:
    """The inputs of an admin panel of aggregates (see :func:`_prepare_aggregates`)."""
    found = _prepare_aggregates(con, request, units)
    history_start = min(request.first_month, found.first_month)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _months AS SELECT CAST(range AS INTEGER) AS month_id "
        f"FROM range({history_start}, {request.last_month + 1})"
    )
    _register(con, "_neighbours", _neighbour_frame(request, units, shapes))
    ingest_ids = found.ingest_ids
    if request.features.pko and not request.gazetteer:
        ingest_ids = sorted({*ingest_ids, *_prepare_pko(con, request, units, history_start)})
    return PreparedInputs(
        history_start=history_start,
        ged_last_month=None,
        splag_orders=() if request.gazetteer else (1,),
        static=tuple(c for c in units.columns if c != "unit_id"),
        n_units=len(units),
        events_used=found.rows_used,
        events_outside=found.rows_outside,
        fatalities_outside=found.fatalities_outside,
        outside_examples=[],
        versions=found.versions,
        ingest_ids=ingest_ids,
        model=found.model,
        pko_placed=not request.gazetteer,
    )
