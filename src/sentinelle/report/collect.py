"""A briefing's data, read from the store: :func:`collect_brief` and its :class:`Brief`.

Every store read of a briefing happens here, and gives plain data that
:mod:`~sentinelle.report.charts` and :mod:`~sentinelle.report.render` only format:
key numbers and their change, the month's events, trends, actors, the withdrawal-impact
run that concerns the briefing's month, active alerts, forecasts, the months each
source used covers (:attr:`Brief.currency`) and the provenance of each input.

Nothing is invented where the store lacks data. Sources end at different dates (the
ACLED event copies used in tests end in 2020, VIEWS country-month totals in 2023,
ACLED's subnational monthly aggregates on HDX in 2024). The key numbers, trends and
area picture come from the first of these that covers the briefing month:

1. an event source (:data:`~sentinelle.report.references.EVENT_SOURCES` order): events
   give the split by type of violence, the actors and the map of events;
2. ACLED's monthly aggregates by admin area (``admin_aggregates``, source
   :data:`~sentinelle.report.references.AGGREGATE_SOURCE`): deaths and events of
   political violence, and of civilian targeting where HDX publishes that series, per
   cercle or province, but no split by type of violence and no perpetrator; preferred
   to the country-month panel because they are subnational, count events and reach
   the latest months;
3. the country-month panel (``panel_cm``, e.g. VIEWS's UCDP totals): deaths by type of
   violence only.

Each origin says so on the page; a section with no data is left empty for the page to
say what is missing. Event sources are never mixed in one number, since GED and ACLED
describe the same killings differently.

Subnational hotspots (:attr:`Brief.hotspots`) name the admin units with the highest
expected deaths next month and over the next 12 months, from the newest stored
forecast of the country's cercles or provinces (else its regions) on ACLED's HDX
aggregates.

Nothing in a briefing is computed from data after its month where that would put the
future in it: forecasts (country, cell and subnational) and forecast alerts come from
runs whose origin is at or before the month, observed alerts from the month and the
two before it. The impact
section shows the stored run that estimates the mission's withdrawal of the briefing
window (its latest closures up to the month and those of the
:data:`~sentinelle.report.references.WITHDRAWAL_SPAN` months before), never a run of
closures all after the month, of other closures, or whose data end before the
closures: that run is named in :attr:`Brief.impact_withheld` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from sentinelle.actors import actor_activity, dyads
from sentinelle.errors import UsageError
from sentinelle.forecast.export import units_of
from sentinelle.forecast.store import forecast_summary, latest_forecast_run
from sentinelle.geo import (
    convert_code,
    gid_from_row_col,
    iso3_from_name,
    month_id,
    month_id_from_str,
    month_string,
)
from sentinelle.geo.priogrid import CELL_SIZE
from sentinelle.impact import StoredImpact, load_closures
from sentinelle.impact.bases import BASE_COLUMNS
from sentinelle.impact.results import EFFECT_COLUMNS, EVENT_STUDY_COLUMNS
from sentinelle.panel import panel_exists
from sentinelle.panel.inputs import read_country_shapes
from sentinelle.report.references import (
    AGGREGATE_SERIES,
    AGGREGATE_SOURCE,
    CM_THRESHOLD,
    EVENT_SOURCES,
    INDICATORS,
    PGM_THRESHOLD,
    WITHDRAWAL_SPAN,
)
from sentinelle.store import records
from sentinelle.store.aggregates import aggregate_coverage, current_aggregates
from sentinelle.store.currency import Coverage, data_currency, panel_currency
from sentinelle.store.queries import event_coverage, month_sql, scope_sql
from sentinelle.store.schema import VIOLENCE_TYPES

__all__ = ["Brief", "Hotspots", "collect_brief", "latest_complete_month"]

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
# Admin areas listed in the area picture of the aggregates.
TOP_AREAS = 8
# Columns of the area tables (Brief.areas, Brief.regions).
AREA_COLUMNS = [
    "pcode", "name", "admin1_name", "fatalities", "events", "fatalities_12m",
    "civilian_targeting", "civilian_targeting_12m",
]  # fmt: skip
_EFFECT_ROW_COLUMNS = [c for c in EFFECT_COLUMNS if c not in ("mission", "outcome")]
# Subnational forecasts of the hotspots: finest level first, from ACLED's HDX aggregates.
HOTSPOT_UNITS = ("admin2", "admin1")
HOTSPOT_SOURCE = AGGREGATE_SOURCE
HOTSPOT_TARGET = "fatalities"
# Units named in each hotspot table.
TOP_HOTSPOTS = 5
# Columns of the hotspot tables (Hotspots.next_month, Hotspots.year).
HOTSPOT_COLUMNS = ["unit_id", "unit_code", "unit_name", "admin1_name", "mean", "median", "q05",
                   "q95"]  # fmt: skip


@dataclass(frozen=True)
class Hotspots:
    """The admin units with the highest expected deaths, from a stored subnational forecast.

    Attributes
    ----------
    unit : {'admin2', 'admin1'}
        Level of the forecast (admin-2 when one fits the briefing, else admin-1).
    run : dict
        Its ``forecast_runs`` row (origin at or before the briefing month).
    month : int
        The first forecast month after the briefing month.
    next_month : pandas.DataFrame
        :data:`HOTSPOT_COLUMNS` of the :data:`TOP_HOTSPOTS` units with the highest mean
        deaths in ``month`` (mean, median and 5th and 95th percentiles of the draws).
    months : tuple of int
        First and last forecast month of ``year``: the 12 months after the briefing
        month, or fewer when the forecast ends sooner.
    year : pandas.DataFrame
        The same for deaths over ``months``: each draw's months added up.
    currency : tuple of Coverage
        The months the forecast's source covers in the country.
    """

    unit: str
    run: dict[str, Any]
    month: int
    next_month: pd.DataFrame
    months: tuple[int, int]
    year: pd.DataFrame
    currency: tuple[Coverage, ...] = ()


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
    key_origin : {'events', 'aggregates', 'panel'} or None
        Where the key numbers come from (see the module docstring).
    key_numbers : pandas.DataFrame
        Index :data:`~sentinelle.report.references.INDICATORS`; columns ``current``,
        ``previous`` (month before) and ``year_ago`` (same month a year earlier); NaN
        where unknown.
    panel_source : str or None
        Source of the stored ``panel_cm`` (``'views-cm'``, ``'ged'``, ``'acled'``).
    panel_last : int or None
        Last month of ``panel_cm``.
    trend_origin : {'events', 'aggregates', 'panel'} or None
    trends : pandas.DataFrame
        ``month_id, violence_type, fatalities`` over the last :data:`TREND_MONTHS`;
        from the aggregates, ``violence_type`` is the series (``'political_violence'``,
        ``'civilian_targeting'``).
    events : pandas.DataFrame
        The month's events: ``latitude, longitude, fatalities, violence_type``.
    actor_period : str
        ``'YYYY-MM..YYYY-MM'`` of the actor tables.
    actors, dyads : pandas.DataFrame
        Top actors (:func:`~sentinelle.actors.actor_activity`) and dyads.
    mission : str or None
        Peace operation with bases in the country (from ``deployments``).
    impact : StoredImpact or None
        The stored withdrawal-impact run of ``mission`` that estimates the closures
        of the briefing window (newest such run), None if there is none.
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
    aggregate_level : int or None
        Admin level of the aggregates read (2 when stored, else 1), None without any.
    aggregate_series : tuple of str
        Aggregate series of the country covering the month (:data:`AGGREGATE_SERIES`).
    areas, regions : pandas.DataFrame
        The area picture from the aggregates when they give the key numbers:
        :data:`AREA_COLUMNS` for the :data:`TOP_AREAS` admin-2 areas (cercles,
        provinces) with most deaths in the month, and for every admin-1 region, sorted
        by deaths (month, then 12 months up to it). Empty otherwise.
    currency : tuple of Coverage
        The months each source the briefing used covers in the country
        (:func:`sentinelle.store.currency.data_currency`).
    impact_withheld : dict or None
        When no stored run fits the briefing: the newest run of the mission, with
        ``run`` (its ``impact_runs`` row), ``reason`` (``'later'``: its closures all
        come after the month; ``'short'``: its data end before the withdrawal's
        closures; ``'other'``: it estimates other closures), ``closures`` (first and
        last closure month of the run, or None).
    withdrawal : tuple of int or None
        First and last closure month of the briefing window's withdrawal, as known
        from the curated closure table and the stored runs.
    hotspots : Hotspots or None
        Units with the highest expected deaths, from the newest subnational forecast
        (:data:`HOTSPOT_UNITS`, source :data:`HOTSPOT_SOURCE`) of the country made with
        data up to ``month`` and covering the month after it; None without one.
    hotspot_latest_origin : int or None
        Newest origin of such a forecast of the country in the store, used or not.
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
    aggregate_level: int | None = None
    aggregate_series: tuple[str, ...] = ()
    areas: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AREA_COLUMNS))
    regions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AREA_COLUMNS))
    currency: tuple[Coverage, ...] = ()
    impact_withheld: dict[str, Any] | None = None
    withdrawal: tuple[int, int] | None = None
    hotspots: Hotspots | None = None
    hotspot_latest_origin: int | None = None

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


def _aggregates(
    con: duckdb.DuckDBPyConnection, iso3: str, first: int, last: int
) -> tuple[int | None, dict[str, pd.DataFrame], dict[str, tuple[int, int]]]:
    """The country's current aggregates per series (``first..last``), level and spans.

    The admin-2 level when stored for the country (cercles, provinces), else admin-1;
    each series' frame holds ``pcode, name, admin1_pcode, admin1_name, month_id,
    events, fatalities``, and the span its first and last stored month.
    """
    cover = aggregate_coverage(con, source=AGGREGATE_SOURCE, iso3=iso3)
    if cover.empty:
        return None, {}, {}
    level = 2 if (cover["admin_level"] == 2).any() else 1
    frames: dict[str, pd.DataFrame] = {}
    spans: dict[str, tuple[int, int]] = {}
    for row in cover[cover["admin_level"] == level].to_dict("records"):
        series = str(row["series"])
        if series not in AGGREGATE_SERIES:
            continue
        rows = current_aggregates(
            con, source=AGGREGATE_SOURCE, series=series, iso3=iso3, level=level
        )
        frames[series] = rows[rows["month_id"].between(first, last)].reset_index(drop=True)
        spans[series] = (int(row["first_month"]), int(row["last_month"]))
    return level, frames, spans


def _aggregate_totals(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Country totals per month: ``fatalities, events`` (political violence) and
    ``civilian_targeting, civilian_targeting_events`` where that series is stored."""
    columns = {
        "political_violence": {"fatalities": "fatalities", "events": "events"},
        "civilian_targeting": {
            "fatalities": "civilian_targeting",
            "events": "civilian_targeting_events",
        },
    }
    parts = [
        frame.groupby("month_id")[["fatalities", "events"]].sum().rename(columns=columns[s])
        for s, frame in frames.items()
        if s in columns
    ]
    if not parts:
        return pd.DataFrame(index=pd.Index([], name="month_id"))
    return pd.concat(parts, axis=1).astype(float)


def _area_table(frames: dict[str, pd.DataFrame], month: int, by: str) -> pd.DataFrame:
    """Deaths and events per area (``by``: ``'pcode'`` or ``'admin1_pcode'``) in
    ``month``, and deaths in the 12 months up to it; civilian targeting where stored."""
    pv = frames.get("political_violence")
    if pv is None or pv.empty:
        return pd.DataFrame(columns=AREA_COLUMNS)
    keys = ["pcode", "name", "admin1_name"] if by == "pcode" else ["admin1_pcode", "admin1_name"]

    def sums(frame: pd.DataFrame, months: range, column: str) -> pd.Series:
        rows = frame[frame["month_id"].isin(months)]
        return rows.groupby(keys, dropna=False)[column].sum()

    year = range(month - 11, month + 1)
    table = pd.DataFrame(
        {
            "fatalities": sums(pv, range(month, month + 1), "fatalities"),
            "events": sums(pv, range(month, month + 1), "events"),
            "fatalities_12m": sums(pv, year, "fatalities"),
        }
    )
    ct = frames.get("civilian_targeting")
    if ct is not None and not ct.empty:
        table["civilian_targeting"] = sums(ct, range(month, month + 1), "fatalities")
        table["civilian_targeting_12m"] = sums(ct, year, "fatalities")
    table = table.reset_index()
    if by != "pcode":
        table = table.rename(columns={"admin1_pcode": "pcode"})
        table["name"] = table["admin1_name"]
    table = table.reindex(columns=AREA_COLUMNS)
    return table.sort_values(
        ["fatalities", "fatalities_12m", "name"], ascending=[False, False, True], ignore_index=True
    )


def _key_numbers(
    monthly: pd.DataFrame,
    covered: tuple[int, int] | None,
    totals: pd.DataFrame,
    panel: pd.DataFrame,
    month: int,
) -> tuple[str | None, pd.DataFrame]:
    """Key numbers of the month, the month before and a year before, from one origin:
    events, else the aggregates' country totals, else the country-month panel."""
    months = {"current": month, "previous": month - 1, "year_ago": month - 12}
    frame = pd.DataFrame(np.nan, index=list(INDICATORS), columns=list(months))
    if covered and covered[0] <= month <= covered[1]:
        origin = "events"
        for column, mid in months.items():
            if covered[0] <= mid <= covered[1]:
                frame[column] = pd.Series(_indicators_from_events(monthly, mid))
    elif month in totals.index:
        origin = "aggregates"
        for column, mid in months.items():
            if mid in totals.index:
                frame[column] = totals.loc[mid].reindex(frame.index)
    elif month in panel.index:
        origin = "panel"
        for column, mid in months.items():
            if mid in panel.index:
                frame[column] = pd.Series(_indicators_from_panel(panel, mid))
    else:
        origin = None
    return origin, frame


def _trends(
    monthly: pd.DataFrame,
    covered: tuple[int, int] | None,
    totals: pd.DataFrame,
    panel: pd.DataFrame,
    month: int,
) -> tuple[str | None, pd.DataFrame]:
    """Monthly fatalities over the window ending at ``month``.

    From the origin of the key numbers (events by violence type, the aggregates by
    series, the panel by violence type) so that the chart agrees with them; when none
    covers ``month``, from whatever months of the window the panel, then the events,
    then the aggregates cover.
    """
    window = range(month - TREND_MONTHS + 1, month + 1)
    event_months = [m for m in window if covered and covered[0] <= m <= covered[1]]
    total_months = [m for m in window if m in totals.index]
    panel_months = [m for m in window if m in panel.index]

    def from_events() -> tuple[str, pd.DataFrame]:
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

    def from_totals() -> tuple[str, pd.DataFrame]:
        series = {"fatalities": "political_violence", "civilian_targeting": "civilian_targeting"}
        rows = totals.loc[total_months, [c for c in series if c in totals.columns]]
        rows = rows.rename(columns=series).reset_index()
        return "aggregates", rows.melt(
            id_vars="month_id", var_name="violence_type", value_name="fatalities"
        )

    def from_panel() -> tuple[str, pd.DataFrame]:
        columns = {v: c for v, c in _PANEL_COLUMNS.items() if v in VIOLENCE_TYPES}
        rows = panel.loc[panel_months, [c for c in columns.values() if c in panel.columns]]
        trends = rows.rename(columns={c: v for v, c in columns.items()}).reset_index()
        return "panel", trends.melt(
            id_vars="month_id", var_name="violence_type", value_name="fatalities"
        )

    if month in event_months:
        return from_events()
    if month in total_months:
        return from_totals()
    if panel_months:
        return from_panel()
    if event_months:
        return from_events()
    if total_months:
        return from_totals()
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


def _closure_month(value: object) -> int | None:
    """The month id of a closure date (None when missing)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return int(month_id(stamp.year, stamp.month))


def _impact_runs(con: duckdb.DuckDBPyConnection, mission: str, iso3: str) -> list[dict[str, Any]]:
    """The stored runs of ``mission`` on ``iso3`` (or all its countries), newest first,
    each with ``closures``: the sorted closure months of its per-base table."""
    frame = con.execute(
        "SELECT * FROM impact_runs WHERE upper(mission) = upper(?) "
        "AND (country IS NULL OR upper(country) = ?) ORDER BY created_at DESC, run_id DESC",
        [mission, iso3],
    ).df()
    runs = []
    for run in frame.to_dict("records"):
        dates = con.execute(
            "SELECT closure_date FROM impact_bases WHERE run_id = ?", [int(run["run_id"])]
        ).fetchall()
        months = sorted({m for (d,) in dates if (m := _closure_month(d)) is not None})
        runs.append({**{str(k): v for k, v in run.items()}, "closures": months})
    return runs


def _stored_impact(con: duckdb.DuckDBPyConnection, run: dict[str, Any]) -> StoredImpact:
    """One stored run read back, as :func:`sentinelle.impact.latest_impact` reads the newest."""
    run_id = int(run["run_id"])
    effects = con.execute(
        f"SELECT {', '.join(_EFFECT_ROW_COLUMNS)} FROM impact_effects WHERE run_id = ? "
        "ORDER BY estimator, ring",
        [run_id],
    ).df()
    event_study = con.execute(
        f"SELECT {', '.join(EVENT_STUDY_COLUMNS)} FROM impact_event_study WHERE run_id = ? "
        "ORDER BY estimator, ring, rel_month",
        [run_id],
    ).df()
    bases = con.execute(
        f"SELECT {', '.join(BASE_COLUMNS)} FROM impact_bases WHERE run_id = ? "
        "ORDER BY closure_date, base",
        [run_id],
    ).df()
    record = {k: v for k, v in run.items() if k != "closures"}
    return StoredImpact(run=record, effects=effects, event_study=event_study, bases=bases)


def _withdrawal(mission: str, runs: list[dict[str, Any]], month: int) -> list[int]:
    """Closure months of the briefing window's withdrawal: the mission's latest closure
    up to ``month`` and those of the :data:`WITHDRAWAL_SPAN` months before it, from the
    curated closure table and the per-base tables of the stored runs."""
    curated = load_closures()
    curated = curated[curated["mission"].str.upper() == mission.upper()]
    known = {m for d in curated["closure_date"] if (m := _closure_month(d)) is not None}
    known |= {m for run in runs for m in run["closures"]}
    before = sorted(m for m in known if m <= month)
    if not before:
        return []
    return [m for m in before if m > before[-1] - WITHDRAWAL_SPAN]


def _why_not(run: dict[str, Any], withdrawal: list[int], month: int) -> str | None:
    """Why ``run`` does not estimate the withdrawal of the briefing window (None: it does).

    ``'later'``: all its closures come after ``month``; ``'short'``: its data end before
    a month after the withdrawal's first closure (or start after it); ``'other'``: it
    estimates other closures than the withdrawal's.
    """
    closures: list[int] = run["closures"]
    if closures and closures[0] > month:
        return "later"
    if not withdrawal:
        return None
    first, last = withdrawal[0], withdrawal[-1]
    if int(run["last_month"]) <= first or int(run["first_month"]) >= first:
        return "short"
    if closures and not any(first <= c <= last for c in closures):
        return "other"
    return None


def _impact(
    con: duckdb.DuckDBPyConnection, mission: str, iso3: str, month: int
) -> tuple[StoredImpact | None, dict[str, Any] | None, tuple[int, int] | None]:
    """The newest stored run that estimates the briefing window's withdrawal; else the
    newest run with the reason it is not shown; and the withdrawal's closure months."""
    runs = _impact_runs(con, mission, iso3)
    closures = _withdrawal(mission, runs, month)
    span = (closures[0], closures[-1]) if closures else None
    for run in runs:
        if _why_not(run, closures, month) is None:
            return _stored_impact(con, run), None, span
    if not runs:
        return None, None, span
    newest = runs[0]
    record = {k: v for k, v in newest.items() if k != "closures"}
    shown = (newest["closures"][0], newest["closures"][-1]) if newest["closures"] else None
    reason = _why_not(newest, closures, month)
    return None, {"run": record, "reason": reason, "closures": shown}, span


def _alert_origin(con: duckdb.DuckDBPyConnection, evidence: object) -> int | None:
    """The origin (month id) of the forecast behind a forecast alert, None if unknown.

    From the ``origin`` its evidence records, else from its ``forecast_run``.
    """
    try:
        found = json.loads(str(evidence)) if isinstance(evidence, str) else evidence
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    if found.get("origin"):
        try:
            return int(month_id_from_str(str(found["origin"])))
        except ValueError:
            return None
    if found.get("forecast_run") is not None:
        row = con.execute(
            "SELECT origin FROM forecast_runs WHERE run_id = ?", [int(found["forecast_run"])]
        ).fetchone()
        return int(row[0]) if row else None
    return None


def _alerts(con: duckdb.DuckDBPyConnection, iso3: str, month: int) -> list[dict[str, Any]]:
    """Alerts on the country, its regions or actors there, active in ``month``.

    Alerts on observed data are active for :data:`ALERT_LOOKBACK` months after theirs;
    forecast alerts for the months ahead that the briefing's forecasts cover, and only
    from forecasts made with data up to ``month`` (a forecast alert whose origin is
    unknown or later is left out: it could tell the briefing what came after).
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
    kept = []
    for row in frame.to_dict("records"):
        if row["rule"] == "forecast_exceedance":
            origin = _alert_origin(con, row.get("evidence"))
            if origin is None or origin > month:
                continue
        kept.append({str(k): v for k, v in row.items()})
    return kept


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


def _hotspot_runs(con: duckdb.DuckDBPyConnection, unit: str, iso3: str) -> list[dict[str, Any]]:
    """Stored forecasts of ``unit`` areas of ``iso3`` alone, from :data:`HOTSPOT_SOURCE`,
    latest origin first (then newest), as :func:`latest_forecast_run` orders them."""
    return records(
        con.execute(
            "SELECT * FROM forecast_runs WHERE unit = ? AND target = ? "
            "AND json_extract_string(meta, '$.countries') = ? "
            "AND json_extract_string(meta, '$.source') = ? "
            "ORDER BY origin DESC, created_at DESC, run_id DESC",
            [unit, HOTSPOT_TARGET, iso3, HOTSPOT_SOURCE],
        )
    )


def _hotspot_table(
    con: duckdb.DuckDBPyConnection,
    run: dict[str, Any],
    months: tuple[int, int],
    regions: dict[str, str],
) -> pd.DataFrame:
    """The :data:`TOP_HOTSPOTS` units of ``run`` with the highest mean deaths over
    ``months`` (each draw's months added up), with their names and regions.

    Units whose every draw is zero are no hotspot and are left out.
    """
    stats = con.execute(
        """
        WITH totals AS (
            SELECT unit_id, draw, sum(outcome) AS total FROM forecast_draws
            WHERE run_id = ? AND month_id BETWEEN ? AND ? GROUP BY unit_id, draw
        )
        SELECT unit_id, avg(total) AS mean, quantile_cont(total, 0.5) AS median,
               quantile_cont(total, 0.05) AS q05, quantile_cont(total, 0.95) AS q95
        FROM totals GROUP BY unit_id
        """,
        [int(run["run_id"]), months[0], months[1]],
    ).df()
    stats = stats[stats["mean"] > 0]
    units = units_of(json.loads(str(run["meta"]))) if run.get("meta") else None
    if units is None:
        units = pd.DataFrame({"unit_id": stats["unit_id"], "unit_code": "", "unit_name": ""})
    table = stats.merge(units, on="unit_id", how="left").fillna({"unit_code": "", "unit_name": ""})
    table["unit_name"] = table["unit_name"].where(table["unit_name"] != "", table["unit_code"])
    table["admin1_name"] = table["unit_code"].map(regions)
    table = table.sort_values(
        ["mean", "median", "unit_name"], ascending=[False, False, True], ignore_index=True
    )
    return table.head(TOP_HOTSPOTS).reindex(columns=HOTSPOT_COLUMNS)


def _hotspots(
    con: duckdb.DuckDBPyConnection, iso3: str, month: int
) -> tuple[Hotspots | None, int | None]:
    """The hotspots of the newest subnational forecast made with data up to ``month``
    that covers the month after it (admin-2 first, else admin-1); and the newest
    origin of any subnational forecast of the country, used or not."""
    found: Hotspots | None = None
    latest: int | None = None
    for unit in HOTSPOT_UNITS:
        runs = _hotspot_runs(con, unit, iso3)
        if runs:
            newest = int(runs[0]["origin"])
            latest = newest if latest is None else max(latest, newest)
        run = next(
            (r for r in runs if int(r["origin"]) <= month and int(r["last_month"]) > month), None
        )
        if run is None or found is not None:
            continue
        level = int(unit[-1])
        # The region of each cercle or province, as the aggregates name it.
        names = con.execute(
            "SELECT pcode, max(admin1_name) FROM admin_aggregates "
            "WHERE source = ? AND iso3 = ? AND admin_level = 2 GROUP BY pcode",
            [HOTSPOT_SOURCE, iso3],
        ).fetchall()
        regions = {str(code): str(name) for code, name in names if name} if level == 2 else {}
        year = (month + 1, min(month + FORECAST_MONTHS, int(run["last_month"])))
        spans = [
            s
            for s in data_currency(con, country=iso3, kinds=("aggregates",))
            if s.source == HOTSPOT_SOURCE
        ]
        found = Hotspots(
            unit=unit,
            run=run,
            month=month + 1,
            next_month=_hotspot_table(con, run, (month + 1, month + 1), regions),
            months=year,
            year=_hotspot_table(con, run, year, regions),
            currency=tuple(s for s in spans if s.level == level) or tuple(spans),
        )
    return found, latest


def _ingests(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute(
        "SELECT source, source_version, location, sha256, rows_read AS rows, finished_at "
        "FROM ingests WHERE status = 'ok' ORDER BY source, ingest_id DESC"
    ).df()
    frame["file"] = frame["location"].map(lambda p: Path(str(p)).name)
    frame["sha256"] = frame["sha256"].str[:12]
    return frame.drop(columns="location")


def _currency(
    con: duckdb.DuckDBPyConnection, iso3: str, used: set[str], panel: bool
) -> tuple[Coverage, ...]:
    """The spans (months covered in the country) of the sources ``used``, and of the
    country-month panel's data when ``panel``."""
    spans = [
        span
        for span in data_currency(con, country=iso3, kinds=("events", "aggregates", "deployments"))
        if span.source in used
    ]
    record = panel_currency(con, "cm") if panel else None
    if record is not None:
        spans.append(record)
    return tuple(spans)


def latest_complete_month(con: duckdb.DuckDBPyConnection, country_iso3: str) -> int | None:
    """The latest complete month of data on the country, across sources (None: no data).

    Subnational monthly aggregates (ACLED on HDX) are published by complete month, so
    their last month counts; an event source's last month is usually cut short by the
    data's end date (ACLED's HDX event file stops in July 2020), so the month before its
    latest event counts: briefing on it would show a drop that is only missing data.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> latest_complete_month(open_store(":memory:"), "MLI") is None
    True
    """
    iso3 = country_iso3.upper()
    row = con.execute(
        "SELECT strftime(max(date_end) - INTERVAL 1 MONTH, '%Y-%m') FROM events "
        "WHERE country_iso3 = ? AND NOT deleted",
        [iso3],
    ).fetchone()
    months = [int(month_id_from_str(str(row[0])))] if row and row[0] is not None else []
    cover = aggregate_coverage(con, iso3=iso3)
    if not cover.empty:
        months.append(int(cover["last_month"].max()))
    return max(months) if months else None


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
    level, frames, agg_spans = _aggregates(con, iso3, first, mid)
    totals = _aggregate_totals(frames)
    key_origin, key_numbers = _key_numbers(monthly, span, totals, panel, mid)
    trend_origin, trends = _trends(monthly, span, totals, panel, mid)
    areas = regions = pd.DataFrame(columns=AREA_COLUMNS)
    if key_origin == "aggregates":
        areas = _area_table(frames, mid, "pcode").head(TOP_AREAS)
        if level == 2:
            regions = _area_table(frames, mid, "admin1_pcode")

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
    impact, withheld, withdrawal = (
        _impact(con, mission, iso3, mid) if mission else (None, None, None)
    )

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
    hotspots, hotspot_latest = _hotspots(con, iso3, mid)

    origins = {key_origin, trend_origin}
    used = {source} if source and "events" in origins else set()
    if "aggregates" in origins:
        used.add(AGGREGATE_SOURCE)
    if hotspots is not None:
        used.add(HOTSPOT_SOURCE)
    if impact is not None and impact.run.get("event_source"):
        used.add(str(impact.run["event_source"]))
    if mission:
        used |= {
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT source FROM deployments WHERE mission = ?", [mission]
            ).fetchall()
        }
    currency = _currency(con, iso3, used, panel="panel" in origins)

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
        aggregate_level=level,
        aggregate_series=tuple(s for s, (a, b) in agg_spans.items() if a <= mid <= b),
        areas=areas,
        regions=regions,
        currency=currency,
        impact_withheld=withheld,
        withdrawal=withdrawal,
        hotspots=hotspots,
        hotspot_latest_origin=hotspot_latest,
    )
