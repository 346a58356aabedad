"""Study design of a withdrawal analysis: units, their distance to bases, treatment.

A *unit* is a PRIO-GRID cell (``unit='pgm'``) or an administrative area
(``'admin2'``). Its distance to a base is measured from the base to the nearest
point of the unit, so the unit containing a base is at 0 km whatever its size.

Treatment. Rings are the bands between consecutive radii (default 0-25, 25-50 and
50-100 km). A unit is *treated in ring k* when its nearest closed base lies in that
band and no base still open at that closure lies as close as the band's outer
edge (otherwise the unit keeps a base within the same distance and lost nothing).
Its cohort is the closed base's ``cohort_month``. Units at least the outer radius
from every closed base are *controls*, whether they never hosted a base or kept
theirs; units within the outer radius of a base that opened during the study
window are dropped (an opening is a treatment of its own).

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
from sentinelle.impact.estimators.matching import match_controls
from sentinelle.impact.estimators.pretrend import pretrend_test
from sentinelle.impact.results import PretrendTest

__all__ = ["OUTCOMES", "Design", "Ring", "assign_treatment", "event_panel", "grid_units"]

# Outcome name -> (event filter, column summed). 'civilian_deaths' is the common
# event model's civilian_deaths (UCDP deaths_civilians; ACLED fatalities of
# violence against civilians), 'one_sided' fatalities of one-sided violence.
OUTCOMES = ("civilian_deaths", "one_sided", "all")


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


def assign_treatment(
    units: gpd.GeoDataFrame,
    timeline: pd.DataFrame,
    radii_km: tuple[float, ...],
    months: range,
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

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` plus ``ring`` (0-based band, -1 for controls), ``ring_label``
        ('0-25 km', ...), ``cohort`` (NaN for controls), ``base`` (the closed base),
        ``distance_km`` (to it) and ``role`` ('treated', 'control' or 'dropped').
    """
    edges = np.concatenate([[0.0], np.asarray(radii_km, dtype=np.float64)])
    outer = edges[-1]
    cohort = timeline["cohort_month"].to_numpy(dtype=np.float64)
    in_window = (cohort > months.start) & (cohort < months.stop)
    closed = timeline[in_window].reset_index(drop=True)
    dist_all = distances_km(units, timeline)
    out = units.copy()
    out["ring"] = -1
    out["ring_label"] = "control"
    out["cohort"] = np.nan
    out["base"] = None
    out["distance_km"] = np.nan
    out["role"] = "control"

    opened = timeline["open_month"].to_numpy() > months.start
    near_opening = (dist_all[:, opened] < outer).any(axis=1)
    if closed.empty:
        out.loc[near_opening, "role"] = "dropped"
        return out
    dist_closed = dist_all[:, in_window]
    nearest = dist_closed.argmin(axis=1)
    d_near = dist_closed[np.arange(len(units)), nearest]
    g = closed["cohort_month"].to_numpy()[nearest]
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
    out.loc[treated, "ring_label"] = [f"{edges[r]:g}-{edges[r + 1]:g} km" for r in ring[treated]]
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
    _pretrends: dict[int, PretrendTest] = field(default_factory=dict, init=False, repr=False)

    def ring_label(self, ring: int) -> str:
        """``'25-50 km'``: the band of ring ``ring``."""
        edges = (0.0, *self.radii_km)
        return f"{edges[ring]:g}-{edges[ring + 1]:g} km"

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
