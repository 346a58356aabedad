"""Peacekeeper entry and exit across missions: a staggered design on PRIO-GRID cells.

:func:`run_staggered` estimates, on every cell of a region (``'africa'``) and every
period (year or month) of a window, what the arrival (``event='entry'``) or the
departure (``'exit'``) of UN peacekeeping bases did to violence against civilians,
pooled over the missions asked for and per mission, with the Callaway-Sant'Anna
estimator (:func:`~sentinelle.impact.estimators.cs_fast.staggered_att`).

Units and rings (PRIO-GRID Queen contiguity, not km)
    A cell's *presence* in a period is whether any base of the missions studied is
    listed in it that period (:func:`~sentinelle.impact.timeline.base_timeline`, per
    mission from its most precise deployment source). Ring ``0`` ("same cell") is
    the cells hosting a base; ring ``1`` ("neighbouring cells") the cells never
    hosting one in the window but one of whose 8 Queen neighbours
    (:func:`sentinelle.geo.priogrid.ring_pairs`) does: their exposure is the
    neighbours' presence. Each ring is its own design. The single-mission analysis
    (``run_impact``) keeps its km rings; this design counts cells, as the
    cross-mission literature does, so that "neighbour" means the same thing in
    Darfur and in Mali whatever the cell's latitude.

Treatment (absorbing, one per cell)
    ``entry``: the first period exposed, if the cell was unexposed at the window's
    start; the cohort is the first *full* period with the base (the period after the
    one it first appears in). ``exit``: the period after the last one exposed, if no
    exposure follows within the window and the exposure lasted two periods or more;
    cells treated by the entry of a base they later lose stay in the exit design.
    The period of the event itself is partly treated and goes to neither side: the
    estimator runs with ``anticipation=1``, so every post period is compared with
    the period before it.

Comparisons
    *Controls* are cells neither hosting nor neighbouring a base in the window,
    plus, for ``exit``, cells exposed in every period (they keep their base); the
    not-yet-treated cells of each cohort compare too. Cells exposed from the start
    are left out of ``entry`` (always treated), and cells whose exposure starts in
    the window and never ends are left out of ``exit`` (their entry is a treatment of
    its own).

Mission ends
    A base still listed in its mission's last period is open at the end of the data
    (:mod:`~sentinelle.impact.timeline`). When a mission's rows end inside the window
    (UNAMSIL in 2005, MONUC in 2010, ...) the data do not say whether its bases
    closed or passed to a successor: a cell whose presence ends there is left out of
    the exit design (with a note naming the missions), unless another base keeps it
    exposed (MONUC's bases taken over by MONUSCO in the same cell).

Precision
    Periods are years when the event source or a deployment source is dated to the
    year (:func:`~sentinelle.store.queries.event_precision`; RADPKO's yearly summary,
    Geo-PKO): no month is invented. Months need both to be monthly.

Per mission
    A treated cell belongs to the mission of the base whose arrival (departure)
    treats it. A mission is estimated on its own treated cells and the controls in its
    countries when a ring has at least :data:`MIN_TREATED` treated cells.

Outcomes
    ``any_civilian_deaths`` (1 if any civilian death is recorded in the cell and
    period), ``civilian_deaths`` (their number), and, when the events carry sides
    (ACLED, the full GED release), the same split by perpetrator for one-sided
    violence: ``..._government`` (``side_a`` a government: UCDP's "Government of
    ...", ACLED's "Military/Police Forces of ...") and ``..._rebel`` (every other
    perpetrator: rebels and other non-state groups). Without sides the split is
    refused and said so (:func:`~sentinelle.store.queries.missing_event_fields`).

Engines
    The panel (outcome matrices, presence, neighbours' presence, censored ends) is
    built with numpy in this process by default (``engine='duckdb'``, the store being
    read through DuckDB). ``engine='spark'`` computes the same matrices with Spark SQL
    (:mod:`~sentinelle.impact.staggered_sql`, run by the panel engines of
    :data:`sentinelle.panel.ENGINES`, the inputs handed over as Parquet); both give
    identical matrices, and the estimator runs on them unchanged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import stats

from sentinelle.errors import ImpactError, NoDataError, SchemaError, UsageError
from sentinelle.geo import gid_from_latlon, month_id, month_id_from_date
from sentinelle.geo.boundaries import read_country_outlines
from sentinelle.geo.countries import country_table, iso3_from_name
from sentinelle.geo.priogrid import ring_pairs
from sentinelle.impact.estimators.cs_fast import StaggeredFit, staggered_att
from sentinelle.impact.results import EFFECT_COLUMNS as RESULT_EFFECT_COLUMNS
from sentinelle.impact.results import EVENT_STUDY_COLUMNS, ImpactResult
from sentinelle.impact.staggered_sql import panel_matrices
from sentinelle.impact.timeline import MONTHLY_SOURCES, base_timeline
from sentinelle.panel.engines import ENGINES, EngineRunner
from sentinelle.store.queries import event_precision, missing_event_fields, pick_event_source

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "ANTICIPATION",
    "DEFAULT_ENGINE",
    "EVENTS",
    "MIN_TREATED",
    "OUTCOMES",
    "REGIONS",
    "RINGS",
    "SPLIT_OUTCOMES",
    "StaggeredDesign",
    "StaggeredResult",
    "build_design",
    "pooled_label",
    "region_cells",
    "run_staggered",
]

EVENTS = ("exit", "entry")
RINGS = ("same cell", "neighbouring cells")
# Outcomes every event source with civilian deaths supports, and the perpetrator splits.
OUTCOMES = ("any_civilian_deaths", "civilian_deaths")
SPLIT_OUTCOMES = (
    "any_civilian_deaths_government",
    "any_civilian_deaths_rebel",
    "civilian_deaths_government",
    "civilian_deaths_rebel",
)
# Regions: name -> column of sentinelle.geo.country_table() selecting its countries.
REGIONS = {"africa": "in_africa"}
# Treated cells a ring of one mission needs for its own estimate (the pooled design
# has no minimum): fewer make an interval that says nothing and a cohort structure
# of one or two dates.
MIN_TREATED = 10
# The event's own period goes to neither side (see the module docstring).
ANTICIPATION = 1
# UCDP names governments "Government of X"; ACLED "Military Forces of X (...)",
# "Police Forces of X (...)".
GOVERNMENT_PREFIXES = ("Government of", "Military Forces of", "Police Forces of")
GOVERNMENT = "^(?:" + "|".join(map(re.escape, GOVERNMENT_PREFIXES)) + ")"
# The engine that builds the panel by default: numpy in this process. Any other name of
# sentinelle.panel.ENGINES ('spark') runs the SQL of sentinelle.impact.staggered_sql.
DEFAULT_ENGINE = "duckdb"
# Leads and lags of the event study, in periods.
WINDOW = {"year": 10, "month": 36}


def pooled_label(region: str, missions: Sequence[str] | None = None) -> str:
    """The mission label of a pooled run: ``'ALL:africa'``, or ``'MINUSMA+UNAMID'``.

    Examples
    --------
    >>> pooled_label("africa"), pooled_label("africa", ["UNAMID", "MINUSMA"])
    ('ALL:africa', 'MINUSMA+UNAMID')
    """
    return f"ALL:{region}" if not missions else "+".join(sorted(missions))


def _iso3_or_none(name: object) -> str | None:
    try:
        return iso3_from_name(str(name))
    except KeyError:
        return None


def region_countries(region: str) -> set[str]:
    """ISO3 codes of the countries of ``region``."""
    if region not in REGIONS:
        raise UsageError(f"region must be one of {sorted(REGIONS)}, got {region!r}")
    table = country_table()
    return set(table.loc[table[REGIONS[region]] & table["iso3"].notna(), "iso3"])


@lru_cache(maxsize=4)
def _cells_of(region: str, outlines: str | None) -> pd.DataFrame:
    countries = region_countries(region)
    shapes = read_country_outlines(outlines)
    shapes = shapes[shapes["iso3"].isin(countries)].reset_index(drop=True)
    if shapes.empty:
        raise NoDataError(f"no outline of a country of {region} in the boundary file")
    west, south, east, north = shapes.total_bounds
    lat = np.arange(np.floor(south * 2) / 2 + 0.25, north, 0.5)
    lon = np.arange(np.floor(west * 2) / 2 + 0.25, east, 0.5)
    lat_grid, lon_grid = np.meshgrid(lat, lon, indexing="ij")
    points = gpd.GeoDataFrame(
        geometry=shapely.points(lon_grid.ravel(), lat_grid.ravel()), crs="EPSG:4326"
    )
    hits = gpd.sjoin(points, shapes[["iso3", "geometry"]], predicate="within", how="inner")
    hits = hits[~hits.index.duplicated()]
    gids = gid_from_latlon(lat_grid.ravel()[hits.index], lon_grid.ravel()[hits.index])
    return pd.DataFrame({"gid": gids, "iso3": hits["iso3"].to_numpy()}).sort_values("gid")


def region_cells(region: str = "africa", outlines: str | None = None) -> pd.DataFrame:
    """PRIO-GRID cells whose centre lies in a country of ``region``, with its ISO3.

    Parameters
    ----------
    region : str, default 'africa'
        A key of :data:`REGIONS`.
    outlines : str, optional
        A country boundary file (see :func:`sentinelle.geo.read_country_outlines`);
        the Natural Earth countries shipped with pyogrio when omitted.

    Returns
    -------
    pandas.DataFrame
        ``gid, iso3``, one row per cell, sorted by gid.

    Examples
    --------
    >>> cells = region_cells("africa")
    >>> 9_000 < len(cells) < 11_000
    True
    """
    return _cells_of(region, outlines).reset_index(drop=True)


@dataclass
class StaggeredDesign:
    """Cells x periods of a staggered design: exposure, outcomes, bases.

    Attributes
    ----------
    cells : pandas.DataFrame
        ``gid, iso3`` of each unit (row of the matrices).
    periods : numpy.ndarray
        Years, or VIEWS month ids, of the columns.
    precision : {'year', 'month'}
        What a period is.
    presence, near : numpy.ndarray of bool, shape (cells, periods)
        A base of the missions is listed in the cell; in one of its Queen neighbours.
    censored, near_censored : numpy.ndarray of bool, shape (cells, periods)
        A base of the cell (of a neighbour) is last listed in that period because its
        mission's rows end there.
    bases : pandas.DataFrame
        One row per base: ``mission, base, country, gid, cell, start, end, censored``
        (``start``/``end``: first and last column exposed, -1/n beyond the window).
    outcomes : dict of str to numpy.ndarray
        Outcome matrices (cells x periods).
    notes : list of str
        What the data allow and what was left out.
    absent : dict of str to str
        Missions asked for that the deployments data do not hold, with why.
    """

    cells: pd.DataFrame
    periods: npt.NDArray[np.int64]
    precision: str
    presence: npt.NDArray[np.bool_]
    near: npt.NDArray[np.bool_]
    censored: npt.NDArray[np.bool_]
    near_censored: npt.NDArray[np.bool_]
    bases: pd.DataFrame
    outcomes: dict[str, npt.NDArray[np.float64]]
    neighbours: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
    notes: list[str] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)

    def treatment(self, event: str, ring: int) -> tuple[npt.NDArray[np.int64], pd.Series]:
        """Cohort column index of each cell (-1 control, -2 left out) and its mission.

        See the module docstring for the rules; ``mission`` is None but for treated
        cells.
        """
        if event not in EVENTS:
            raise UsageError(f"event must be one of {EVENTS}, got {event!r}")
        hosts: npt.NDArray[np.bool_] = np.asarray(self.presence.any(axis=1), dtype=bool)
        pure = ~hosts & ~self.near.any(axis=1)
        exposed: npt.NDArray[np.bool_]
        eligible: npt.NDArray[np.bool_]
        if ring == 0:
            exposed, censored, eligible = self.presence, self.censored, np.ones_like(hosts)
        elif ring == 1:
            exposed = np.asarray(self.near & ~hosts[:, None], dtype=bool)
            censored, eligible = self.near_censored, np.asarray(~hosts, dtype=bool)
        else:
            raise UsageError(f"ring must be 0 (same cell) or 1 (neighbouring cells), got {ring}")
        n_t = len(self.periods)
        ever = exposed.any(axis=1)
        cohort = np.full(len(exposed), -2, dtype=np.int64)
        cohort[pure] = -1
        if event == "entry":
            first = np.argmax(exposed, axis=1)
            treated = eligible & ever & (first >= 1) & (first <= n_t - 2)
            cohort[treated] = first[treated] + 1
            moment = np.where(treated, first, -1)
        else:
            last = n_t - 1 - np.argmax(exposed[:, ::-1], axis=1)
            rows = np.arange(len(exposed))
            before = exposed[rows, np.maximum(last - 1, 0)] & (last >= 1)
            cut = censored[rows, last]
            treated = eligible & ever & (last <= n_t - 2) & before & ~cut
            cohort[treated] = last[treated] + 1
            cohort[eligible & exposed.all(axis=1)] = -1  # kept their base throughout
            moment = np.where(treated, last, -1)
        return cohort, self._missions(ring, event, moment)

    def _missions(self, ring: int, event: str, moment: npt.NDArray[np.int64]) -> pd.Series:
        """The mission of the base whose arrival/departure at ``moment`` treats each cell."""
        bases = self.bases
        if ring == 0:
            links = pd.DataFrame({"cell": bases["cell"].to_numpy(), "b": np.arange(len(bases))})
        else:
            src, nbr = self.neighbours  # cell indices: src has nbr as a Queen neighbour
            host = pd.DataFrame({"host": bases["cell"].to_numpy(), "b": np.arange(len(bases))})
            links = host.merge(pd.DataFrame({"host": nbr, "cell": src}), on="host")
        column = "start" if event == "entry" else "end"
        links = links.assign(when=bases[column].to_numpy()[links["b"].to_numpy()])
        links["mission"] = bases["mission"].to_numpy()[links["b"].to_numpy()]
        wanted = pd.DataFrame({"cell": np.flatnonzero(moment >= 0)})
        wanted["when"] = moment[wanted["cell"].to_numpy()]
        hit = wanted.merge(links, on=["cell", "when"]).sort_values(["cell", "mission"])
        first = hit.drop_duplicates("cell").set_index("cell")["mission"]
        return pd.Series(first.reindex(range(len(moment))).to_numpy(), dtype=object)


@dataclass
class StaggeredResult:
    """Pooled and per-mission effects of a staggered design (:func:`run_staggered`).

    Attributes
    ----------
    label : str
        Mission label of the pooled rows (``'ALL:africa'``).
    effects : pandas.DataFrame
        One row per mission (the pooled label first), event, ring and outcome:
        ``mission, event, ring, ring_label, outcome, estimate, se, lower, upper,
        p_value, placebo, placebo_se, n_treated, n_units, n_cohorts``.
    event_study : pandas.DataFrame
        ``mission, event, ring, outcome, rel_period, estimate, se, lower, upper``.
    skipped : pandas.DataFrame
        ``mission, event, ring, n_treated, kind, reason``: per-mission estimates not
        made (``kind`` 'few': fewer than ``min_treated`` treated cells;
        'no_comparison': no comparison cell for any cohort; 'no_variation': the outcome
        never changes in the mission's cells; 'no_data': no deployments).
    design : StaggeredDesign
    precision, event_source : str
    notes : list of str
    runtime_s : float
    timings : dict of str to float
        Seconds spent reading, building the design, estimating.
    """

    label: str
    effects: pd.DataFrame
    event_study: pd.DataFrame
    skipped: pd.DataFrame
    design: StaggeredDesign
    precision: str
    event_source: str | None
    missions: list[str]
    notes: list[str] = field(default_factory=list)
    runtime_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    min_treated: int = MIN_TREATED

    def impact_results(self) -> list[ImpactResult]:
        """One :class:`ImpactResult` per mission label and outcome, for the store.

        Effects rows are ``estimator = 'callaway_santanna:<event>'`` (and
        ``'placebo_leads:<event>'`` for the average before the event), ``ring`` 0 (same
        cell) or 1 (neighbouring cells); the event study's ``rel_month`` holds the
        period offset (years in a ``'pgm-year'`` run). The main outcome comes last,
        so that :func:`~sentinelle.impact.store.latest_impact` of a mission reads it.
        """
        periods = self.design.periods
        if self.precision == "year":
            months = range(month_id(int(periods[0]), 1), month_id(int(periods[-1]), 12) + 1)
        else:
            months = range(int(periods[0]), int(periods[-1]) + 1)
        order = {o: i for i, o in enumerate(OUTCOMES[::-1])}
        keys = self.effects[["mission", "outcome"]].drop_duplicates()
        keys = keys.assign(_o=keys["outcome"].map(lambda o: order.get(o, -1)))
        found = []
        for mission, outcome in keys.sort_values(["mission", "_o"])[["mission", "outcome"]].values:
            rows = self.effects[
                (self.effects["mission"] == mission) & (self.effects["outcome"] == outcome)
            ]
            main = rows.assign(estimator="callaway_santanna:" + rows["event"])
            placebo = rows.assign(
                estimator="placebo_leads:" + rows["event"],
                estimate=rows["placebo"],
                se=rows["placebo_se"],
                lower=rows["placebo"] - 1.959964 * rows["placebo_se"],
                upper=rows["placebo"] + 1.959964 * rows["placebo_se"],
                p_value=np.nan,
            )
            effects = pd.concat([main, placebo], ignore_index=True)
            es = self.event_study
            es = es[(es["mission"] == mission) & (es["outcome"] == outcome)]
            es = es.assign(estimator="callaway_santanna:" + es["event"]).rename(
                columns={"rel_period": "rel_month"}
            )
            found.append(
                ImpactResult(
                    mission=str(mission),
                    outcome=str(outcome),
                    unit=f"pgm-{self.precision}",
                    radii_km=(),
                    months=months,
                    timeline=self.design.bases,
                    units=gpd.GeoDataFrame(self.design.cells),
                    effects=effects.reindex(columns=RESULT_EFFECT_COLUMNS),
                    event_study=es.reindex(columns=EVENT_STUDY_COLUMNS),
                    event_source=self.event_source,
                    notes=list(self.notes),
                    runtime_s=self.runtime_s,
                    labels=RINGS,
                )
            )
        return found


def _spells(
    timeline: pd.DataFrame, precision: str, periods: npt.NDArray[np.int64], mission_end: int
) -> pd.DataFrame:
    """First and last period index of each base in the window, and whether it is censored."""
    first = periods[0]
    if precision == "year":
        start = timeline["first_year"].to_numpy(dtype=np.int64)
        closed = pd.to_datetime(timeline["closure_date"]) - pd.Timedelta(days=1)
        end = closed.dt.year.to_numpy(dtype=np.float64)
    else:
        start = timeline["open_month"].to_numpy(dtype=np.int64)
        end = timeline["cohort_month"].to_numpy(dtype=np.float64) - 1
    is_closed = (timeline["status"] == "closed").to_numpy()
    censored = ~is_closed & (mission_end < periods[-1])
    end = np.where(is_closed, end, np.where(censored, mission_end, np.inf))
    return pd.DataFrame(
        {
            "start": start - first,
            "end": np.minimum(end - first, len(periods) + 1),
            "censored": censored,
        },
        index=timeline.index,
    ).astype({"start": np.int64, "end": np.int64})


def _exposure(
    cell: npt.NDArray[np.int64], spells: pd.DataFrame, shape: tuple[int, int]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Presence (any spell covering the period) and censored ends, cells x periods."""
    n, n_t = shape
    start = np.clip(spells["start"].to_numpy(), 0, n_t)
    end = np.clip(spells["end"].to_numpy(), -1, n_t - 1)
    keep = (start <= end) & (cell >= 0)
    diff = np.zeros((n, n_t + 1), dtype=np.int64)
    np.add.at(diff, (cell[keep], start[keep]), 1)
    np.add.at(diff, (cell[keep], end[keep] + 1), -1)
    presence = np.cumsum(diff[:, :n_t], axis=1) > 0
    censored = np.zeros(shape, dtype=bool)
    cut = keep & spells["censored"].to_numpy() & (spells["end"].to_numpy() <= n_t - 1)
    censored[cell[cut], end[cut]] = True
    return presence, censored


def _spread(
    matrix: npt.NDArray[np.bool_], src: npt.NDArray[np.int64], nbr: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Whether any Queen neighbour of each cell is true, cells x periods."""
    count = np.zeros(matrix.shape, dtype=np.int64)
    np.add.at(count, src, matrix[nbr].astype(np.int64))
    return count > 0


def _outcome_matrices(
    events: pd.DataFrame,
    index: pd.Series,
    periods: npt.NDArray[np.int64],
    precision: str,
    with_sides: bool,
) -> dict[str, npt.NDArray[np.float64]]:
    """Outcome matrices (cells x periods) from common-model events, vectorised."""
    ev = events
    if "deleted" in ev:
        ev = ev[~ev["deleted"].astype(bool)]
    ev = ev.dropna(subset=["latitude", "longitude", "date_start"])
    dates = pd.to_datetime(ev["date_start"])
    when = (
        dates.dt.year.to_numpy(dtype=np.int64)
        if precision == "year"
        else month_id_from_date(dates.to_numpy())
    )
    gid = gid_from_latlon(ev["latitude"].to_numpy(), ev["longitude"].to_numpy())
    row = index.reindex(gid).to_numpy()
    col = when - periods[0]
    inside = ~np.isnan(row) & (col >= 0) & (col < len(periods))
    row, col = row[inside].astype(np.int64), col[inside]
    deaths = ev["civilian_deaths"].fillna(0).to_numpy(dtype=np.float64)[inside]
    shape = (len(index), len(periods))

    def total(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.zeros(shape)
        np.add.at(out, (row, col), weights)
        return out

    counts = total(deaths)
    out = {"civilian_deaths": counts, "any_civilian_deaths": (counts > 0).astype(np.float64)}
    if with_sides:
        one_sided = (ev["violence_type"].astype(str) == "one_sided").to_numpy()[inside]
        side = ev["side_a"].fillna("").astype(str).to_numpy()[inside]
        gov = pd.Series(side).str.contains(GOVERNMENT, case=False, regex=True).to_numpy()
        for name, who in (("government", gov), ("rebel", ~gov & (side != ""))):
            part = total(deaths * (one_sided & who))
            out[f"civilian_deaths_{name}"] = part
            out[f"any_civilian_deaths_{name}"] = (part > 0).astype(np.float64)
    return out


def _store_events(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    return con.execute(
        "SELECT date_start, latitude, longitude, CAST(violence_type AS VARCHAR) AS "
        "violence_type, civilian_deaths, side_a, country_iso3, deleted "
        "FROM events WHERE source = ? AND NOT deleted",
        [source],
    ).df()


def _mission_last(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame, mission: str, source: str, precision: str
) -> int:
    """The last period (year, or month id) in which ``source`` lists ``mission``."""
    if isinstance(deployments, pd.DataFrame):
        rows = deployments[(deployments["mission"] == mission) & (deployments["source"] == source)]
    else:
        rows = deployments.execute(
            "SELECT year, month FROM deployments WHERE mission = ? AND source = ?",
            [mission, source],
        ).df()
    if precision == "year":
        return int(rows["year"].max())
    dated = rows[rows["month"].between(1, 12)] if "month" in rows else rows.iloc[:0]
    if dated.empty:  # a yearly source in a monthly design: its last December
        return int(month_id(int(rows["year"].max()), 12))
    return int(month_id(dated["year"].to_numpy(), dated["month"].to_numpy()).max())


def _missions_in(con: duckdb.DuckDBPyConnection | pd.DataFrame, countries: set[str]) -> list[str]:
    """Missions of the deployments data with a base in one of ``countries``."""
    if isinstance(con, pd.DataFrame):
        rows = con[["mission", "country"]].drop_duplicates()
    else:
        rows = con.execute("SELECT DISTINCT mission, country FROM deployments").df()
    rows = rows[rows["country"].map(_iso3_or_none).isin(countries)]
    return sorted(set(rows["mission"]))


def _engine(name: str) -> EngineRunner | None:
    """The panel engine running the design's SQL; None for the numpy path (the default).

    Raises
    ------
    UsageError
        (:class:`~sentinelle.errors.UnknownNameError`) if ``name`` is no engine of
        :data:`sentinelle.panel.ENGINES`; the message lists them.
    """
    runner = ENGINES[name]
    return None if name == DEFAULT_ENGINE else runner


def build_design(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame,
    events: pd.DataFrame,
    *,
    missions: Sequence[str] | None = None,
    region: str = "africa",
    years: tuple[int, int] | None = None,
    precision: str | None = None,
    event_precision_: str = "month",
    with_sides: bool = False,
    deployment_source: str | None = None,
    closures: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
    engine: str = DEFAULT_ENGINE,
    spark: SparkSession | None = None,
) -> StaggeredDesign:
    """The cells x periods design of ``missions`` (every mission of ``region`` if None).

    Parameters
    ----------
    deployments : duckdb.DuckDBPyConnection or pandas.DataFrame
        The store (its ``deployments``) or a deployments-shaped frame.
    events : pandas.DataFrame
        Common-model events: ``date_start, latitude, longitude, civilian_deaths``
        (``violence_type, side_a`` for the perpetrator splits; ``country_iso3`` when
        known, to keep only cells of countries the events cover).
    missions : sequence of str, optional
        Missions whose bases make the exposure.
    region : str, default 'africa'
        Cells of :func:`region_cells` (plus every cell hosting a base).
    years : (int, int), optional
        First and last year of the window; clipped to the events' and deployments'.
    precision : {'year', 'month'}, optional
        Period of the panel; by default the coarsest of the events'
        (``event_precision_``) and the deployment sources'. A monthly panel from
        year-precise data is refused.
    with_sides : bool, default False
        Build the perpetrator-split outcomes (events carry ``side_a``).
    deployment_source : str, optional
        One deployment source for every mission; the most precise per mission if None.
    closures : pandas.DataFrame, optional
        Curated closure table (the shipped one if None).
    cells : pandas.DataFrame, optional
        ``gid, iso3`` of the units, instead of the region's (tests).
    engine : str, default 'duckdb'
        What computes the panel (outcome, presence and neighbour matrices): numpy in
        this process (``'duckdb'``), or ``'spark'`` (any other engine of
        :data:`sentinelle.panel.ENGINES`), which runs the SQL of
        :mod:`sentinelle.impact.staggered_sql`; both give identical matrices.
    spark : pyspark.sql.SparkSession, optional
        Session for ``engine='spark'`` (a ``local[2]`` one by default).

    Raises
    ------
    UsageError
        For an unknown region, precision, event or engine, or months asked of yearly
        data.
    NoDataError
        If no mission has deployments, or the events and deployments share no year.
    """
    notes: list[str] = []
    runner = _engine(engine)
    countries = region_countries(region)
    names = list(missions) if missions else _missions_in(deployments, countries)
    if not names:
        raise NoDataError(f"no deployments of a mission in {region} in the store")
    ev_dates = pd.to_datetime(events["date_start"])
    if ev_dates.empty:
        raise NoDataError("no events: load event data first")
    lo, hi = int(ev_dates.dt.year.min()), int(ev_dates.dt.year.max())
    timelines = []
    absent = {}
    for mission in names:
        try:
            line = base_timeline(
                deployments, mission, source=deployment_source, closures=closures, years=years
            )
        except NoDataError as exc:  # one mission's gap does not stop the others
            absent[mission] = str(exc)
            continue
        line = line[line["country"].map(_iso3_or_none).isin(countries) | (cells is not None)]
        if not line.empty:
            timelines.append(line)
    if not timelines:
        raise NoDataError(
            f"no base of {', '.join(names)} in {region}"
            + "".join(f"; {m}: {why}" for m, why in absent.items())
        )
    timeline = pd.concat(timelines, ignore_index=True)
    sources = sorted(set(timeline["deployment_source"]))
    dep_precision = "month" if set(sources) <= MONTHLY_SOURCES else "year"
    coarsest = "year" if "year" in (dep_precision, event_precision_) else "month"
    if precision is None:
        precision = coarsest
    elif precision not in ("year", "month"):
        raise UsageError(f"precision must be 'year' or 'month', got {precision!r}")
    elif precision == "month" and coarsest == "year":
        raise UsageError(
            "a monthly panel needs monthly events and deployments: "
            f"events dated to the {event_precision_}, deployments ({', '.join(sources)}) "
            f"to the {dep_precision}; use years"
        )
    dep_lo, dep_hi = int(timeline["first_year"].min()), int(timeline["last_year"].max())
    first = max(lo, dep_lo, years[0] if years else lo)
    last = min(hi, dep_hi, years[1] if years else hi)
    if years and (first, last) != tuple(years):
        notes.append(
            f"window {years[0]}-{years[1]} cut to {first}-{last}: the events cover "
            f"{lo}-{hi}, the deployments {dep_lo}-{dep_hi}"
        )
    if last - first < 2:
        raise NoDataError(
            f"events ({lo}-{hi}) and deployments ({dep_lo}-{dep_hi}) share fewer than "
            "three years: nothing to compare"
        )
    if precision == "year":
        periods = np.arange(first, last + 1, dtype=np.int64)
    else:
        periods = np.arange(month_id(first, 1), month_id(last, 12) + 1, dtype=np.int64)

    base_gid = gid_from_latlon(timeline["latitude"].to_numpy(), timeline["longitude"].to_numpy())
    if cells is None:
        units = region_cells(region)
        extra = pd.DataFrame({"gid": base_gid, "iso3": timeline["country"].map(_iso3_or_none)})
        units = pd.concat([units, extra[~extra["gid"].isin(units["gid"])]])
        units = units.drop_duplicates("gid").sort_values("gid").reset_index(drop=True)
    else:
        units = cells.reset_index(drop=True)
    if "country_iso3" in events and events["country_iso3"].notna().any():
        covered = set(events["country_iso3"].dropna())
        outside = ~units["iso3"].isin(covered)
        if outside.any():
            notes.append(
                f"{int(outside.sum())} cells in countries without event data left out "
                f"(the events cover {', '.join(sorted(covered))})"
            )
            units = units[~outside].reset_index(drop=True)
    else:
        notes.append(
            "the events carry no country: every cell of the region is taken as covered "
            "(a partial or global extract makes cells without events look peaceful)"
        )
    index = pd.Series(np.arange(len(units)), index=units["gid"].to_numpy())
    cell = index.reindex(base_gid).fillna(-1).to_numpy(dtype=np.int64)

    source_of = timeline.groupby("mission")["deployment_source"].first()
    ends = {
        str(m): _mission_last(deployments, str(m), str(src), precision)
        for m, src in source_of.items()
    }
    spells = pd.concat(
        [
            _spells(group, precision, periods, ends[str(mission)])
            for mission, group in timeline.groupby("mission", sort=False)
        ]
    ).reindex(timeline.index)
    shape = (len(units), len(periods))
    src_gid, nbr_gid = ring_pairs(units["gid"].to_numpy())
    nbr = index.reindex(nbr_gid).to_numpy()
    ok = ~np.isnan(nbr)
    src = index.reindex(src_gid[ok]).to_numpy(dtype=np.int64)
    nbr_idx = nbr[ok].astype(np.int64)
    if runner is None:
        presence, censored = _exposure(cell, spells, shape)
        near = _spread(presence, src, nbr_idx)
        near_censored = _spread(censored, src, nbr_idx)
        outcomes = _outcome_matrices(events, index, periods, precision, with_sides)
    else:
        exposure, outcomes = panel_matrices(
            events, units["gid"].to_numpy(), periods, precision,
            spells.assign(gid=base_gid), (src, nbr_idx),
            government=GOVERNMENT_PREFIXES, with_sides=with_sides, runner=runner, spark=spark,
        )  # fmt: skip
        presence, censored = exposure["presence"], exposure["censored"]
        near, near_censored = exposure["near"], exposure["near_censored"]
    ended = sorted(set(timeline.loc[spells["censored"].to_numpy(), "mission"]))
    if ended:
        notes.append(
            "the deployment rows of "
            + ", ".join(ended)
            + " end inside the window: whether their last bases closed then or passed to "
            "a successor is not in the data, so cells losing them there are left out of "
            "the exit design"
        )
    bases = timeline[["mission", "base", "country"]].assign(
        gid=base_gid,
        cell=cell,
        start=spells["start"].to_numpy(),
        end=spells["end"].to_numpy(),
        censored=spells["censored"].to_numpy(),
    )
    return StaggeredDesign(
        cells=units,
        periods=periods,
        precision=precision,
        presence=presence,
        near=near,
        censored=censored,
        near_censored=near_censored,
        bases=bases,
        outcomes=outcomes,
        neighbours=(src, nbr_idx),
        notes=notes,
        absent=absent,
    )


def _row(fit: StaggeredFit, alpha: float) -> dict[str, object]:
    lower, upper = fit.interval(alpha)
    p = 2 * stats.norm.sf(abs(fit.att / fit.se)) if fit.se > 0 else float("nan")
    return {
        "estimate": fit.att,
        "se": fit.se,
        "lower": lower,
        "upper": upper,
        "p_value": p,
        "placebo": fit.placebo,
        "placebo_se": fit.placebo_se,
        "n_treated": fit.n_treated,
        "n_units": fit.n_units,
        "n_cohorts": fit.n_cohorts,
    }


EFFECT_COLUMNS = [
    "mission",
    "event",
    "ring",
    "ring_label",
    "outcome",
    "estimate",
    "se",
    "lower",
    "upper",
    "p_value",
    "placebo",
    "placebo_se",
    "n_treated",
    "n_units",
    "n_cohorts",
]


SKIPPED_COLUMNS = ["mission", "event", "ring", "n_treated", "kind", "reason"]


def _skip(
    mission: str, event: str, ring: int, n: int, kind: str, minimum: int
) -> dict[str, object]:
    """A per-mission estimate not made: ``kind`` 'few' treated cells or 'no_comparison'."""
    reason = {
        "few": f"{n} treated cells (fewer than {minimum})",
        "no_comparison": f"{n} treated cells but no comparison cell for any cohort",
        "no_variation": f"{n} treated cells, but the outcome never changes in its cells",
    }[kind]
    return {
        "mission": mission, "event": event, "ring": ring, "n_treated": n,
        "kind": kind, "reason": reason,
    }  # fmt: skip


def estimate_design(
    design: StaggeredDesign,
    *,
    events: Sequence[str] = EVENTS,
    outcomes: Sequence[str] | None = None,
    label: str = "ALL:africa",
    focus: Sequence[str] | None = None,
    per_mission: bool = True,
    min_treated: int = MIN_TREATED,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pooled and per-mission effects of ``design``: effects, event study, skipped.

    ``focus`` names the missions pooled (every mission of the design if None): the
    pooled sample is the cells they treat and the controls; cells treated by other
    missions are left out of it.
    """
    chosen = sorted(set(design.bases["mission"])) if focus is None else sorted(focus)
    names = list(outcomes) if outcomes is not None else list(design.outcomes)
    window = WINDOW[design.precision]
    z = float(stats.norm.ppf(1 - alpha / 2))
    rows, paths, skipped = [], [], []
    for event in events:
        for ring, ring_label in enumerate(RINGS):
            cohort, mission = design.treatment(event, ring)
            samples: list[tuple[str, npt.NDArray[np.bool_], npt.NDArray[np.int64]]] = []
            keep = (cohort == -1) | ((cohort >= 0) & mission.isin(chosen).to_numpy())
            samples.append((label, keep, cohort))
            if per_mission:
                counts = mission[cohort >= 0].value_counts()
                for name in chosen:
                    if name in design.absent:
                        continue
                    n = int(counts.get(name, 0))
                    if n < min_treated:
                        skipped.append(_skip(name, event, ring, n, "few", min_treated))
                        continue
                    where = set(design.bases.loc[design.bases["mission"] == name, "country"])
                    iso = {c for c in map(_iso3_or_none, where) if c}
                    own = (cohort >= 0) & (mission == name).to_numpy()
                    controls = (cohort == -1) & design.cells["iso3"].isin(iso).to_numpy()
                    samples.append((name, own | controls, cohort))
            for name, keep, cohort_all in samples:
                pooled = name == label
                fits = {
                    outcome: staggered_att(
                        design.outcomes[outcome][keep],
                        cohort_all[keep],
                        anticipation=ANTICIPATION,
                        window=window,
                    )
                    for outcome in names
                }
                n = int((cohort_all[keep] >= 0).sum())
                if not pooled and all(np.isnan(f.att) for f in fits.values()):
                    skipped.append(_skip(name, event, ring, n, "no_comparison", min_treated))
                    continue
                if not pooled and all(f.se == 0 for f in fits.values()):
                    skipped.append(_skip(name, event, ring, n, "no_variation", min_treated))
                    continue
                for outcome, fit in fits.items():
                    head = {
                        "mission": name,
                        "event": event,
                        "ring": ring,
                        "ring_label": ring_label,
                        "outcome": outcome,
                    }
                    rows.append(head | _row(fit, alpha))
                    if not fit.event.empty:
                        path = fit.event.assign(
                            lower=fit.event["estimate"] - z * fit.event["se"],
                            upper=fit.event["estimate"] + z * fit.event["se"],
                            mission=name,
                            event=event,
                            ring=ring,
                            outcome=outcome,
                        )
                        paths.append(path)
    for name, why in design.absent.items():
        skipped.append(
            {"mission": name, "event": "", "ring": -1, "n_treated": 0, "kind": "no_data",
             "reason": why}
        )  # fmt: skip
    effects = pd.DataFrame(rows).reindex(columns=EFFECT_COLUMNS)
    event_study = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    skip = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    return effects, event_study, skip


def run_staggered(
    con: duckdb.DuckDBPyConnection | pd.DataFrame,
    *,
    missions: Sequence[str] | None = None,
    region: str = "africa",
    years: tuple[int, int] | None = None,
    events: Sequence[str] = EVENTS,
    event_source: str | None = None,
    event_data: pd.DataFrame | None = None,
    outcomes: Sequence[str] | None = None,
    precision: str | None = None,
    deployment_source: str | None = None,
    closures: pd.DataFrame | None = None,
    per_mission: bool = True,
    min_treated: int = MIN_TREATED,
    cells: pd.DataFrame | None = None,
    engine: str = DEFAULT_ENGINE,
    spark: SparkSession | None = None,
) -> StaggeredResult:
    """Entry and exit effects of peacekeeping bases, pooled over missions and per mission.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection or pandas.DataFrame
        The store (deployments and, unless ``event_data`` is given, events), or a
        deployments-shaped frame with ``event_data``.
    missions : sequence of str, optional
        Missions pooled; every mission with a base in ``region`` when omitted (the
        pooled rows are then labelled ``'ALL:<region>'``).
    region : str, default 'africa'
    years : (int, int), optional
        Window, e.g. ``(2000, 2017)``; all the years events and deployments share.
    events : sequence of {'exit', 'entry'}
    event_source : str, optional
        Event source of the store (``'ged_extract'``, ``'ged'``, ``'acled'``).
    event_data : pandas.DataFrame, optional
        Events instead of the store's (with ``precision``).
    outcomes : sequence of str, optional
        Of :data:`OUTCOMES` and, with sides, :data:`SPLIT_OUTCOMES`; all available if
        omitted. Asking for a split the events cannot give raises ``SchemaError``.
    precision : {'year', 'month'}, optional
        Period; by default from the data (see :func:`build_design`).
    deployment_source, closures, cells
        See :func:`build_design`.
    engine : str, default 'duckdb'
        What computes the panel: numpy (``'duckdb'``) or ``'spark'`` (see
        :func:`build_design`); the estimator is the same.
    spark : pyspark.sql.SparkSession, optional
        Session for ``engine='spark'``.
    per_mission : bool, default True
        Also estimate each mission with at least ``min_treated`` treated cells.

    Returns
    -------
    StaggeredResult

    Examples
    --------
    >>> res = run_staggered(con, years=(2000, 2017), event_source="ged_extract")  # doctest: +SKIP
    >>> res.effects.query("mission == 'ALL:africa'")  # doctest: +SKIP
    """
    started = time.perf_counter()
    for event in events:
        if event not in EVENTS:
            raise UsageError(f"event must be one of {EVENTS}, got {event!r}")
    _engine(engine)  # an unknown engine fails before any data is read
    notes: list[str] = []
    if event_data is not None:
        ev, source = event_data, event_source
        ev_precision = precision or "month"
        has_sides = bool("side_a" in ev and ev["side_a"].notna().any())
        has_deaths = bool("civilian_deaths" in ev and ev["civilian_deaths"].notna().any())
    elif isinstance(con, pd.DataFrame):
        raise UsageError("pass event_data when deployments come as a DataFrame, not a store")
    else:
        source = pick_event_source(con, event_source)
        ev_precision = event_precision(con, source)
        missing = missing_event_fields(con, source, ["civilian_deaths", "side_a", "violence_type"])
        has_deaths = "civilian_deaths" not in missing
        has_sides = not ({"side_a", "violence_type"} & set(missing))
        ev = _store_events(con, source)
    if not has_deaths:
        raise SchemaError(
            f"the events of {source or 'the data'} carry no civilian deaths "
            "(deaths_civilians, or ACLED's violence against civilians): no outcome to count"
        )
    wanted = list(outcomes) if outcomes is not None else list(OUTCOMES)
    unknown = [o for o in wanted if o not in OUTCOMES + SPLIT_OUTCOMES]
    if unknown:
        raise UsageError(
            f"unknown outcome(s) {', '.join(unknown)}; choose from "
            + ", ".join(OUTCOMES + SPLIT_OUTCOMES)
        )
    if not has_sides:
        splits = [o for o in wanted if o in SPLIT_OUTCOMES]
        if splits:
            raise SchemaError(
                f"the events of {source or 'the data'} carry no perpetrator (side_a and "
                f"violence type): {', '.join(splits)} cannot be estimated; ingest the full "
                "UCDP GED release or ACLED"
            )
        notes.append(
            f"the events of {source or 'the data'} carry no perpetrator (side_a, violence "
            "type): no split by government and rebel perpetrators can be made from them"
        )
    elif outcomes is None:
        wanted += list(SPLIT_OUTCOMES)
    read = time.perf_counter()
    # Exposure counts every base of the region, whichever missions are estimated: a
    # successor taking over its predecessor's bases (MONUC -> MONUSCO) is no entry.
    design = build_design(
        con,
        ev,
        missions=None,
        region=region,
        years=years,
        precision=precision,
        event_precision_=ev_precision,
        with_sides=has_sides,
        deployment_source=deployment_source,
        closures=closures,
        cells=cells,
        engine=engine,
        spark=spark,
    )
    built = time.perf_counter()
    held = set(design.bases["mission"])
    for name in missions or ():
        if name not in held:
            design.absent[name] = f"no deployments of mission {name!r} in {region} in the store"
    focus = [m for m in missions if m in held] if missions else None
    if focus == []:
        raise NoDataError("; ".join(design.absent.values()))
    label = pooled_label(region, focus)
    effects, event_study, skipped = estimate_design(
        design,
        events=events,
        outcomes=wanted,
        label=label,
        focus=focus,
        per_mission=per_mission and (focus is None or len(focus) > 1),
        min_treated=min_treated,
    )
    done = time.perf_counter()
    if effects["n_treated"].max() == 0:
        raise ImpactError(f"no cell of {label} has a base {'/'.join(events)} in the window")
    return StaggeredResult(
        label=label,
        effects=effects,
        event_study=event_study,
        skipped=skipped,
        design=design,
        precision=design.precision,
        event_source=source,
        missions=sorted(focus if focus is not None else held),
        notes=design.notes + notes,
        runtime_s=done - started,
        timings={"read": read - started, "design": built - read, "estimate": done - built},
        min_treated=min_treated,
    )
