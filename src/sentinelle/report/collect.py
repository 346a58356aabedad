"""A briefing's data, read from the store: :func:`collect_brief` and its :class:`Brief`.

Every store read of a briefing happens here, and gives plain data that
:mod:`~sentinelle.report.charts` and :mod:`~sentinelle.report.render` only format:
key numbers and their change, the month's events, trends, actors, the newest
withdrawal-impact run, active alerts, forecasts and the provenance of each input.

Nothing is invented where the store lacks data. Event sources end at different dates
(the ACLED copies used in tests end in 2020, VIEWS country-month totals in 2023): when
no event source covers the month, the key numbers and trends fall back to the
country-month panel (``panel_cm``, e.g. VIEWS's UCDP totals) and say so; a section
with no data is left empty for the page to say what is missing. Event sources are
never mixed in one number, since GED and ACLED describe the same killings differently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from sentinelle.actors import actor_activity, dyads
from sentinelle.errors import UsageError
from sentinelle.forecast.store import forecast_summary, latest_forecast_run
from sentinelle.geo import (
    convert_code,
    gid_from_row_col,
    iso3_from_name,
    month_id_from_str,
    month_string,
)
from sentinelle.geo.priogrid import CELL_SIZE
from sentinelle.impact import StoredImpact, latest_impact
from sentinelle.panel import panel_exists
from sentinelle.panel.inputs import read_country_shapes
from sentinelle.report.references import (
    CM_THRESHOLD,
    EVENT_SOURCES,
    INDICATORS,
    PGM_THRESHOLD,
)
from sentinelle.store.queries import event_coverage, month_sql, scope_sql
from sentinelle.store.schema import VIOLENCE_TYPES

__all__ = ["Brief", "collect_brief"]

TREND_MONTHS = 36
ACTOR_MONTHS = 12
FORECAST_MONTHS = 12
# Alerts on observed data stay active for the month they concern and two more.
ALERT_LOOKBACK = 2
MAP_MARGIN_DEG = 1.5
FORECAST_TARGET = "ged_sb"
# Country-month panel columns behind each indicator (sentinelle.panel.definitions).
_PANEL_COLUMNS = {
    "state_based": "ged_sb",
    "non_state": "ged_ns",
    "one_sided": "ged_os",
    "civilian_deaths": "civ_deaths",
}
_PANEL_EVENT_COLUMNS = ("ev_sb", "ev_ns", "ev_os")


@dataclass(frozen=True)
class Brief:
    """Everything a briefing shows, gathered from the store by :func:`collect_brief`.

    Month ids are VIEWS ``month_id`` (1 = January 1980). Frames are empty, and
    optional values None, where the store has no data;
    :func:`~sentinelle.report.render.write_brief` says so.

    Attributes
    ----------
    country_iso3 : str
    country_id : int
        VIEWS ``country_id`` (the unit of country-month panels and forecasts).
    month : int
        The briefing month.
    source : str or None
        Event source of the event-based sections.
    coverage : dict of str to (int, int)
        First and last month with events in the country, per event source.
    key_origin : {'events', 'panel'} or None
        Where the key numbers come from.
    key_numbers : pandas.DataFrame
        Index :data:`~sentinelle.report.references.INDICATORS`; columns ``current``,
        ``previous`` (month before) and ``year_ago`` (same month a year earlier); NaN
        where unknown.
    panel_source : str or None
        Source of the stored ``panel_cm`` (``'views-cm'``, ``'ged'``, ``'acled'``).
    panel_last : int or None
        Last month of ``panel_cm``.
    trend_origin : {'events', 'panel'} or None
    trends : pandas.DataFrame
        ``month_id, violence_type, fatalities`` over the last :data:`TREND_MONTHS`.
    events : pandas.DataFrame
        The month's events: ``latitude, longitude, fatalities, violence_type``.
    actor_period : str
        ``'YYYY-MM..YYYY-MM'`` of the actor tables.
    actors, dyads : pandas.DataFrame
        Top actors (:func:`~sentinelle.actors.actor_activity`) and dyads.
    mission : str or None
        Peace operation with bases in the country (from ``deployments``).
    impact : StoredImpact or None
        Newest stored withdrawal-impact run of ``mission``.
    alerts : list of dict
        Active alerts (rows of ``alerts``), most severe first.
    forecast_run : dict or None
        The country-month forecast run used (newest with origin at or before ``month``).
    latest_forecast_origin : int or None
        Newest country-month forecast origin in the store, used or not.
    forecast : pandas.DataFrame
        ``forecast_summary`` rows of the country for the months after ``month``.
    forecast_history : pandas.DataFrame
        ``month_id, value``: the forecast target observed before the origin.
    risk_unit : {'pgm', 'cm'} or None
        Unit of the risk map: PRIO-GRID cells if a cell forecast exists, else countries.
    risk_month : int or None
    risk : pandas.DataFrame
        ``unit_id, p_exceed, mean`` for the risk map's units in ``risk_month``.
    shapes : geopandas.GeoDataFrame
        Country shapes (``views_id, iso3, geometry``) around the country, for maps.
    region : tuple of float or None
        Map extent ``(min_lon, min_lat, max_lon, max_lat)``; None without an outline.
    ingests : pandas.DataFrame
        Provenance: ``source, source_version, file, sha256, rows, finished_at``.
    generated : datetime.datetime
    """

    country_iso3: str
    country_id: int
    month: int
    source: str | None
    coverage: dict[str, tuple[int, int]]
    key_origin: str | None
    key_numbers: pd.DataFrame
    panel_source: str | None
    panel_last: int | None
    trend_origin: str | None
    trends: pd.DataFrame
    events: pd.DataFrame
    actor_period: str
    actors: pd.DataFrame
    dyads: pd.DataFrame
    mission: str | None
    impact: StoredImpact | None
    alerts: list[dict[str, Any]]
    forecast_run: dict[str, Any] | None
    latest_forecast_origin: int | None
    forecast: pd.DataFrame
    forecast_history: pd.DataFrame
    risk_unit: str | None
    risk_month: int | None
    risk: pd.DataFrame
    shapes: gpd.GeoDataFrame
    region: tuple[float, float, float, float] | None
    ingests: pd.DataFrame
    generated: dt.datetime

    @property
    def last_event_month(self) -> int | None:
        """Last month with events of the briefing's source, if any."""
        return self.coverage[self.source][1] if self.source in self.coverage else None

    @property
    def covered(self) -> bool:
        """Whether the event source covers the briefing month."""
        span = self.coverage.get(self.source or "")
        return span is not None and span[0] <= self.month <= span[1]


def _choose_source(coverage: dict[str, tuple[int, int]], month: int) -> str | None:
    """The preferred source covering ``month``, else the one with the latest events."""
    for source in (*EVENT_SOURCES, *sorted(coverage)):
        first, last = coverage.get(source, (0, -1))
        if first <= month <= last:
            return source
    return max(coverage, key=lambda s: coverage[s][1]) if coverage else None


def _event_months(
    con: duckdb.DuckDBPyConnection, iso3: str, source: str, first: int, last: int
) -> pd.DataFrame:
    """Events, fatalities and civilian deaths per month and violence type."""
    where, params = scope_sql(iso3, f"{month_string(first)}..{month_string(last)}")
    return con.execute(
        f"""
        SELECT {month_sql("date_start")}::INTEGER AS month_id,
               violence_type::VARCHAR AS violence_type, count(*) AS events,
               sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM events WHERE {where} AND source = ? AND NOT deleted GROUP BY ALL
        """,
        [*params, source],
    ).df()


def _indicators_from_events(monthly: pd.DataFrame, month: int) -> dict[str, float]:
    rows = monthly[monthly["month_id"] == month]
    by_type = rows.groupby("violence_type")["fatalities"].sum()
    values = {v: float(by_type.get(v, 0)) for v in VIOLENCE_TYPES}
    values["fatalities"] = float(rows["fatalities"].sum())
    values["civilian_deaths"] = float(rows["civilian_deaths"].sum())
    values["events"] = float(rows["events"].sum())
    return values


def _panel(
    con: duckdb.DuckDBPyConnection, country_id: int, first: int, last: int
) -> tuple[pd.DataFrame, str | None, int | None]:
    """The country's ``panel_cm`` rows (indexed by month), its source and last month."""
    empty = pd.DataFrame(index=pd.Index([], name="month_id"))
    if not panel_exists(con, "cm"):
        return empty, None, None
    record = con.execute(
        "SELECT source, last_month FROM panels WHERE panel_table = 'panel_cm'"
    ).fetchone()
    source, panel_last = (record[0], int(record[1])) if record else (None, None)
    present = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'panel_cm'"
        ).fetchall()
    }
    wanted = [c for c in (*_PANEL_COLUMNS.values(), *_PANEL_EVENT_COLUMNS) if c in present]
    rows = con.execute(
        f"SELECT month_id, {', '.join(wanted)} FROM panel_cm "
        "WHERE unit_id = ? AND month_id BETWEEN ? AND ? ORDER BY month_id",
        [country_id, first, last],
    ).df()
    return rows.set_index("month_id"), source, panel_last


def _indicators_from_panel(panel: pd.DataFrame, month: int) -> dict[str, float]:
    row = panel.loc[month].to_dict()
    values = {k: float(row[c]) if c in row else np.nan for k, c in _PANEL_COLUMNS.items()}
    values["other"] = np.nan
    values["fatalities"] = sum(values[v] for v in ("state_based", "non_state", "one_sided"))
    events = [float(row[c]) for c in _PANEL_EVENT_COLUMNS if c in row]
    values["events"] = sum(events) if len(events) == len(_PANEL_EVENT_COLUMNS) else np.nan
    return values


def _key_numbers(
    monthly: pd.DataFrame, covered: tuple[int, int] | None, panel: pd.DataFrame, month: int
) -> tuple[str | None, pd.DataFrame]:
    """Key numbers of the month, the month before and a year before, from one origin."""
    months = {"current": month, "previous": month - 1, "year_ago": month - 12}
    frame = pd.DataFrame(np.nan, index=list(INDICATORS), columns=list(months))
    if covered and covered[0] <= month <= covered[1]:
        origin = "events"
        for column, mid in months.items():
            if covered[0] <= mid <= covered[1]:
                frame[column] = pd.Series(_indicators_from_events(monthly, mid))
    elif month in panel.index:
        origin = "panel"
        for column, mid in months.items():
            if mid in panel.index:
                frame[column] = pd.Series(_indicators_from_panel(panel, mid))
    else:
        origin = None
    return origin, frame


def _trends(
    monthly: pd.DataFrame, covered: tuple[int, int] | None, panel: pd.DataFrame, month: int
) -> tuple[str | None, pd.DataFrame]:
    """Monthly fatalities by violence type over the window ending at ``month``.

    From events when they cover ``month`` (so that the chart agrees with the key
    numbers), else from the panel where it has months in the window, else from
    whatever months of the window the events cover.
    """
    window = range(month - TREND_MONTHS + 1, month + 1)
    event_months = [m for m in window if covered and covered[0] <= m <= covered[1]]
    panel_months = [m for m in window if m in panel.index]
    if event_months and (month in event_months or not panel_months):
        grid = pd.MultiIndex.from_product(
            [event_months, VIOLENCE_TYPES], names=["month_id", "violence_type"]
        )
        trends = (
            monthly.groupby(["month_id", "violence_type"])["fatalities"]
            .sum()
            .reindex(grid, fill_value=0)
            .reset_index()
        )
        return "events", trends
    if panel_months:
        columns = {v: c for v, c in _PANEL_COLUMNS.items() if v in VIOLENCE_TYPES}
        rows = panel.loc[panel_months, [c for c in columns.values() if c in panel.columns]]
        trends = rows.rename(columns={c: v for v, c in columns.items()}).reset_index()
        return "panel", trends.melt(
            id_vars="month_id", var_name="violence_type", value_name="fatalities"
        )
    return None, pd.DataFrame(columns=["month_id", "violence_type", "fatalities"])


def _mission(con: duckdb.DuckDBPyConnection, iso3: str) -> str | None:
    """The peace operation with most recorded base-years in the country."""
    rows = con.execute(
        "SELECT country, mission, count(*) AS n FROM deployments "
        "WHERE country IS NOT NULL GROUP BY ALL ORDER BY n DESC, mission"
    ).fetchall()
    for country, mission, _ in rows:
        try:
            if iso3_from_name(country) == iso3:
                return str(mission)
        except KeyError:  # a Geo-PKO spelling the country table does not know
            continue
    return None


def _alerts(con: duckdb.DuckDBPyConnection, iso3: str, month: int) -> list[dict[str, Any]]:
    """Alerts on the country, its regions or actors there, active in ``month``.

    Alerts on observed data are active for :data:`ALERT_LOOKBACK` months after theirs;
    forecast alerts for the months ahead that the briefing's forecasts cover.
    """
    frame = con.execute(
        """
        SELECT * FROM alerts
        WHERE (unit_id = $1 OR unit_id LIKE $2 OR unit_id LIKE $3)
          AND CASE WHEN rule = 'forecast_exceedance' THEN period > $4 AND period <= $5
                   ELSE period BETWEEN $6 AND $7 END
        ORDER BY level DESC, period DESC, rule, unit_id
        """,
        [
            iso3,
            f"{iso3}/%",
            f"%@{iso3}/%",
            month_string(month),
            month_string(month + FORECAST_MONTHS),
            month_string(month - ALERT_LOOKBACK),
            month_string(month),
        ],
    ).df()
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _region_gids(region: tuple[float, float, float, float]) -> list[int]:
    """PRIO-GRID cells overlapping a lon/lat box."""
    min_lon, min_lat, max_lon, max_lat = region
    rows = np.arange(int((min_lat + 90) / CELL_SIZE), int((max_lat + 90) / CELL_SIZE) + 1)
    cols = np.arange(int((min_lon + 180) / CELL_SIZE), int((max_lon + 180) / CELL_SIZE) + 1)
    grid_rows, grid_cols = np.meshgrid(rows.clip(0, 359), cols.clip(0, 719), indexing="ij")
    return [int(g) for g in np.unique(gid_from_row_col(grid_rows.ravel(), grid_cols.ravel()))]


def _risk(
    con: duckdb.DuckDBPyConnection,
    month: int,
    shapes: gpd.GeoDataFrame,
    region: tuple[float, float, float, float] | None,
) -> tuple[str | None, int | None, pd.DataFrame]:
    """Forecast risk of the first month after ``month``: cells if forecast, else countries."""
    empty = pd.DataFrame(columns=["unit_id", "p_exceed", "mean"])
    if region is None:
        return None, None, empty
    for unit, threshold in (("pgm", PGM_THRESHOLD), ("cm", CM_THRESHOLD)):
        run = latest_forecast_run(con, unit, FORECAST_TARGET, max_origin=month)
        if run is None or run["last_month"] <= month:
            continue
        units = _region_gids(region) if unit == "pgm" else shapes["views_id"].tolist()
        summary = forecast_summary(con, int(run["run_id"]), unit_ids=units, threshold=threshold)
        after = summary[summary["month_id"] > month]
        if after.empty:
            continue
        first = int(after["month_id"].min())
        rows = after.loc[after["month_id"] == first, ["unit_id", "p_exceed", "mean"]]
        return unit, first, rows.reset_index(drop=True)
    return None, None, empty


def _ingests(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute(
        "SELECT source, source_version, location, sha256, rows_read AS rows, finished_at "
        "FROM ingests WHERE status = 'ok' ORDER BY source, ingest_id DESC"
    ).df()
    frame["file"] = frame["location"].map(lambda p: Path(str(p)).name)
    frame["sha256"] = frame["sha256"].str[:12]
    return frame.drop(columns="location")


def collect_brief(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    month: str,
    *,
    source: str | None = None,
    boundaries: str | Path | None = None,
    top: int = 8,
) -> Brief:
    """Gather the data of a briefing on ``country_iso3`` for ``month`` from the store.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store (read only is enough).
    country_iso3 : str
        E.g. ``'MLI'``.
    month : str
        ``'YYYY-MM'``.
    source : str, optional
        Event source (``'ged'``, ``'acled'``, ``'ged_candidate'``); by default the
        first of :data:`~sentinelle.report.references.EVENT_SOURCES` with events in
        the country that month, else the source with the latest events there.
    boundaries : str or pathlib.Path, optional
        Country boundaries for the maps (e.g. Natural Earth admin-0); the Natural
        Earth shapes shipped with pyogrio when omitted.
    top : int
        Number of actors and dyads listed.

    Returns
    -------
    Brief

    Raises
    ------
    UsageError
        If ``month`` is not ``'YYYY-MM'`` or ``country_iso3`` not a known ISO3 code.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> brief = collect_brief(open_store(":memory:"), "MLI", "2024-06")
    >>> brief.key_origin is None, brief.events.empty
    (True, True)
    """
    iso3 = country_iso3.upper()
    try:
        mid = int(month_id_from_str(month))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    try:
        country_id = int(convert_code(iso3, "iso3", "views_id"))
    except KeyError as exc:
        raise UsageError(f"unknown ISO3 country code {country_iso3!r}") from exc
    coverage = event_coverage(con, iso3)
    source = source or _choose_source(coverage, mid)
    span = coverage.get(source or "")

    first = mid - max(TREND_MONTHS, 13) + 1
    monthly = (
        _event_months(con, iso3, source, first, mid)
        if source and span
        else pd.DataFrame(columns=["month_id", "violence_type", "events", "fatalities"])
    )
    panel, panel_source, panel_last = _panel(con, country_id, first, mid)
    key_origin, key_numbers = _key_numbers(monthly, span, panel, mid)
    trend_origin, trends = _trends(monthly, span, panel, mid)

    where, params = scope_sql(iso3, f"{month}..{month}")
    events = (
        con.execute(
            f"SELECT latitude, longitude, fatalities_best AS fatalities, "
            f"violence_type::VARCHAR AS violence_type FROM events "
            f"WHERE {where} AND source = ? AND NOT deleted AND latitude IS NOT NULL",
            [*params, source],
        ).df()
        if source
        else pd.DataFrame(columns=["latitude", "longitude", "fatalities", "violence_type"])
    )

    actor_period = f"{month_string(mid - ACTOR_MONTHS + 1)}..{month}"
    activity = (
        actor_activity(con, country_iso3=iso3, period=actor_period, freq="all", source=source)
        if source
        else pd.DataFrame()
    )
    # Civilians are the targets of violence, not actors to rank beside armed groups.
    top_actors = (
        activity[activity["actor_type"] != "civilians"]
        .sort_values(["fatalities", "events"], ascending=False)
        .head(top)
        if not activity.empty
        else activity
    )
    pairs = (
        dyads(con, country_iso3=iso3, period=actor_period, freq="all", source=source)
        if source
        else pd.DataFrame()
    )
    top_pairs = pairs.head(min(top, 5)) if not pairs.empty else pairs

    mission = _mission(con, iso3)
    # The briefing's one read from sentinelle.impact (its formatting is in render.py).
    impact = latest_impact(con, mission) if mission else None

    all_shapes = read_country_shapes(boundaries)
    outline = all_shapes[all_shapes["iso3"] == iso3]
    region: tuple[float, float, float, float] | None = None
    shapes = all_shapes.iloc[0:0]
    if not outline.empty:
        min_lon, min_lat, max_lon, max_lat = outline.total_bounds
        region = (
            float(min_lon - MAP_MARGIN_DEG),
            float(min_lat - MAP_MARGIN_DEG),
            float(max_lon + MAP_MARGIN_DEG),
            float(max_lat + MAP_MARGIN_DEG),
        )
        shapes = all_shapes.cx[region[0] : region[2], region[1] : region[3]]

    forecast_run = latest_forecast_run(con, "cm", FORECAST_TARGET, max_origin=mid)
    latest = con.execute(
        "SELECT max(origin) FROM forecast_runs WHERE unit = 'cm' AND target = ?",
        [FORECAST_TARGET],
    ).fetchone()
    forecast = pd.DataFrame(columns=["month_id", "median", "q05", "q95", "p_exceed"])
    history = pd.DataFrame(columns=["month_id", "value"])
    if forecast_run is not None:
        summary = forecast_summary(
            con, int(forecast_run["run_id"]), unit_ids=[country_id], threshold=CM_THRESHOLD
        )
        forecast = summary[summary["month_id"].between(mid + 1, mid + FORECAST_MONTHS)]
        origin = int(forecast_run["origin"])
        past, _, _ = _panel(con, country_id, origin - 23, origin)
        if _PANEL_COLUMNS["state_based"] in past.columns:
            history = (
                past[_PANEL_COLUMNS["state_based"]]
                .rename("value")
                .reset_index()
                .astype({"month_id": int})
            )
    risk_unit, risk_month, risk = _risk(con, mid, shapes, region)

    return Brief(
        country_iso3=iso3,
        country_id=country_id,
        month=mid,
        source=source,
        coverage=coverage,
        key_origin=key_origin,
        key_numbers=key_numbers,
        panel_source=panel_source,
        panel_last=panel_last,
        trend_origin=trend_origin,
        trends=trends,
        events=events,
        actor_period=actor_period,
        actors=top_actors,
        dyads=top_pairs,
        mission=mission,
        impact=impact,
        alerts=_alerts(con, iso3, mid),
        forecast_run=forecast_run,
        latest_forecast_origin=int(latest[0]) if latest and latest[0] is not None else None,
        forecast=forecast.reset_index(drop=True),
        forecast_history=history,
        risk_unit=risk_unit,
        risk_month=risk_month,
        risk=risk,
        shapes=shapes,
        region=region,
        ingests=_ingests(con),
        generated=dt.datetime.now(),
    )
