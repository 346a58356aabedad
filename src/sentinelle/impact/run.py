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
import numpy.typing as npt
import pandas as pd

from sentinelle.errors import ImpactError, NoDataError, UsageError
from sentinelle.geo import month_id, month_id_from_date
from sentinelle.geo.countries import iso3_from_name
from sentinelle.geo.months import month_string
from sentinelle.impact.bases import per_base_table
from sentinelle.impact.design import (
    AGGREGATE_OUTCOMES,
    CONTIGUITY_RINGS,
    Design,
    aggregate_panel,
    assign_treatment,
    contiguity_distances,
    event_panel,
    grid_units,
    ring_labels,
)
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
from sentinelle.impact.timeline import DEFAULT_SOURCE, base_timeline, load_closures
from sentinelle.store.aggregates import aggregate_coverage, current_aggregates
from sentinelle.store.queries import pick_event_source

__all__ = ["compare_missions", "run_impact", "scenario_effect"]

# The estimators compare_missions sets side by side.
_COMPARED = (MAIN_ESTIMATOR, CHECK_ESTIMATOR)

# Closure-date precisions, finest first: a design needs dates at least as fine as
# its ``min_precision``.
PRECISIONS = ("day", "month", "year")


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
    timeline: pd.DataFrame, covered: set[str] | None, mission: str, notes: list[str]
) -> pd.DataFrame:
    """Bases in countries the events cover; a note names the countries left out.

    An event source covering only some of a mission's countries (ACLED's Mali file,
    GED for one country) would make every cell of the others look peaceful: cells
    around their bases would enter the analysis as zeros, a spurious "effect".
    """
    if covered is None:
        return timeline  # events passed in without countries: the caller chose them
    inside = timeline["country"].map(_iso3_or_none).isin(covered)
    if not inside.any():
        raise ImpactError(
            f"the data cover {', '.join(sorted(covered)) or 'no country'}, none of the "
            f"countries of {mission}'s bases ({', '.join(sorted(set(timeline['country'])))})"
        )
    if not inside.all():
        left_out = sorted(set(timeline.loc[~inside, "country"]))
        notes.append(
            f"{int((~inside).sum())} base(s) in countries without outcome data left out: "
            + ", ".join(left_out)
        )
    return timeline[inside].reset_index(drop=True)


def run_impact(
    con: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    events: pd.DataFrame | None = None,
    *,
    outcome: str | None = None,
    radii_km: Sequence[float] = (25.0, 50.0, 100.0),
    unit: str = "pgm",
    admin_units: gpd.GeoDataFrame | None = None,
    event_source: str | None = None,
    deployment_source: str = DEFAULT_SOURCE,
    estimators: Sequence[str] | None = None,
    closures: pd.DataFrame | None = None,
    window: int = 24,
    pre_months: int = 48,
    min_precision: str = "year",
    country: str | None = None,
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
    outcome : str, optional
        Outcome counted per unit-month: of events 'civilian_deaths' (the default),
        'one_sided' or 'all'; of aggregates 'fatalities' (the default), 'events' or
        'civilian_targeting'.
    radii_km : sequence of float, default (25, 50, 100)
        Ring edges of a cell design; ring 0 is the treated core, the others the
        spillover rings. Admin designs count borders instead: ring 0 is the unit
        hosting the base, ring 1 its neighbours (queen contiguity), and controls
        are units that never hosted a base of the mission.
    unit : {'pgm', 'admin2'}
        PRIO-GRID cells, or the areas of ``admin_units``.
    admin_units : geopandas.GeoDataFrame, optional
        Required for ``unit='admin2'``: e.g. ``read_admin(path, 2)``; units are
        numbered 1..n in ``unit_id`` and keep their ``admin2_id``.
    event_source : str, optional
        Source read from the store (the command line's ``--source``): an event
        source ('ged', 'acled', ...; needed when the store holds more than one,
        since their events overlap), or an aggregate source ('acled-hdx'), whose
        current admin-2 values make the panel by P-code (``admin_units`` then need
        P-codes as ids, e.g. OCHA's; ``outcome`` is one of
        :data:`~sentinelle.impact.design.AGGREGATE_OUTCOMES`).
    deployment_source : str, default ``'geopko_frontmap'``
        Deployment source of the base timeline.
    estimators : sequence of str, optional
        Names in :data:`~sentinelle.impact.estimators.ESTIMATORS` to run, in that
        order; every registered estimator when omitted.
    closures : pandas.DataFrame, optional
        Curated closure table; the shipped one when omitted.
    window : int, default 24
        Event-study leads and lags, in months (as many as the data allow).
    pre_months : int, default 48
        Months of the window before the first closure estimated (fewer when the
        data or the mission start later).
    min_precision : {'year', 'month', 'day'}, default 'year'
        Closures dated less precisely are no treatment: their units are dropped,
        with a note (a monthly design cannot place a closure known to the year
        without inventing its month). The command line asks for 'month'.
    country : str, optional
        ISO3 code: only the mission's bases (and the aggregates) of that country.
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
    if min_precision not in PRECISIONS:
        raise UsageError(f"min_precision must be one of {PRECISIONS}, got {min_precision!r}")
    notes: list[str] = []
    timeline = base_timeline(con, mission, source=deployment_source, closures=closures)
    if country is not None:
        timeline = _bases_in(timeline, country, mission, deployment_source)
    aggregates = _aggregates(con, event_source, outcome or "fatalities", country)
    if aggregates is not None:
        outcome = outcome or "fatalities"
        if unit == "pgm":
            raise UsageError(f"{event_source} holds admin-unit aggregates: use unit='admin2'")
        covered: set[str] | None = set(aggregates["iso3"])
        data_months = range(
            int(aggregates["month_id"].min()), int(aggregates["month_id"].max()) + 1
        )
        source_used = event_source
    else:
        outcome = outcome or "civilian_deaths"
        if events is not None:
            ev, source_used = events, None
        elif isinstance(con, pd.DataFrame):
            raise UsageError("pass events when deployments come as a DataFrame, not a store")
        else:
            ev, source_used = _store_events(con, event_source)
        if ev.empty:
            raise NoDataError("no events: load event data first")
        covered = set(ev["country_iso3"].dropna()) if "country_iso3" in ev.columns else None
        ev_months = month_id_from_date(pd.to_datetime(ev["date_start"]).to_numpy())
        data_months = range(int(ev_months.min()), int(ev_months.max()) + 1)
    timeline = _covered_bases(timeline, covered, mission, notes)
    # The window opens with the mission's first map (all its first sites present),
    # the outcome data, or pre_months before the first closure to estimate, whichever
    # is latest, and closes with the outcome data. A later start keeps bases that
    # opened years before the closures (an opening is a treatment of its own) from
    # removing their units.
    first = int(month_id(int(timeline["first_year"].min()), 1))
    eligible = timeline["cohort_month"].between(data_months.start + 1, data_months.stop - 1)
    eligible &= _precision_rank(timeline) <= PRECISIONS.index(min_precision)
    earliest = timeline.loc[eligible, "cohort_month"].min()
    lead_in = int(earliest) - pre_months if eligible.any() else first
    months = range(max(first, data_months.start, lead_in), data_months.stop)
    coarse = _coarse_closures(timeline, min_precision, months, notes)

    contiguity = unit != "pgm"
    if unit == "pgm":
        units = grid_units(timeline, region_km)
        radii = tuple(float(r) for r in radii_km)
        distances = None
    elif unit == "admin2":
        if admin_units is None:
            raise UsageError("unit='admin2' needs admin_units (see sentinelle.geo.read_admin)")
        # Estimators index units by integer; the admin-2 code stays beside it.
        units = admin_units.reset_index(drop=True)
        units = units[[c for c in units.columns if c.startswith("admin")] + ["geometry"]]
        units.insert(0, "unit_id", np.arange(1, len(units) + 1, dtype=np.int64))
        units["pcode"] = units["admin2_id"]
        radii = CONTIGUITY_RINGS[0]
        distances = contiguity_distances(units, timeline)
    else:
        raise UsageError(f"unit must be 'pgm' or 'admin2', got {unit!r}")
    labels = ring_labels(radii, contiguity)
    units = assign_treatment(
        units, timeline, radii, months, distances=distances, labels=labels, excluded=coarse
    )
    if contiguity and distances is not None:
        # Controls never hosted a base of the mission: a unit keeping its base is no
        # picture of a unit that never had one.
        hosts = (distances == 0).any(axis=1) & (units["role"] == "control").to_numpy()
        units.loc[hosts, "role"] = "dropped"
    if not (units["role"] == "treated").any():
        raise ImpactError(_nothing_closed(timeline, mission, months, min_precision, source_used))
    if aggregates is not None:
        panel = aggregate_panel(aggregates, units, months, outcome)
    else:
        panel = event_panel(ev, units, months, outcome, unit)
    treated_bases = units.loc[(units["role"] == "treated") & (units["ring"] == 0), "base"]
    design = Design(
        panel=panel.merge(units[["unit_id", "ring", "cohort"]], on="unit_id"),
        units=units,
        timeline=timeline,
        months=months,
        radii_km=radii,
        window=window,
        n_matches=n_matches,
        # An admin design has few closed bases, each its own story: give every one
        # its synthetic control.
        n_synth=int(treated_bases.nunique()) if contiguity else n_synth,
        max_donors=max_donors,
        labels=labels,
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
    synth_paths = {k: v for _, e in found for k, v in e.paths.items()}
    extra = (
        {
            name: aggregate_panel(aggregates, units, months, name)
            for name in ("fatalities", "events")
        }
        if aggregates is not None and outcome in ("fatalities", "events")
        else {}
    )
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
        synth_paths=synth_paths,
        event_source=source_used,
        notes=notes,
        runtime_s=time.perf_counter() - started,
        labels=labels,
        country=country,
        bases=per_base_table(
            units,
            timeline,
            panel,
            synth_paths,
            outcome,
            load_closures() if closures is None else closures,
            extra,
        ),
    )


def _bases_in(timeline: pd.DataFrame, iso3: str, mission: str, source: str) -> pd.DataFrame:
    """The bases of ``timeline`` in country ``iso3``; an error saying so when none is."""
    inside = timeline["country"].map(_iso3_or_none) == iso3
    if not inside.any():
        raise ImpactError(
            f"no base of {mission} in {iso3} in the deployments data ({source}): "
            f"{mission}'s bases are in {', '.join(sorted(set(timeline['country'])))}"
        )
    return timeline[inside].reset_index(drop=True)


def _aggregates(
    con: duckdb.DuckDBPyConnection | pd.DataFrame,
    source: str | None,
    outcome: str,
    country: str | None,
) -> pd.DataFrame | None:
    """Current aggregates of ``source`` for ``outcome``, or None if it is an event source."""
    if source is None or isinstance(con, pd.DataFrame):
        return None
    coverage = aggregate_coverage(con, source=source)
    if coverage.empty:
        return None
    if outcome not in AGGREGATE_OUTCOMES:
        raise UsageError(
            f"{source} holds aggregates: outcome must be one of {tuple(AGGREGATE_OUTCOMES)}, "
            f"got {outcome!r}"
        )
    series = AGGREGATE_OUTCOMES[outcome][0]
    frame = current_aggregates(con, source=source, series=series, iso3=country, level=2)
    if frame.empty:
        held = coverage.groupby("series")["iso3"].agg(lambda c: ", ".join(sorted(set(c))))
        raise NoDataError(
            f"no admin-2 {series} series of {source}"
            + (f" for {country}" if country else "")
            + "; stored: "
            + "; ".join(f"{k} ({v})" for k, v in held.items())
        )
    return frame


def _precision_rank(timeline: pd.DataFrame) -> pd.Series:
    """Rank of each base's closure-date precision in :data:`PRECISIONS` (NaN if open)."""
    return timeline["date_precision"].map({p: i for i, p in enumerate(PRECISIONS)})


def _coarse_closures(
    timeline: pd.DataFrame, min_precision: str, months: range, notes: list[str]
) -> npt.NDArray[np.bool_]:
    """Closures in the window dated less precisely than ``min_precision``, with a note."""
    rank = _precision_rank(timeline)
    in_window = timeline["cohort_month"].between(months.start + 1, months.stop - 1)
    coarse = (rank > PRECISIONS.index(min_precision)).fillna(False) & in_window
    if coarse.any():
        coarsest = "/".join(sorted(set(timeline.loc[coarse, "date_precision"])))
        notes.append(
            f"closure known only to the {coarsest}, "
            f"left out with the units around it (a {min_precision}-precise date is needed): "
            + ", ".join(timeline.loc[coarse, "base"])
        )
    return np.asarray(coarse.to_numpy(), dtype=bool)


def _nothing_closed(
    timeline: pd.DataFrame, mission: str, months: range, min_precision: str, source: str | None
) -> str:
    """Why no unit is treated: which closures fall outside the data, and what to ingest."""
    first, last = month_string(months.start), month_string(months.stop - 1)
    closed = timeline[timeline["status"] == "closed"]
    after = closed[closed["cohort_month"] >= months.stop]
    text = (
        f"no base of {mission} closed between {first} and {last} (the months "
        f"{source or 'the events'} cover) with a {min_precision}-precise date and units around it"
    )
    if not after.empty:
        dates = after["closure_date"].dt.strftime("%Y-%m")
        text += (
            f"; {len(after)} closure(s) fall after the data ({dates.min()} to {dates.max()}: "
            f"{', '.join(after['base'])}): ingest data that cover them, e.g. "
            "sentinelle ingest acled-hdx FILE (ACLED's subnational monthly aggregates on HDX)"
        )
    return text


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
