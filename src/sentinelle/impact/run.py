"""The withdrawal-impact analysis of one mission, its comparison across missions, scenarios.

:func:`run_impact` builds the study design (base timeline → units and rings →
outcome panel, see :mod:`~sentinelle.impact.design`) and runs every registered
estimator on it (:data:`~sentinelle.impact.estimators.ESTIMATORS`: by default
Callaway-Sant'Anna and did2s per ring with a pre-trend test, a placebo with
closures moved 24 months earlier, and synthetic controls for the largest closed
bases). :func:`compare_missions` puts several results side by side and
:func:`scenario_effect` hands the estimated effect per ring to forecasting.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from sentinelle.errors import ImpactError, NoDataError, UsageError
from sentinelle.geo import month_id, month_id_from_date
from sentinelle.geo.countries import iso3_from_name
from sentinelle.impact.design import Design, assign_treatment, event_panel, grid_units
from sentinelle.impact.estimators import (
    CHECK_ESTIMATOR,
    ESTIMATORS,
    MAIN_ESTIMATOR,
    Estimates,
    get_estimator,
)
from sentinelle.impact.results import (
    EFFECT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    ImpactResult,
    StoredImpact,
)
from sentinelle.impact.timeline import DEFAULT_SOURCE, base_timeline
from sentinelle.store.queries import pick_event_source

__all__ = ["compare_missions", "run_impact", "scenario_effect"]

# The estimators compare_missions sets side by side.
_COMPARED = (MAIN_ESTIMATOR, CHECK_ESTIMATOR)


def _store_events(
    con: duckdb.DuckDBPyConnection, event_source: str | None
) -> tuple[pd.DataFrame, str]:
    """The store's events of ``event_source`` (or of its only source) and that source."""
    source = pick_event_source(con, event_source)
    frame = con.execute(
        "SELECT date_start, latitude, longitude, CAST(violence_type AS VARCHAR) AS "
        "violence_type, fatalities_best, civilian_deaths, deleted, country_iso3 "
        "FROM events WHERE source = ?",
        [source],
    ).df()
    return frame, source


def _iso3_or_none(name: str) -> str | None:
    try:
        return iso3_from_name(name)
    except KeyError:
        return None


def _covered_bases(
    timeline: pd.DataFrame, events: pd.DataFrame, mission: str, notes: list[str]
) -> pd.DataFrame:
    """Bases in countries the events cover; a note names the countries left out.

    An event source covering only some of a mission's countries (ACLED's Mali file,
    GED for one country) would make every cell of the others look peaceful: cells
    around their bases would enter the analysis as zeros, a spurious "effect".
    """
    if "country_iso3" not in events.columns:
        return timeline  # events passed in without countries: the caller chose them
    covered = set(events["country_iso3"].dropna())
    inside = timeline["country"].map(_iso3_or_none).isin(covered)
    if not inside.any():
        raise ImpactError(
            f"the events cover {', '.join(sorted(covered)) or 'no country'}, none of the "
            f"countries of {mission}'s bases ({', '.join(sorted(set(timeline['country'])))})"
        )
    if not inside.all():
        left_out = sorted(set(timeline.loc[~inside, "country"]))
        notes.append(
            f"{int((~inside).sum())} base(s) in countries without event data left out: "
            + ", ".join(left_out)
        )
    return timeline[inside].reset_index(drop=True)


def run_impact(
    con: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    events: pd.DataFrame | None = None,
    *,
    outcome: str = "civilian_deaths",
    radii_km: Sequence[float] = (25.0, 50.0, 100.0),
    unit: str = "pgm",
    admin_units: gpd.GeoDataFrame | None = None,
    event_source: str | None = None,
    deployment_source: str = DEFAULT_SOURCE,
    estimators: Sequence[str] | None = None,
    closures: pd.DataFrame | None = None,
    window: int = 24,
    region_km: float = 250.0,
    n_matches: int = 5,
    n_synth: int = 3,
    max_donors: int = 30,
) -> ImpactResult:
    """Estimate what base closures of one mission did to violence nearby.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection or pandas.DataFrame
        The store: the mission's bases are read from its ``deployments`` table and,
        when ``events`` is omitted, the events from its ``events`` table. A
        deployments-shaped frame may stand in for it when ``events`` is given.
    mission : str
        Geo-PKO mission acronym, e.g. ``'MINUSMA'``.
    events : pandas.DataFrame, optional
        Common-model events (see :func:`~sentinelle.impact.design.event_panel`);
        read from the store when omitted.
    outcome : {'civilian_deaths', 'one_sided', 'all'}
        Outcome counted per unit-month.
    radii_km : sequence of float, default (25, 50, 100)
        Ring edges; ring 0 is the treated core, the others the spillover rings.
    unit : {'pgm', 'admin2'}
        PRIO-GRID cells, or the areas of ``admin_units``.
    admin_units : geopandas.GeoDataFrame, optional
        Required for ``unit='admin2'``: e.g. ``read_admin(path, 2)``; units are
        numbered 1..n in ``unit_id`` and keep their ``admin2_id``.
    event_source : str, optional
        Event source read from the store ('ged', 'acled', ...: the command line's
        ``--source``); needed when the store holds more than one, since their events
        overlap.
    deployment_source : str, default ``'geopko_frontmap'``
        Deployment source of the base timeline.
    estimators : sequence of str, optional
        Names in :data:`~sentinelle.impact.estimators.ESTIMATORS` to run, in that
        order; every registered estimator when omitted.
    closures : pandas.DataFrame, optional
        Curated closure table; the shipped one when omitted.
    window : int, default 24
        Event-study leads and lags, in months.
    region_km : float, default 250
        Cells within this distance of any base of the mission form the study
        region (``unit='pgm'``).
    n_matches : int, default 5
        Control neighbours per treated unit in the pre-trend matching.
    n_synth : int, default 3
        Synthetic controls are run for this many of the largest closed bases
        (by Geo-PKO troop numbers) that have treated units in ring 0.
    max_donors : int, default 30
        Donor pool size of each synthetic control.

    Returns
    -------
    ImpactResult

    Raises
    ------
    NoDataError
        If the store has no deployments of the mission or no events (of the source).
    UsageError
        If the outcome, unit or an estimator name is unknown, or the store holds
        several event sources and none was chosen.
    ImpactError
        If the events cover none of the mission's countries, or no base of the
        mission closed within the months the events cover.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")  # doctest: +SKIP
    >>> result = run_impact(con, "MINUSMA", outcome="civilian_deaths")  # doctest: +SKIP
    >>> result.effects[["estimator", "ring_label", "estimate", "lower", "upper"]]  # doctest: +SKIP
    """
    started = time.perf_counter()
    chosen = [get_estimator(name) for name in (ESTIMATORS if estimators is None else estimators)]
    radii = tuple(float(r) for r in radii_km)
    notes: list[str] = []
    timeline = base_timeline(con, mission, source=deployment_source, closures=closures)
    if events is not None:
        ev, event_source = events, None
    elif isinstance(con, pd.DataFrame):
        raise UsageError("pass events when deployments come as a DataFrame, not a store")
    else:
        ev, event_source = _store_events(con, event_source)
    if ev.empty:
        raise NoDataError("no events: load event data first")
    timeline = _covered_bases(timeline, ev, mission, notes)
    ev_months = month_id_from_date(pd.to_datetime(ev["date_start"]).to_numpy())
    # The window opens with the mission's first map (all its first sites present)
    # and closes with the event data.
    first = int(month_id(int(timeline["first_year"].min()), 1))
    months = range(max(first, int(ev_months.min())), int(ev_months.max()) + 1)

    if unit == "pgm":
        units = grid_units(timeline, region_km)
    elif unit == "admin2":
        if admin_units is None:
            raise UsageError("unit='admin2' needs admin_units (see sentinelle.geo.read_admin)")
        # Estimators index units by integer; the admin-2 code stays beside it.
        units = admin_units[["admin2_id", "geometry"]].reset_index(drop=True)
        units.insert(0, "unit_id", np.arange(1, len(units) + 1, dtype=np.int64))
    else:
        raise UsageError(f"unit must be 'pgm' or 'admin2', got {unit!r}")
    units = assign_treatment(units, timeline, radii, months)
    if not (units["role"] == "treated").any():
        raise ImpactError(
            f"no base of {mission} closed between {months.start} and {months.stop - 1} "
            "with units around it: nothing to estimate"
        )
    panel = event_panel(ev, units, months, outcome, unit)
    design = Design(
        panel=panel.merge(units[["unit_id", "ring", "cohort"]], on="unit_id"),
        units=units,
        timeline=timeline,
        months=months,
        radii_km=radii,
        window=window,
        n_matches=n_matches,
        n_synth=n_synth,
        max_donors=max_donors,
    )
    units["matched"] = units["unit_id"].isin(design.matched)
    treated_rings = {ring.index for ring in design.rings}
    notes += [
        f"ring {design.ring_label(ring)}: no treated unit"
        for ring in range(len(radii))
        if ring not in treated_rings
    ]
    found = [(est.name, est.estimate(design)) for est in chosen]
    for _, estimates in found:
        notes += estimates.notes
    return ImpactResult(
        mission=mission,
        outcome=outcome,
        unit=unit,
        radii_km=radii,
        months=months,
        timeline=timeline,
        units=units,
        effects=_effects(found, mission, outcome),
        event_study=_event_study(found),
        synth_paths={k: v for _, e in found for k, v in e.paths.items()},
        event_source=event_source,
        notes=notes,
        runtime_s=time.perf_counter() - started,
    )


def _effects(found: Sequence[tuple[str, Estimates]], mission: str, outcome: str) -> pd.DataFrame:
    """The effects table of every estimator's rows (``EFFECT_COLUMNS``)."""
    rows = [{"estimator": name, **row} for name, estimates in found for row in estimates.effects]
    # Read by ring, estimators in registry order within one; per-base rows
    # (``synth:<base>``) after the pooled ones.
    rows.sort(key=lambda r: (":" in str(r["estimator"]), int(str(r["ring"]))))
    effects = pd.DataFrame(rows).reindex(columns=EFFECT_COLUMNS)
    effects["mission"] = mission
    effects["outcome"] = outcome
    return effects


def _event_study(found: Sequence[tuple[str, Estimates]]) -> pd.DataFrame:
    """Every estimator's event-study paths in one table (``EVENT_STUDY_COLUMNS``)."""
    frames = [frame for _, estimates in found for frame in estimates.event_study]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).reindex(columns=EVENT_STUDY_COLUMNS)


def compare_missions(results: Sequence[ImpactResult]) -> pd.DataFrame:
    """Side-by-side DiD effects of several missions (one row per mission and ring).

    Parameters
    ----------
    results : sequence of ImpactResult
        One :func:`run_impact` result per mission (same outcome, ideally).

    Returns
    -------
    pandas.DataFrame
        ``mission, outcome, ring_label, closed_bases, n_treated`` and, per
        estimator (``callaway_santanna``, ``did2s``), ``<est>_estimate``,
        ``<est>_lower``, ``<est>_upper``, plus ``pretrend_p``.

    Examples
    --------
    >>> results = [run_impact(con, m) for m in ("MINUSMA", "UNAMID")]  # doctest: +SKIP
    >>> compare_missions(results)  # doctest: +SKIP
    """
    frames = []
    for res in results:
        did = res.effects[res.effects["estimator"].isin(_COMPARED)]
        wide = did.pivot(
            index="ring_label", columns="estimator", values=["estimate", "lower", "upper"]
        )
        wide.columns = [f"{pair[1]}_{pair[0]}" for pair in wide.columns.to_flat_index()]
        first = did.groupby("ring_label")[["n_treated", "pretrend_p"]].first()
        closed = int(
            (res.timeline["cohort_month"].between(res.months.start, res.months.stop)).sum()
        )
        frames.append(
            wide.join(first)
            .reset_index()
            .assign(mission=res.mission, outcome=res.outcome, closed_bases=closed)
        )
    table = pd.concat(frames, ignore_index=True)
    lead = ["mission", "outcome", "ring_label", "closed_bases", "n_treated"]
    return table[lead + [c for c in table.columns if c not in lead]]


def scenario_effect(
    result: ImpactResult | StoredImpact, estimator: str = MAIN_ESTIMATOR
) -> pd.DataFrame:
    """Estimated change in the outcome per unit-month, by ring, for "as if" forecasts.

    A forecast run as if a base closes adds ``effect`` to the expected outcome of
    each unit whose distance to that base falls in ``[ring_lo_km, ring_hi_km)``
    from the first full month without it, with ``se`` for its uncertainty (see
    :func:`sentinelle.forecast.apply_scenario`); as if a base stays, it adds nothing.

    Parameters
    ----------
    result : ImpactResult or StoredImpact
        Output of :func:`run_impact`, or a run read back with ``latest_impact``.
    estimator : {'callaway_santanna', 'did2s'}
        Which DiD estimate to hand over.

    Returns
    -------
    pandas.DataFrame
        ``mission, outcome, unit, ring_lo_km, ring_hi_km, effect, se, lower, upper,
        p_value``; effects are per unit and month, in outcome units (deaths).

    Examples
    --------
    >>> scenario_effect(result).loc[0, ["ring_lo_km", "ring_hi_km", "effect"]]  # doctest: +SKIP
    """
    if isinstance(result, ImpactResult):
        mission, outcome, unit = result.mission, result.outcome, result.unit
        radii: Sequence[float] = result.radii_km
    else:
        mission, outcome, unit = (result.run[k] for k in ("mission", "outcome", "unit"))
        radii = result.run["radii_km"]
    did = result.effects[result.effects["estimator"] == estimator]
    if did.empty:
        raise UsageError(f"no {estimator!r} estimates in this result")
    edges = np.array((0.0, *radii))
    ring = did["ring"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "mission": mission,
            "outcome": outcome,
            "unit": unit,
            "ring_lo_km": edges[ring],
            "ring_hi_km": edges[ring + 1],
            "effect": did["estimate"].to_numpy(),
            "se": did["se"].to_numpy(),
            "lower": did["lower"].to_numpy(),
            "upper": did["upper"].to_numpy(),
            "p_value": did["p_value"].to_numpy(),
        }
    )
