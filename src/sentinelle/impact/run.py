"""The withdrawal-impact analysis of one mission, its comparison across missions, scenarios.

:func:`run_impact` chains the steps: base timeline → units and rings → outcome
panel → matched controls → Callaway-Sant'Anna and did2s per ring, a pre-trend test,
a placebo with closures moved 24 months earlier, and synthetic controls for the
largest closed bases. :func:`compare_missions` puts several results side by side
and :func:`scenario_effect` hands the estimated effect per ring to forecasting.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from sentinelle.geo import month_id, month_id_from_date
from sentinelle.geo.countries import iso3_from_name
from sentinelle.impact.design import assign_treatment, event_panel, grid_units
from sentinelle.impact.estimators import (
    EventStudy,
    callaway_santanna,
    gardner_did2s,
    match_controls,
    placebo_panel,
    pretrend_test,
    synthetic_control,
)
from sentinelle.impact.timeline import DEFAULT_SOURCE, base_timeline

if TYPE_CHECKING:  # the store module imports this one
    from sentinelle.impact.store import StoredImpact

__all__ = ["ImpactResult", "compare_missions", "run_impact", "scenario_effect"]

EFFECT_COLUMNS = [
    "mission",
    "outcome",
    "estimator",
    "ring",
    "ring_label",
    "estimate",
    "se",
    "lower",
    "upper",
    "p_value",
    "n_treated",
    "n_units",
    "pretrend_f",
    "pretrend_p",
]


@dataclass
class ImpactResult:
    """Everything one :func:`run_impact` call estimated, as plain tables.

    Attributes
    ----------
    mission, outcome, unit : str
        What was analysed.
    radii_km : tuple of float
        Ring edges.
    months : range
        Study window (month ids).
    timeline : pandas.DataFrame
        The base timeline used (:func:`~sentinelle.impact.timeline.base_timeline`).
    units : geopandas.GeoDataFrame
        Units with ``ring``, ``cohort``, ``base``, ``role`` ('treated', 'control',
        'dropped') and ``matched`` (control kept by matching).
    effects : pandas.DataFrame
        One row per estimator and ring (``EFFECT_COLUMNS``): DiD estimates with
        confidence intervals, the placebo, and synthetic controls (``estimator`` =
        ``'synth:<base>'``, placebo rank p-value, no interval).
    event_study : pandas.DataFrame
        ``estimator, ring, rel_month, estimate, se, lower, upper``.
    synth_paths : dict of str to pandas.DataFrame
        Treated and synthetic series per base.
    event_source : str or None
        Event source read from the store, None when events were passed in.
    notes : list of str
        What was skipped and why.
    runtime_s : float
        Wall time of the run.
    """

    mission: str
    outcome: str
    unit: str
    radii_km: tuple[float, ...]
    months: range
    timeline: pd.DataFrame
    units: gpd.GeoDataFrame
    effects: pd.DataFrame
    event_study: pd.DataFrame
    synth_paths: dict[str, pd.DataFrame] = field(default_factory=dict)
    event_source: str | None = None
    notes: list[str] = field(default_factory=list)
    runtime_s: float = 0.0


def _effect_row(res: EventStudy, ring: int, label: str) -> dict[str, object]:
    p = 2 * stats.norm.sf(abs(res.att / res.se)) if res.se > 0 else float("nan")
    return {
        "estimator": res.estimator,
        "ring": ring,
        "ring_label": label,
        "estimate": res.att,
        "se": res.se,
        "lower": res.lower,
        "upper": res.upper,
        "p_value": p,
        "n_treated": res.n_treated,
        "n_units": res.n_units,
    }


def _events_of(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame, event_source: str | None
) -> tuple[pd.DataFrame, str]:
    """The store's events of ``event_source`` (or of its only source) and that source."""
    if isinstance(deployments, pd.DataFrame):
        raise ValueError("pass events when deployments is a DataFrame, not a store")
    sources = [r[0] for r in deployments.execute("SELECT DISTINCT source FROM events").fetchall()]
    if event_source is None:
        # Two sources report the same killings: counting both would double them.
        if len(sources) > 1:
            raise ValueError(
                f"the store holds events from {', '.join(sorted(sources))}: choose one source"
            )
        event_source = sources[0] if sources else ""
    frame = deployments.execute(
        "SELECT date_start, latitude, longitude, CAST(violence_type AS VARCHAR) AS "
        "violence_type, fatalities_best, civilian_deaths, deleted, country_iso3 "
        "FROM events WHERE source = ?",
        [event_source],
    ).df()
    return frame, event_source


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
        raise ValueError(
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
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    events: pd.DataFrame | None = None,
    *,
    outcome: str = "civilian_deaths",
    radii_km: Sequence[float] = (25.0, 50.0, 100.0),
    unit: str = "pgm",
    admin_units: gpd.GeoDataFrame | None = None,
    source: str = DEFAULT_SOURCE,
    event_source: str | None = None,
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
    deployments : duckdb.DuckDBPyConnection or pandas.DataFrame
        A store (its ``deployments`` and, when ``events`` is omitted, ``events``
        tables) or a deployments-shaped frame.
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
    source : str, default ``'geopko_frontmap'``
        Deployment source of the timeline.
    event_source : str, optional
        Event source read from the store ('ged', 'acled', ...); needed when the store
        holds more than one, since their events overlap.
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
    ValueError
        If the outcome or unit is unknown, or no base of the mission closed within
        the months the events cover.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")  # doctest: +SKIP
    >>> result = run_impact(con, "MINUSMA", outcome="civilian_deaths")  # doctest: +SKIP
    >>> result.effects[["estimator", "ring_label", "estimate", "lower", "upper"]]  # doctest: +SKIP
    """
    started = time.perf_counter()
    radii = tuple(float(r) for r in radii_km)
    notes: list[str] = []
    timeline = base_timeline(deployments, mission, source=source, closures=closures)
    if events is None:
        ev, event_source = _events_of(deployments, event_source)
    else:
        ev, event_source = events, None
    if ev.empty:
        raise ValueError("no events: load event data first")
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
            raise ValueError("unit='admin2' needs admin_units (see sentinelle.geo.read_admin)")
        # Estimators index units by integer; the admin-2 code stays beside it.
        units = admin_units[["admin2_id", "geometry"]].reset_index(drop=True)
        units.insert(0, "unit_id", np.arange(1, len(units) + 1, dtype=np.int64))
    else:
        raise ValueError(f"unit must be 'pgm' or 'admin2', got {unit!r}")
    units = assign_treatment(units, timeline, radii, months)
    treated_units = units[units["role"] == "treated"]
    if treated_units.empty:
        raise ValueError(
            f"no base of {mission} closed between {months.start} and {months.stop - 1} "
            "with units around it: nothing to estimate"
        )
    panel = event_panel(ev, units, months, outcome, unit)
    panel = panel.merge(units[["unit_id", "ring", "cohort"]], on="unit_id")

    controls = units.loc[units["role"] == "control", "unit_id"].to_numpy()
    earliest = int(treated_units["cohort"].min())
    pre_months = range(max(months.start, earliest - window), earliest)
    matched = match_controls(
        panel, "y", treated_units["unit_id"], controls, pre_months, k=n_matches
    )
    units["matched"] = units["unit_id"].isin(matched)

    rows: list[dict[str, object]] = []
    paths: list[pd.DataFrame] = []
    edges = (0.0, *radii)
    for ring in range(len(radii)):
        label = f"{edges[ring]:g}-{edges[ring + 1]:g} km"
        in_ring = units.loc[(units["role"] == "treated") & (units["ring"] == ring), "unit_id"]
        if in_ring.empty:
            notes.append(f"ring {label}: no treated unit")
            continue
        sample = panel[panel["unit_id"].isin(in_ring) | panel["unit_id"].isin(matched)]
        pre = pretrend_test(sample, "y", window=window)
        for estimator in (callaway_santanna, gardner_did2s):
            res = estimator(sample, "y", window=window)
            rows.append(
                {
                    **_effect_row(res, ring, label),
                    "pretrend_f": pre.f_stat,
                    "pretrend_p": pre.p_value,
                }
            )
            paths.append(res.event.assign(estimator=res.estimator, ring=ring))
        if ring == 0:
            placebo = placebo_panel(sample, shift=window)
            if placebo["cohort"].notna().any():
                res = callaway_santanna(placebo, "y", window=window)
                rows.append({**_effect_row(res, ring, label), "estimator": "placebo_minus_24m"})
            else:
                notes.append("placebo: no unit keeps a pre-period once closures move back")

    synth_paths: dict[str, pd.DataFrame] = {}
    wide = panel.pivot(index="month_id", columns="unit_id", values="y")
    core = units[(units["role"] == "treated") & (units["ring"] == 0)]
    big = timeline[timeline["base"].isin(core["base"])].nlargest(n_synth, "max_troops")
    for base, cohort in zip(big["base"], big["cohort_month"], strict=True):
        ids = core.loc[core["base"] == base, "unit_id"]
        if int(cohort) - months.start < 6:
            notes.append(f"synthetic control {base}: fewer than 6 pre-closure months")
            continue
        res_s = synthetic_control(
            wide[ids].mean(axis=1),
            wide[controls],
            int(cohort),
            window=window,
            max_donors=max_donors,
        )
        synth_paths[str(base)] = res_s.path
        rows.append(
            {
                "estimator": f"synth:{base}",
                "ring": 0,
                "ring_label": f"0-{radii[0]:g} km",
                "estimate": res_s.att,
                "p_value": res_s.p_value,
                "n_treated": len(ids),
                "n_units": len(ids) + res_s.n_donors,
            }
        )
    effects = pd.DataFrame(rows).reindex(columns=EFFECT_COLUMNS)
    effects["mission"] = mission
    effects["outcome"] = outcome
    event_study = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    return ImpactResult(
        mission=mission,
        outcome=outcome,
        unit=unit,
        radii_km=radii,
        months=months,
        timeline=timeline,
        units=units,
        effects=effects,
        event_study=event_study,
        synth_paths=synth_paths,
        event_source=event_source,
        notes=notes,
        runtime_s=time.perf_counter() - started,
    )


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
        did = res.effects[res.effects["estimator"].isin(["callaway_santanna", "did2s"])]
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
    result: ImpactResult | StoredImpact, estimator: str = "callaway_santanna"
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
        raise ValueError(f"no {estimator!r} estimates in this result")
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
