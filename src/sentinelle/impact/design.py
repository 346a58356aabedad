"""Study design of a withdrawal analysis: units, their distance to bases, treatment.

A *unit* is a PRIO-GRID cell (``unit='pgm'``) or an administrative area
(``'admin2'``). Its distance to a base is measured from the base to the nearest
point of the unit, so the unit containing a base is at 0 km whatever its size.

Treatment. Rings are the bands between consecutive radii (default 0-25, 25-50 and
50-100 km); for administrative units they can be orders of contiguity instead
(:func:`contiguity_distances`: ring 0 the unit hosting the base, ring 1 the units
sharing a border or corner with it), so that "distance" counts borders, not km.
A unit is *treated in ring k* when its nearest closed base (of several as near,
the last to close) lies in that band and no base still open at that closure lies as
close as the band's outer edge (otherwise the unit keeps a base within the same
distance and lost nothing).
Its cohort is the closed base's ``cohort_month``. Units at least the outer radius
from every closed base are *controls*, whether they never hosted a base or kept
theirs; units within the outer radius of a base that opened during the study
window are dropped (an opening is a treatment of its own), and so are units within
the outer radius of a closure left out of the design (``excluded``: e.g. one dated
only to the year in a monthly design, whose treatment month is unknown).

:class:`Design` is what every estimator reads: the outcome panel, who is treated in
which ring, and the parts several estimators share (matched controls, ring samples,
pre-trend tests, the wide panel), each computed once when first asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from sentinelle.errors import UsageError
from sentinelle.geo import assign_admin, cell_polygon, gid_from_latlon, month_id_from_date
from sentinelle.geo.admin import admin_neighbours
from sentinelle.impact.estimators.matching import match_controls
from sentinelle.impact.estimators.pretrend import pretrend_test
from sentinelle.impact.results import PretrendTest

__all__ = [
    "AGGREGATE_OUTCOMES",
    "CONTIGUITY_RINGS",
    "OUTCOMES",
    "Design",
    "Ring",
    "aggregate_panel",
    "assign_treatment",
    "contiguity_distances",
    "event_panel",
    "grid_units",
    "ring_labels",
]

# Outcome name -> (event filter, column summed). 'civilian_deaths' is the common
# event model's civilian_deaths (UCDP deaths_civilians; ACLED fatalities of
# violence against civilians), 'one_sided' fatalities of one-sided violence.
OUTCOMES = ("civilian_deaths", "one_sided", "all")

# Outcomes of subnational aggregates (ACLED's HDX series): name -> (series, column).
# 'fatalities' and 'events' count political violence; 'civilian_targeting' the
# fatalities of ACLED's civilian-targeting series, where the publisher releases it.
AGGREGATE_OUTCOMES: dict[str, tuple[str, str]] = {
    "fatalities": ("political_violence", "fatalities"),
    "events": ("political_violence", "events"),
    "civilian_targeting": ("civilian_targeting", "fatalities"),
}

# Ring edges and labels of a contiguity design: order 0 (host unit), order 1 (its
# neighbours); every other unit is at order 2 or more, beyond the outer edge.
CONTIGUITY_RINGS: tuple[tuple[float, ...], tuple[str, ...]] = (
    (1.0, 2.0),
    ("host unit", "neighbouring units"),
)


def ring_labels(radii_km: tuple[float, ...], contiguity: bool = False) -> tuple[str, ...]:
    """Label of each ring: ``'0-25 km'`` bands, or the contiguity orders' names.

    Examples
    --------
    >>> ring_labels((25.0, 50.0))
    ('0-25 km', '25-50 km')
    >>> ring_labels(CONTIGUITY_RINGS[0], contiguity=True)
    ('host unit', 'neighbouring units')
    """
    if contiguity:
        return CONTIGUITY_RINGS[1][: len(radii_km)]
    edges = (0.0, *radii_km)
    return tuple(f"{edges[r]:g}-{edges[r + 1]:g} km" for r in range(len(radii_km)))


def grid_units(bases: pd.DataFrame, region_km: float) -> gpd.GeoDataFrame:
    """PRIO-GRID cells within ``region_km`` of any base, as unit polygons.

    Parameters
    ----------
    bases : pandas.DataFrame
        Base coordinates in ``latitude`` and ``longitude``.
    region_km : float
        Study-region radius around the bases; it bounds the control pool.

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id`` (gid) and cell polygons, EPSG:4326.
    """
    # 1 degree of latitude is 111 km; longitude degrees shrink with latitude.
    pad_lat = region_km / 111.0
    pad_lon = region_km / (111.0 * np.cos(np.radians(np.abs(bases["latitude"]).max())))
    lat = np.arange(bases["latitude"].min() - pad_lat, bases["latitude"].max() + pad_lat, 0.5)
    lon = np.arange(bases["longitude"].min() - pad_lon, bases["longitude"].max() + pad_lon, 0.5)
    lat_grid, lon_grid = np.meshgrid(np.clip(lat, -90, 90), np.clip(lon, -180, 180))
    gids = np.unique(gid_from_latlon(lat_grid.ravel(), lon_grid.ravel()))
    units = gpd.GeoDataFrame({"unit_id": gids}, geometry=cell_polygon(gids), crs="EPSG:4326")
    near = distances_km(units, bases).min(axis=1) <= region_km
    return units[near].reset_index(drop=True)


def distances_km(units: gpd.GeoDataFrame, bases: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Distance in km from each base to the nearest point of each unit.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit polygons in EPSG:4326.
    bases : pandas.DataFrame
        ``latitude`` and ``longitude`` of the bases.

    Returns
    -------
    numpy.ndarray, shape (n_units, n_bases)
        Distances computed in an azimuthal equidistant projection centred on the
        bases (within about 1 % at the few hundred km of a study region).
    """
    lat0, lon0 = float(bases["latitude"].mean()), float(bases["longitude"].mean())
    crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +units=km +datum=WGS84"
    geoms = units.to_crs(crs).geometry.to_numpy()
    points = gpd.GeoSeries(
        shapely.points(bases["longitude"].to_numpy(), bases["latitude"].to_numpy()),
        crs="EPSG:4326",
    ).to_crs(crs)
    return np.asarray(
        shapely.distance(geoms[:, None], points.to_numpy()[None, :]), dtype=np.float64
    )


def contiguity_distances(units: gpd.GeoDataFrame, bases: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Contiguity order from each unit to each base: 0 host, 1 neighbour, inf beyond.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and polygons (EPSG:4326), e.g. a country's cercles.
    bases : pandas.DataFrame
        ``latitude`` and ``longitude`` of the bases.

    Returns
    -------
    numpy.ndarray, shape (n_units, n_bases)
        0 where the base lies in the unit, 1 where it lies in a unit sharing a border
        or corner with it (queen contiguity), ``inf`` otherwise (also for a base in
        no unit). Used as distances with the edges of :data:`CONTIGUITY_RINGS`.
    """
    hosts = assign_admin(bases["latitude"], bases["longitude"], units[["unit_id", "geometry"]])
    host = hosts["unit_id"].to_numpy()
    ids = units["unit_id"].to_numpy()
    order = np.full((len(units), len(bases)), np.inf)
    order[ids[:, None] == host[None, :]] = 0.0
    pairs = admin_neighbours(units, "unit_id")
    for j, h in enumerate(host):
        if pd.isna(h):
            continue
        around = pairs.loc[pairs["neighbour"] == h, "unit"].to_numpy()
        order[np.isin(ids, around) & (order[:, j] > 0), j] = 1.0
    return order


def assign_treatment(
    units: gpd.GeoDataFrame,
    timeline: pd.DataFrame,
    radii_km: tuple[float, ...],
    months: range,
    *,
    distances: npt.NDArray[np.float64] | None = None,
    labels: tuple[str, ...] | None = None,
    excluded: npt.NDArray[np.bool_] | None = None,
) -> gpd.GeoDataFrame:
    """Ring, cohort and role of each unit (see the module docstring for the rules).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and polygons (EPSG:4326).
    timeline : pandas.DataFrame
        Output of :func:`~sentinelle.impact.timeline.base_timeline`.
    radii_km : tuple of float
        Increasing ring edges, e.g. ``(25, 50, 100)``.
    months : range
        Study window of month ids; only closures with a cohort month inside it
        (after at least one pre-period month) count.
    distances : numpy.ndarray, optional
        Unit x base distances in the units of ``radii_km``; km from
        :func:`distances_km` when omitted, contiguity orders from
        :func:`contiguity_distances` for an admin design.
    labels : tuple of str, optional
        Ring labels (:func:`ring_labels` of ``radii_km`` when omitted).
    excluded : numpy.ndarray of bool, optional
        Bases whose closure is no treatment here (e.g. dated only to the year in a
        monthly design): units within the outer radius of one are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` plus ``ring`` (0-based band, -1 for controls), ``ring_label``
        ('0-25 km', ...), ``cohort`` (NaN for controls), ``base`` (the closed base),
        ``distance_km`` (to it) and ``role`` ('treated', 'control' or 'dropped').
    """
    edges = np.concatenate([[0.0], np.asarray(radii_km, dtype=np.float64)])
    outer = edges[-1]
    names = ring_labels(radii_km) if labels is None else labels
    cohort = timeline["cohort_month"].to_numpy(dtype=np.float64)
    in_window = (cohort > months.start) & (cohort < months.stop)
    skip = np.zeros(len(timeline), dtype=bool) if excluded is None else np.asarray(excluded)
    near_excluded = in_window & skip
    in_window &= ~skip
    closed = timeline[in_window].reset_index(drop=True)
    dist_all = distances_km(units, timeline) if distances is None else distances
    out = units.copy()
    out["ring"] = -1
    out["ring_label"] = "control"
    out["cohort"] = np.nan
    out["base"] = None
    out["distance_km"] = np.nan
    out["role"] = "control"

    opened = timeline["open_month"].to_numpy() > months.start
    near_opening = (dist_all[:, opened | near_excluded] < outer).any(axis=1)
    if closed.empty:
        out.loc[near_opening, "role"] = "dropped"
        return out
    dist_closed = dist_all[:, in_window]
    # The nearest closed base; of several as near (two bases in one cercle), the last
    # to close: the unit loses its base only when the last one goes.
    cohorts = closed["cohort_month"].to_numpy(dtype=np.float64)
    d_near = dist_closed.min(axis=1)
    nearest = np.where(dist_closed == d_near[:, None], cohorts[None, :], -np.inf).argmax(axis=1)
    g = cohorts[nearest]
    # A base is still open at the closure when it opened before and closes after it.
    open_at = (timeline["open_month"].to_numpy()[None, :] < g[:, None]) & ~(
        np.nan_to_num(cohort, nan=np.inf)[None, :] <= g[:, None]
    )
    d_open = np.where(open_at, dist_all, np.inf).min(axis=1)
    ring = np.searchsorted(edges, d_near, side="right") - 1
    within = d_near < outer
    band_edge = edges[np.minimum(ring + 1, len(edges) - 1)]
    covered = d_open < band_edge
    treated = within & ~covered & ~near_opening
    out.loc[treated, "ring"] = ring[treated]
    out.loc[treated, "ring_label"] = [names[r] for r in ring[treated]]
    out.loc[treated, "cohort"] = g[treated]
    out.loc[treated, "base"] = closed["base"].to_numpy()[nearest][treated]
    out.loc[treated, "distance_km"] = d_near[treated]
    out.loc[treated, "role"] = "treated"
    out.loc[(within & ~treated) | near_opening, "role"] = "dropped"
    return out


def event_panel(
    events: pd.DataFrame,
    units: gpd.GeoDataFrame,
    months: range,
    outcome: str,
    unit: str = "pgm",
) -> pd.DataFrame:
    """Balanced unit-month panel of one outcome from common-model events.

    Parameters
    ----------
    events : pandas.DataFrame
        Events in the common event model (``date_start``, ``latitude``,
        ``longitude``, ``violence_type``, ``fatalities_best``, ``civilian_deaths``;
        ``deleted`` rows are dropped when the column exists).
    units : geopandas.GeoDataFrame
        ``unit_id`` and polygons; for ``unit='pgm'`` the ids are PRIO-GRID gids.
    months : range
        Month ids of the panel.
    outcome : {'civilian_deaths', 'one_sided', 'all'}
        Civilian deaths, fatalities of one-sided violence, or all fatalities.
    unit : {'pgm', 'admin2'}
        How events find their unit: gid arithmetic or point in polygon.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``month_id``, ``y`` (float), every unit x month present.

    Raises
    ------
    UsageError
        For an unknown outcome or unit type.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    ev = events
    if "deleted" in ev:
        ev = ev[~ev["deleted"].astype(bool)]
    ev = ev.dropna(subset=["latitude", "longitude", "date_start"])
    if outcome == "one_sided":
        ev = ev[ev["violence_type"] == "one_sided"]
    column = "civilian_deaths" if outcome == "civilian_deaths" else "fatalities_best"
    mid = month_id_from_date(pd.to_datetime(ev["date_start"]).to_numpy())
    if unit == "pgm":
        uid = gid_from_latlon(ev["latitude"].to_numpy(), ev["longitude"].to_numpy())
    elif unit == "admin2":
        hits = assign_admin(ev["latitude"], ev["longitude"], units[["unit_id", "geometry"]])
        uid = hits["unit_id"].to_numpy()
    else:
        raise UsageError(f"unit must be 'pgm' or 'admin2', got {unit!r}")
    counts = (
        pd.DataFrame({"unit_id": uid, "month_id": mid, "y": ev[column].fillna(0).to_numpy()})
        .groupby(["unit_id", "month_id"])["y"]
        .sum()
    )
    index = pd.MultiIndex.from_product(
        [units["unit_id"].to_numpy(), np.asarray(months)], names=["unit_id", "month_id"]
    )
    return counts.reindex(index, fill_value=0.0).astype(np.float64).reset_index()


def aggregate_panel(
    aggregates: pd.DataFrame, units: gpd.GeoDataFrame, months: range, outcome: str
) -> pd.DataFrame:
    """Balanced unit-month panel of one outcome from subnational aggregates.

    Parameters
    ----------
    aggregates : pandas.DataFrame
        Current values of one series (:func:`sentinelle.store.aggregates.current_aggregates`):
        ``pcode``, ``month_id``, ``events``, ``fatalities``.
    units : geopandas.GeoDataFrame
        ``unit_id`` and ``pcode`` of each unit.
    months : range
        Month ids of the panel, all within the months the aggregates cover.
    outcome : str
        A key of :data:`AGGREGATE_OUTCOMES`.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``month_id``, ``y`` (float), every unit x month. A unit-month
        the publisher lists no row for counts 0: HDX's workbooks list every unit
        and month they cover, zeros included, so a gap inside their coverage is a
        month without recorded events.

    Raises
    ------
    UsageError
        For an unknown outcome, or units none of whose P-codes the aggregates carry
        (a boundary file of another country or level).
    """
    if outcome not in AGGREGATE_OUTCOMES:
        raise UsageError(f"outcome must be one of {tuple(AGGREGATE_OUTCOMES)}, got {outcome!r}")
    column = AGGREGATE_OUTCOMES[outcome][1]
    known = units["pcode"].isin(aggregates["pcode"])
    if not known.any():
        raise UsageError(
            "no unit of the boundary file carries a P-code of the aggregates "
            f"(e.g. {aggregates['pcode'].iloc[0] if len(aggregates) else '-'}): "
            "is it of another country or admin level?"
        )
    rows = aggregates.merge(units[["unit_id", "pcode"]], on="pcode")
    counts = rows.groupby(["unit_id", "month_id"])[column].sum()
    index = pd.MultiIndex.from_product(
        [units["unit_id"].to_numpy(), np.asarray(months)], names=["unit_id", "month_id"]
    )
    panel = counts.reindex(index, fill_value=0).astype(np.float64).rename("y")
    return panel.reset_index()


@dataclass(frozen=True)
class Ring:
    """The estimation sample of one treated ring: its units and the matched controls."""

    index: int
    label: str
    sample: pd.DataFrame


@dataclass
class Design:
    """A study design ready to estimate: what :func:`~sentinelle.impact.run.run_impact` built.

    Attributes
    ----------
    panel : pandas.DataFrame
        ``unit_id, month_id, y, ring, cohort``: every unit and month of the window.
    units : geopandas.GeoDataFrame
        Output of :func:`assign_treatment`.
    timeline : pandas.DataFrame
        The bases considered (:func:`~sentinelle.impact.timeline.base_timeline`).
    months : range
        Study window (month ids).
    radii_km : tuple of float
        Ring edges.
    window : int
        Event-study leads and lags, and pre-period of the matching, in months.
    n_matches : int
        Control neighbours per treated unit in the matching.
    n_synth, max_donors : int
        Bases given a synthetic control (the largest), and donors of each.
    labels : tuple of str, optional
        Ring labels; :func:`ring_labels` of ``radii_km`` when omitted.
    """

    panel: pd.DataFrame
    units: gpd.GeoDataFrame
    timeline: pd.DataFrame
    months: range
    radii_km: tuple[float, ...]
    window: int = 24
    n_matches: int = 5
    n_synth: int = 3
    max_donors: int = 30
    labels: tuple[str, ...] | None = None
    _pretrends: dict[int, PretrendTest] = field(default_factory=dict, init=False, repr=False)

    def ring_label(self, ring: int) -> str:
        """``'25-50 km'`` (or ``'host unit'``): the label of ring ``ring``."""
        return (self.labels or ring_labels(self.radii_km))[ring]

    @cached_property
    def controls(self) -> npt.NDArray[np.int64]:
        """Ids of the control units (the synthetic controls' donor pool)."""
        ids = self.units.loc[self.units["role"] == "control", "unit_id"]
        return np.asarray(ids.to_numpy(), dtype=np.int64)

    @cached_property
    def matched(self) -> npt.NDArray[np.int64]:
        """Controls nearest to the treated units in pre-closure level and trend."""
        treated = self.units[self.units["role"] == "treated"]
        earliest = int(treated["cohort"].min())
        pre_months = range(max(self.months.start, earliest - self.window), earliest)
        return match_controls(
            self.panel, "y", treated["unit_id"], self.controls, pre_months, k=self.n_matches
        )

    @cached_property
    def rings(self) -> list[Ring]:
        """The rings with treated units, each with its sample (treated and matched)."""
        found = []
        for ring in range(len(self.radii_km)):
            in_ring = self.units.loc[
                (self.units["role"] == "treated") & (self.units["ring"] == ring), "unit_id"
            ]
            if in_ring.empty:
                continue
            ids = self.panel["unit_id"]
            sample = self.panel[ids.isin(in_ring) | ids.isin(self.matched)]
            found.append(Ring(ring, self.ring_label(ring), sample))
        return found

    @cached_property
    def wide(self) -> pd.DataFrame:
        """The outcome with one column per unit, indexed by month."""
        return self.panel.pivot(index="month_id", columns="unit_id", values="y")

    def pretrend(self, ring: Ring) -> PretrendTest:
        """The pre-trend test of ``ring``'s sample (run once per ring)."""
        if ring.index not in self._pretrends:
            self._pretrends[ring.index] = pretrend_test(ring.sample, "y", window=self.window)
        return self._pretrends[ring.index]
