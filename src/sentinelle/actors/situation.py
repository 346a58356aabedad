"""The situational picture of a country over a period: tables, charts and a map.

:func:`situation` computes the tables from the ``events`` table; :func:`write_situation`
writes them as CSV with PNG charts (trends by violence type, civilian harm) and a map
(events sized by fatalities on the country outline).

Several sources may describe the same events (UCDP GED and ACLED): ``source`` picks
one, since summing both would double count.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # file output only; no display on servers
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sentinelle.actors.registry import Registry, load_registry, register_sides
from sentinelle.errors import NoDataError
from sentinelle.geo.boundaries import default_boundaries, read_country_outlines
from sentinelle.store.queries import period_dates, scope_sql
from sentinelle.tables import write_csv

# PRIO-GRID cell id of a point (see sentinelle.geo.priogrid), as SQL.
_GID_SQL = "(floor((latitude + 90) * 2) * 720 + floor((longitude + 180) * 2) + 1)::BIGINT"


@dataclass
class Situation:
    """Tables of the situational picture; see :func:`situation`."""

    country_iso3: str
    period: str
    trends: pd.DataFrame
    hotspots_admin2: pd.DataFrame
    hotspots_cells: pd.DataFrame
    lethal_events: pd.DataFrame
    new_actors: pd.DataFrame
    new_areas: pd.DataFrame
    civilian_harm: pd.DataFrame
    events: pd.DataFrame


def situation(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str,
    *,
    source: str = "ged",
    top: int = 10,
    registry: Registry | None = None,
) -> Situation:
    """Compute the situational picture of ``country_iso3`` over ``period``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    country_iso3 : str
        E.g. ``'MLI'``.
    period : str
        ``'YYYY-MM..YYYY-MM'``, both ends included.
    source : str
        Event source to describe (``'ged'``, ``'ged_candidate'`` or ``'acled'``).
    top : int
        Number of hotspots and most lethal events listed.
    registry : Registry, optional
        Actor registry (defaults to the shipped one) for new actors.

    Returns
    -------
    Situation
        ``trends`` (month x violence type: events, fatalities); ``hotspots_admin2`` and
        ``hotspots_cells`` (PRIO-GRID gid) by fatalities; ``lethal_events``;
        ``new_actors`` (first event in the country within the period); ``new_areas``
        (admin2 with events in the period and none in the 12 months before it);
        ``civilian_harm`` (per month: civilian deaths, one-sided events and deaths);
        ``events`` (the points of the map).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> s = situation(open_store(":memory:"), "MLI", "2023-07..2024-06")
    >>> s.trends.empty
    True
    """
    where, params = scope_sql(country_iso3, period)
    where += " AND source = ? AND NOT deleted"
    params.append(source)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sit AS SELECT * FROM events WHERE {where}", params)

    def q(sql: str, args: list[object] | None = None) -> pd.DataFrame:
        return con.execute(sql, args or []).df()

    trends = q(
        """
        SELECT strftime(date_start, '%Y-%m') AS month, violence_type::VARCHAR AS violence_type,
               count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities
        FROM _sit GROUP BY ALL ORDER BY month, violence_type
        """
    )
    hotspots_admin2 = q(
        f"""
        SELECT admin1, admin2, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM _sit GROUP BY ALL ORDER BY fatalities DESC, events DESC LIMIT {int(top)}
        """
    )
    hotspots_cells = q(
        f"""
        SELECT {_GID_SQL} AS gid, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM _sit WHERE latitude IS NOT NULL AND longitude IS NOT NULL
        GROUP BY ALL ORDER BY fatalities DESC, events DESC LIMIT {int(top)}
        """
    )
    lethal_events = q(
        f"""
        SELECT source_event_id, date_start, admin1, admin2, location_name,
               violence_type::VARCHAR AS violence_type, side_a, side_b, fatalities_best,
               civilian_deaths
        FROM _sit ORDER BY fatalities_best DESC, date_start LIMIT {int(top)}
        """
    )
    civilian_harm = q(
        """
        SELECT strftime(date_start, '%Y-%m') AS month,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths,
               count(*) FILTER (WHERE violence_type = 'one_sided') AS one_sided_events,
               coalesce(sum(fatalities_best) FILTER (WHERE violence_type = 'one_sided'), 0)::BIGINT
                   AS one_sided_fatalities
        FROM _sit GROUP BY ALL ORDER BY month
        """
    )
    events = q(
        "SELECT latitude, longitude, fatalities_best, violence_type::VARCHAR AS violence_type "
        "FROM _sit"
    )

    start, _ = period_dates(period)
    country_where, country_params = scope_sql(country_iso3)
    country_where += " AND source = ?"
    country_params.append(source)
    new_areas = q(
        f"""
        WITH scoped AS (SELECT * FROM events WHERE {country_where} AND NOT deleted)
        SELECT admin1, admin2, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               min(date_start) AS first_event
        FROM _sit
        WHERE admin2 IS NOT NULL AND admin2 NOT IN (
            SELECT admin2 FROM scoped WHERE admin2 IS NOT NULL
              AND date_start >= ? - INTERVAL 12 MONTH AND date_start < ?
        )
        GROUP BY ALL ORDER BY fatalities DESC, admin2
        """,
        [*country_params, start, start],
    )
    register_sides(con, registry or load_registry())
    new_actors = q(
        f"""
        SELECT actor, actor_id, actor_type, min(date_start) AS first_seen,
               count(DISTINCT source_event_id) AS events, sum(fatalities_best)::BIGINT AS fatalities
        FROM actor_sides WHERE {country_where}
        GROUP BY ALL
        HAVING min(date_start) >= ? AND min(date_start) <= ?
        ORDER BY first_seen, actor
        """,
        [*country_params, *period_dates(period)],
    )
    con.execute("DROP TABLE _sit")
    return Situation(
        country_iso3,
        period,
        trends,
        hotspots_admin2,
        hotspots_cells,
        lethal_events,
        new_actors,
        new_areas,
        civilian_harm,
        events,
    )


def _outline(country_iso3: str, boundaries: str | Path | None) -> gpd.GeoDataFrame:
    """Country outline from a Natural Earth file (the pyogrio copy when None)."""
    shapes = read_country_outlines(boundaries)
    outline = shapes[shapes["iso3"] == country_iso3]
    if outline.empty:
        raise NoDataError(f"{boundaries or default_boundaries()}: no outline for {country_iso3}")
    return outline


def write_situation(
    sit: Situation, out_dir: str | Path, *, boundaries: str | Path | None = None
) -> list[Path]:
    """Write the tables as CSV and the charts and map as PNG into ``out_dir``.

    Parameters
    ----------
    sit : Situation
        From :func:`situation`.
    out_dir : str or pathlib.Path
        Created if missing.
    boundaries : str or pathlib.Path, optional
        Country outlines (e.g. ``naturalearth_10m_africa_admin0.geojson``); default:
        the Natural Earth low-resolution shapes inside the pyogrio wheel.

    Returns
    -------
    list of pathlib.Path
        The files written: one CSV per table, ``trends.png``, ``civilian_harm.png``,
        ``map.png``.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> s = situation(open_store(":memory:"), "MLI", "2023-07..2024-06")
    >>> sorted(p.name for p in write_situation(s, "/tmp/sit"))[-1]
    'trends.png'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for f in fields(sit):
        value = getattr(sit, f.name)
        if isinstance(value, pd.DataFrame):
            path = out / f"{f.name}.csv"
            write_csv(value, path)
            written.append(path)
    label = f"{sit.country_iso3}, {sit.period}"

    fig, ax = plt.subplots(figsize=(10, 4))
    if not sit.trends.empty:
        sit.trends.pivot_table(
            index="month", columns="violence_type", values="fatalities", aggfunc="sum"
        ).plot(ax=ax, marker="o")
    ax.set(title=f"Fatalities by violence type, {label}", xlabel="month", ylabel="fatalities")
    written.append(_save(fig, out / "trends.png"))

    fig, ax = plt.subplots(figsize=(10, 4))
    if not sit.civilian_harm.empty:
        sit.civilian_harm.plot.bar(x="month", y="civilian_deaths", ax=ax, color="#d62728")
    ax.set(title=f"Civilian deaths, {label}", xlabel="month", ylabel="deaths")
    written.append(_save(fig, out / "civilian_harm.png"))

    fig, ax = plt.subplots(figsize=(8, 8))
    _outline(sit.country_iso3, boundaries).boundary.plot(ax=ax, color="black", linewidth=0.8)
    for vtype, group in sit.events.groupby("violence_type"):
        ax.scatter(
            group["longitude"],
            group["latitude"],
            s=5 + 3 * group["fatalities_best"].clip(upper=200),
            alpha=0.5,
            label=str(vtype),
        )
    if not sit.events.empty:
        ax.legend(title="violence type (size: fatalities)", fontsize=8)
    ax.set(title=f"Events, {label}", xlabel="longitude", ylabel="latitude")
    written.append(_save(fig, out / "map.png"))
    return written


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


__all__ = ["Situation", "situation", "write_situation"]
