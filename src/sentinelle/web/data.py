"""The dashboard's reads of the store, shared by the JSON API and the HTML pages.

Each function takes a store cursor and returns plain Python data (dicts, lists) shaped
like the API's response models in :mod:`sentinelle.web.api.schemas`, reusing the analysis
packages where they compute the thing shown (base timelines, forecast summaries,
actor tables, alert wording). Months are ``'YYYY-MM'`` strings outside and VIEWS
month ids (1 = January 1980) inside, where the map's time slider counts them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import TYPE_CHECKING, Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from typing_extensions import TypedDict  # pydantic validates these; typing's lacks what it needs

from sentinelle.geo import (
    cell_bounds,
    centroid,
    convert_code,
    country_table,
    current_gw_iso3,
    iso3_from_name,
    month_id_from_str,
    month_string,
)
from sentinelle.i18n import N_, Lang
from sentinelle.panel.inputs import AGGREGATE_SOURCES
from sentinelle.store import records
from sentinelle.store.queries import month_sql, month_start, scope_sql
from sentinelle.web.messages import NotStored

if TYPE_CHECKING:
    from sentinelle.actors.activity import NetworkDrawing

__all__ = [
    "CountryCoverage",
    "DyadEdge",
    "DyadGraph",
    "DyadNode",
    "ImpactMission",
    "Mission",
    "TrendPoint",
    "actor_ranking",
    "actors_table",
    "alerts_table",
    "as_utc",
    "base_rows",
    "country_source",
    "coverage",
    "dyad_graph",
    "dyad_graph_of",
    "dyad_ranking",
    "event_source",
    "events_geojson",
    "find_country",
    "forecast_rows",
    "forecast_units",
    "impact_missions",
    "impact_result",
    "missions",
    "network_picture",
    "outlines_geojson",
    "top_actors",
    "trend_points",
]


# Records the API's schema publishes as they are (:mod:`sentinelle.web.api.schemas`): the
# docstrings are their descriptions there.


class CountryCoverage(TypedDict):
    """A country with events in the store."""

    iso3: str
    name: str
    events: int
    sources: dict[str, int]
    first_month: str
    last_month: str


class TrendPoint(TypedDict):
    """Fatalities of a unit in a month."""

    unit: str
    month: str
    fatalities: int


class DyadNode(TypedDict):
    """An actor in the dyad network."""

    id: str
    type: str
    events: int
    fatalities: int


class DyadEdge(TypedDict):
    """A pair of actors who fought, with their events and fatalities."""

    source: str
    target: str
    events: int
    fatalities: int
    civilian_deaths: int


# Records the pages read too; the schema has models of its own for them (other names).


class DyadGraph(TypedDict):
    """The dyad network as node and edge lists."""

    nodes: list[DyadNode]
    edges: list[DyadEdge]


class Mission(TypedDict):
    """A peacekeeping mission and the ISO3 codes of its countries."""

    mission: str
    countries: list[str]


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp marked as UTC.

    The store's TIMESTAMP columns have no zone; Sentinelle writes them in UTC (the
    server sets DuckDB's TimeZone to UTC), and JSON date-times must carry one.
    """
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN and NaT become None, numpy numbers Python ones."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return as_utc(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def coverage(con: duckdb.DuckDBPyConnection) -> list[CountryCoverage]:
    """Countries with events: ISO3, name, events per source and the months covered.

    Ordered by number of events, most first (the dashboard opens on the first).
    """
    rows = con.execute(
        f"""
        SELECT country_iso3, country_gwno, source, count(*) AS n,
               min({month_sql()}) AS first_month, max({month_sql()}) AS last_month
        FROM events WHERE NOT deleted GROUP BY ALL
        """
    ).fetchall()
    gw_iso3 = current_gw_iso3()
    names = country_table().drop_duplicates("iso3").set_index("iso3")["name"]
    found: dict[str, CountryCoverage] = {}
    for iso3, gwno, source, n, first, last in rows:
        code = iso3 or (gw_iso3.get(int(gwno)) if gwno is not None else None)
        if code is None:
            continue
        entry = found.setdefault(
            code,
            CountryCoverage(iso3=code, name=str(names.get(code, code)), sources={}, events=0,
                     first_month=month_string(int(first)), last_month=month_string(int(last))),
        )  # fmt: skip
        entry["sources"][source] = entry["sources"].get(source, 0) + int(n)
        entry["events"] += int(n)
        entry["first_month"] = min(entry["first_month"], month_string(int(first)))
        entry["last_month"] = max(entry["last_month"], month_string(int(last)))
    return sorted(found.values(), key=lambda c: (-c["events"], c["iso3"]))


def find_country(countries: list[CountryCoverage], iso3: str | None) -> CountryCoverage | None:
    """The :func:`coverage` entry of ``iso3``, or None if it has no events."""
    return next((c for c in countries if c["iso3"] == iso3), None)


def event_source(country: CountryCoverage | None, wanted: str | None = None) -> str | None:
    """The event source to count for a :func:`coverage` entry.

    ``wanted`` if the country has events from it, else its largest source: one
    source at a time, since GED and ACLED report the same killings.
    """
    if country is None or wanted in country["sources"]:
        return wanted
    sources = country["sources"]
    return max(sources, key=lambda s: sources[s])


def country_source(
    con: duckdb.DuckDBPyConnection, country_iso3: str, wanted: str | None = None
) -> str | None:
    """``wanted``, or the source with most events in the country (None if it has none)."""
    if wanted is not None:
        return wanted
    return event_source(find_country(coverage(con), country_iso3))


def events_geojson(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    first: str | None = None,
    last: str | None = None,
    source: str | None = None,
) -> bytes:
    """A country's events as a GeoJSON FeatureCollection (the map endpoint's body).

    The JSON is built by DuckDB in one query: a country's full record (thousands of
    events) takes a few milliseconds instead of the tens a Python loop would.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    country_iso3 : str
        ISO3 code; UCDP events, which carry only a GW code, match through it.
    first, last : str, optional
        ``'YYYY-MM'`` months, both included.
    source : str, optional
        One event source; every source when omitted (GED and ACLED may then describe
        the same event twice).
    """
    where, params = scope_sql(country_iso3)
    where += " AND NOT deleted AND latitude IS NOT NULL AND longitude IS NOT NULL"
    if first is not None:
        where += " AND date_start >= ?"
        params.append(month_start(month_id_from_str(first)))
    if last is not None:
        where += " AND date_start < ?"
        params.append(month_start(month_id_from_str(last) + 1))
    if source is not None:
        where += " AND source = ?"
        params.append(source)
    row = con.execute(
        f"""
        SELECT to_json({{
            type: 'FeatureCollection', country: ?, first_month: ?, last_month: ?,
            source: ?, count: count(*),
            features: coalesce(list({{
                type: 'Feature',
                geometry: {{type: 'Point',
                            coordinates: [round(longitude, 5), round(latitude, 5)]}},
                properties: {{
                    id: source || ':' || source_event_id, source: source,
                    date: strftime(date_start, '%Y-%m-%d'), month: {month_sql()},
                    fatalities: fatalities_best, civilian_deaths: civilian_deaths,
                    violence_type: violence_type::VARCHAR, event_type: event_type,
                    side_a: side_a, side_b: side_b, location: location_name, admin1: admin1
                }}
            }} ORDER BY date_start, source, source_event_id), [])
        }})::VARCHAR
        FROM events WHERE {where}
        """,
        [country_iso3, first, last, source, *params],
    ).fetchone()
    assert row is not None  # an aggregate always yields one row
    return str(row[0]).encode()


def outlines_geojson(outlines: gpd.GeoDataFrame, tolerance: float = 0.01) -> bytes:
    """Country outlines as GeoJSON, simplified to ``tolerance`` degrees (~1 km)."""
    simple = outlines.assign(geometry=outlines.geometry.simplify(tolerance))
    return json.dumps(simple.__geo_interface__, separators=(",", ":")).encode()


def missions(con: duckdb.DuckDBPyConnection) -> list[Mission]:
    """Peacekeeping missions with deployments, each with the ISO3 codes of its countries."""
    rows = con.execute("SELECT DISTINCT mission, country FROM deployments ORDER BY ALL").fetchall()
    found: dict[str, set[str]] = {}
    for mission, country in rows:
        codes = found.setdefault(mission, set())
        try:
            codes.add(iso3_from_name(country))
        except (KeyError, TypeError):  # a name the key lacks, or no country
            continue
    return [Mission(mission=m, countries=sorted(c)) for m, c in sorted(found.items())]


def forecast_units(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The unit levels (``'cm'``, ``'pgm'``) the store holds forecast runs of, sorted."""
    rows = con.execute("SELECT DISTINCT unit FROM forecast_runs ORDER BY unit").fetchall()
    return [str(u) for (u,) in rows]


def base_rows(
    con: duckdb.DuckDBPyConnection, mission: str, at_month: str | None = None
) -> list[dict[str, Any]]:
    """A mission's bases with their open and close months, and status at ``at_month``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store with Geo-PKO deployments.
    mission : str
        E.g. ``'MINUSMA'``.
    at_month : str, optional
        ``'YYYY-MM'``: adds ``status_at`` ('open', 'closed' or 'not_open_yet').

    Raises
    ------
    NotStored
        A :class:`~sentinelle.errors.NoDataError`: the store has no deployments of
        ``mission``.
    """
    from sentinelle.impact.timeline import DEFAULT_SOURCE, base_timeline

    sources = [
        s for (s,) in con.execute(
            "SELECT DISTINCT source FROM deployments WHERE mission = ? ORDER BY source", [mission]
        ).fetchall()
    ]  # fmt: skip
    if not sources:
        raise NotStored(N_("no deployments of mission '%(mission)s' in the store"), mission=mission)
    source = DEFAULT_SOURCE if DEFAULT_SOURCE in sources else sources[0]
    timeline = base_timeline(con, mission, source=source)
    at = month_id_from_str(at_month) if at_month else None
    out = []
    for row in _records(timeline):
        opened = int(row["open_month"])
        closed = None if row["cohort_month"] is None else int(row["cohort_month"])
        entry = {
            "mission": row["mission"],
            "base": row["base"],
            "country": row["country"],
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "first_year": int(row["first_year"]),
            "last_year": int(row["last_year"]),
            "max_troops": row["max_troops"],
            "hq": None if row["hq"] is None else int(row["hq"]),
            "status": row["status"],
            "open_month": month_string(opened),
            "open_month_id": opened,
            "closed_from": None if closed is None else month_string(closed),
            "closed_from_id": closed,
            "closure_date": row["closure_date"].date() if row["closure_date"] else None,
            "date_precision": row["date_precision"],
            "closure_source": row["closure_source"],
            "citation": row["citation"],
            "deployment_source": source,
            "status_at": None,
        }
        if at is not None:
            entry["status_at"] = (
                "not_open_yet" if at < opened else "closed" if closed and at >= closed else "open"
            )
        out.append(entry)
    return out


def forecast_rows(
    con: duckdb.DuckDBPyConnection,
    outlines: gpd.GeoDataFrame | None,
    unit: str = "cm",
    country_iso3: str | None = None,
    threshold: float = 25,
    target: str = "ged_sb",
) -> dict[str, Any] | None:
    """The latest stored forecast of ``unit`` summarised per unit-month, or None.

    For ``cm`` units are VIEWS countries (``iso3`` and ``name`` added); for ``pgm``
    PRIO-GRID cells (``bounds`` added: west, south, east, north), a country's being
    the cells whose centre lies inside its outline.
    """
    from sentinelle.forecast.store import forecast_summary, latest_forecast_run

    run = latest_forecast_run(con, unit=unit, target=target)
    if run is None:
        return None
    unit_ids: list[int] | None = None
    if country_iso3 is not None and unit == "cm":
        try:
            unit_ids = [convert_code(country_iso3, "iso3", "views_id")]
        except KeyError:  # a historical code (YUG) no single VIEWS country has: none forecast
            unit_ids = []
    elif country_iso3 is not None and unit == "pgm":
        assert outlines is not None  # pgm forecasts are placed with the outlines
        cells = np.array(
            [u for (u,) in con.execute(
                "SELECT DISTINCT unit_id FROM forecast_draws WHERE run_id = ?", [run["run_id"]]
            ).fetchall()], dtype=np.int64,
        )  # fmt: skip
        shape = outlines.loc[outlines["iso3"] == country_iso3, "geometry"]
        if cells.size and not shape.empty:
            lat, lon = centroid(cells)
            unit_ids = cells[shapely.contains_xy(shape.union_all(), lon, lat)].tolist()
        else:
            unit_ids = []
    summary = forecast_summary(con, run["run_id"], unit_ids=unit_ids, threshold=threshold)
    rows = _records(summary)
    table = country_table().set_index("views_id")
    for row in rows:
        unit_id = int(row["unit_id"])
        row["month"] = month_string(int(row["month_id"]))
        if unit == "cm" and unit_id in table.index:
            row["iso3"] = _clean(table.at[unit_id, "iso3"])
            row["name"] = str(table.at[unit_id, "name"])
        if unit == "pgm":
            row["bounds"] = list(cell_bounds(unit_id))
    meta = run.get("meta")
    return {
        "run": {
            **{k: _clean(v) for k, v in run.items() if k != "meta"},
            "meta": json.loads(meta) if isinstance(meta, str) else meta,
            "origin_month": month_string(int(run["origin"])),
        },
        "threshold": threshold,
        "rows": rows,
    }


def trend_points(
    con: duckdb.DuckDBPyConnection, country_iso3: str, level: str, source: str
) -> list[TrendPoint]:
    """Monthly fatalities of a country (``level='country'``) or of its admin-1 regions.

    Months without events count 0, from the source's first to its last month. An
    aggregate source (``acled-hdx``) gives its political-violence fatalities, summed
    over the country's units or by admin-1 region.
    """
    from sentinelle.alerts.aggregates import aggregate_series
    from sentinelle.alerts.rules import monthly_fatalities

    if source in AGGREGATE_SOURCES:
        series = aggregate_series(con, level, source=source)
    else:
        series = monthly_fatalities(con, level, source=source)
    unit = series["unit_id"].astype(str)
    mine = series[(unit == country_iso3) | unit.str.startswith(country_iso3 + "/")]
    return [
        TrendPoint(
            unit=str(row["unit_id"]).split("/", 1)[-1] if level == "admin1" else country_iso3,
            month=month_string(int(row["month_id"])),
            fatalities=int(row["fatalities"]),
        )
        for row in mine.to_dict("records")
    ]


def actor_ranking(
    con: duckdb.DuckDBPyConnection, country_iso3: str, period: str | None, source: str | None
) -> pd.DataFrame:
    """Every armed actor of a country over a period, most lethal first (civilians, the
    targets, left out): what :func:`actors_table` cuts its ``limit`` rows from (the API
    keeps it per data version)."""
    from sentinelle.actors import actor_activity
    from sentinelle.actors.activity import rank_actors

    table = actor_activity(con, country_iso3=country_iso3, period=period, freq="all", source=source)
    return rank_actors(table).drop(columns=["period"])


def top_actors(ranking: pd.DataFrame, limit: int = 50) -> list[dict[str, Any]]:
    """The first ``limit`` rows of an :func:`actor_ranking`."""
    return _records(ranking.head(limit))


def actors_table(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str | None,
    source: str | None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The most lethal actors of a country over a period (all of it when None)."""
    return top_actors(actor_ranking(con, country_iso3, period, source), limit)


def dyad_ranking(
    con: duckdb.DuckDBPyConnection, country_iso3: str, period: str | None, source: str | None
) -> pd.DataFrame:
    """Every actor pair of a country over a period, most events first: what
    :func:`dyad_graph` cuts its ``limit`` pairs from (the API keeps it per data version)."""
    from sentinelle.actors import dyads

    pairs = dyads(con, country_iso3=country_iso3, period=period, freq="all", source=source)
    # Stable, so that equal counts keep dyads' own order (by actor names).
    return pairs.sort_values("events", ascending=False, kind="stable")


def dyad_graph(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str | None,
    source: str | None,
    limit: int = 60,
) -> DyadGraph:
    """The dyad network (``limit`` pairs with most events) as node and edge lists."""
    return dyad_graph_of(dyad_ranking(con, country_iso3, period, source), limit)


def dyad_graph_of(ranking: pd.DataFrame, limit: int = 60) -> DyadGraph:
    """The network of the first ``limit`` pairs of a :func:`dyad_ranking`."""
    from sentinelle.actors import dyad_network

    graph = dyad_network(ranking.head(limit))
    nodes = [
        DyadNode(
            id=str(node),
            type=str(attrs.get("type", "unmatched")),
            events=int(sum(graph.edges[node, other]["events"] for other in graph[node])),
            fatalities=int(sum(graph.edges[node, other]["fatalities"] for other in graph[node])),
        )
        for node, attrs in graph.nodes(data=True)
    ]
    edges = [
        DyadEdge(
            source=str(a),
            target=str(b),
            events=int(attrs["events"]),
            fatalities=int(attrs["fatalities"]),
            civilian_deaths=int(attrs["civilian_deaths"]),
        )
        for a, b, attrs in graph.edges(data=True)
    ]
    return DyadGraph(nodes=nodes, edges=edges)


def network_picture(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str | None,
    source: str | None,
    lang: Lang,
) -> NetworkDrawing:
    """The readable picture of a country's dyad network, in ``lang``: every pair of the
    period, of which :func:`~sentinelle.actors.activity.network_drawing` keeps the most
    lethal actors and the civilians they attacked (what ``sentinelle actors`` draws to
    ``network.png``)."""
    from sentinelle.actors import dyad_network
    from sentinelle.actors.activity import network_drawing

    graph = dyad_network(dyad_ranking(con, country_iso3, period, source))
    return network_drawing(graph, lang, period=period)


def impact_result(con: duckdb.DuckDBPyConnection, mission: str | None) -> dict[str, Any] | None:
    """The newest stored withdrawal-impact run (of ``mission``), or None."""
    from sentinelle.impact.store import latest_impact

    stored = latest_impact(con, mission)
    if stored is None:
        return None
    run = {k: _clean(v) for k, v in stored.run.items()}
    run["first_month"] = month_string(int(run["first_month"]))
    run["last_month"] = month_string(int(run["last_month"]))
    run["radii_km"] = [float(r) for r in run["radii_km"]]
    run["notes"] = list(run["notes"] or [])
    return {
        "run": run,
        "effects": _records(stored.effects),
        "event_study": _records(stored.event_study),
    }


class ImpactMission(TypedDict):
    """A mission (or a pooled label, ``'ALL:africa'``) with stored impact runs: its newest
    run's design (``unit``: ``'pgm'`` cells in km rings, ``'admin1'``/``'admin2'`` host
    units, ``'pgm-year'``/``'pgm-month'`` entries and exits across missions), outcome and
    months, and how many runs are stored."""

    mission: str
    unit: str
    outcome: str
    first_month: int
    last_month: int
    event_source: str | None
    created_at: dt.datetime
    runs: int


def impact_missions(con: duckdb.DuckDBPyConnection) -> list[ImpactMission]:
    """Every mission with a stored impact run (single-mission and cross-mission alike),
    by name, with its newest run (:class:`ImpactMission`)."""
    rows = records(
        con.execute(
            """
            SELECT mission, unit, outcome, first_month, last_month, event_source, created_at,
                   count(*) OVER (PARTITION BY upper(mission)) AS runs
            FROM impact_runs
            QUALIFY row_number() OVER (
                PARTITION BY upper(mission) ORDER BY created_at DESC, run_id DESC) = 1
            ORDER BY mission
            """
        )
    )
    return [
        ImpactMission(
            mission=str(r["mission"]),
            unit=str(r["unit"]),
            outcome=str(r["outcome"]),
            first_month=int(r["first_month"]),
            last_month=int(r["last_month"]),
            event_source=r["event_source"],
            created_at=r["created_at"],
            runs=int(r["runs"]),
        )
        for r in rows
    ]


def alerts_table(
    con: duckdb.DuckDBPyConnection, country_iso3: str | None, limit: int = 200
) -> list[dict[str, Any]]:
    """Recorded alerts, newest period first, of a country's units when given."""
    from sentinelle.alerts.wording import alert_text, level_name

    query = """
        SELECT * FROM alerts
        WHERE ? IS NULL OR unit_id = ? OR starts_with(unit_id, ? || '/')
           OR contains(unit_id, '@' || ? || '/')
        ORDER BY period DESC, level DESC, alert_id DESC LIMIT ?
    """
    rows = records(con.execute(query, [country_iso3] * 4 + [limit]))
    out = []
    for alert in rows:
        subject, _ = alert_text(alert, "en")
        evidence = alert["evidence"]
        out.append(
            {
                **{k: _clean(v) for k, v in alert.items() if k != "evidence"},
                "level_name": level_name(alert["level"], "en"),
                "subject": subject,
                "evidence": json.loads(evidence) if isinstance(evidence, str) else evidence,
            }
        )
    return out
