"""Withdrawal impact: what happens to violence near peacekeeping bases when they close.

- :mod:`~sentinelle.impact.timeline`: base open/close periods from Geo-PKO, refined
  by the curated closure table shipped in ``sources/data/closures.csv``
  (:mod:`sentinelle.sources.closures`).
- :mod:`~sentinelle.impact.design`: units (PRIO-GRID cells or admin-2 areas), rings
  around closed bases, treatment cohorts, outcome panels from events.
  :class:`~sentinelle.impact.design.Design` is what the estimators read.
- :mod:`~sentinelle.impact.estimators`: the registry :data:`ESTIMATORS`
  (Callaway-Sant'Anna, did2s, placebo, synthetic control, one module each) and the
  estimator functions on plain DataFrames, with the pre-trend test and matching.
- :mod:`~sentinelle.impact.results`: the result types and :func:`effect_strings`, the
  one way an effect is written for readers.
- :mod:`~sentinelle.impact.run`: :func:`run_impact`, :func:`compare_missions`,
  :func:`scenario_effect`.
- :mod:`~sentinelle.impact.store`: :func:`store_impact`, :func:`latest_impact` (results
  kept in the store for briefings and the dashboard).
- :mod:`~sentinelle.impact.staggered`: :func:`run_staggered`, entries and exits of
  bases across missions on PRIO-GRID cells (same cell, Queen neighbours), pooled and
  per mission, with the vectorised Callaway-Sant'Anna of
  :mod:`~sentinelle.impact.estimators.cs_fast`; :mod:`~sentinelle.impact.staggered_report`
  writes the EN/FR comparison (CSV, XLSX, forest plots, caveats).
- :mod:`~sentinelle.impact.report`: :func:`write_report` (tables, plots, summaries in
  English and French).
"""

from sentinelle.impact.estimators import (
    CHECK_ESTIMATOR,
    ESTIMATORS,
    MAIN_ESTIMATOR,
    PLACEBO_ESTIMATOR,
    Estimates,
    Estimator,
    callaway_santanna,
    estimator_label,
    gardner_did2s,
    get_estimator,
    match_controls,
    placebo_panel,
    pretrend_test,
    synthetic_control,
)
from sentinelle.impact.report import write_report
from sentinelle.impact.results import (
    EFFECT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    EventStudy,
    ImpactResult,
    PretrendTest,
    StoredImpact,
    SynthResult,
    effect_strings,
)
from sentinelle.impact.run import compare_missions, run_impact, scenario_effect
from sentinelle.impact.staggered import StaggeredResult, run_staggered
from sentinelle.impact.staggered_report import write_comparison
from sentinelle.impact.store import latest_impact, store_impact, store_staggered
from sentinelle.impact.timeline import base_timeline, load_closures

__all__ = [
    "CHECK_ESTIMATOR",
    "EFFECT_COLUMNS",
    "ESTIMATORS",
    "EVENT_STUDY_COLUMNS",
    "MAIN_ESTIMATOR",
    "PLACEBO_ESTIMATOR",
    "Estimates",
    "Estimator",
    "EventStudy",
    "ImpactResult",
    "PretrendTest",
    "StaggeredResult",
    "StoredImpact",
    "SynthResult",
    "base_timeline",
    "callaway_santanna",
    "compare_missions",
    "effect_strings",
    "estimator_label",
    "gardner_did2s",
    "get_estimator",
    "latest_impact",
    "load_closures",
    "match_controls",
    "placebo_panel",
    "pretrend_test",
    "run_impact",
    "run_staggered",
    "scenario_effect",
    "store_impact",
    "store_staggered",
    "synthetic_control",
    "write_comparison",
    "write_report",
]
