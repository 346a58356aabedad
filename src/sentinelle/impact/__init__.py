"""Withdrawal impact: what happens to violence near peacekeeping bases when they close.

- :mod:`~sentinelle.impact.timeline`: base open/close periods from Geo-PKO, refined
  by the curated closure table shipped in ``impact/data/closures.csv``.
- :mod:`~sentinelle.impact.design`: units (PRIO-GRID cells or admin-2 areas), rings
  around closed bases, treatment cohorts, outcome panels from events.
- :mod:`~sentinelle.impact.estimators`: Callaway-Sant'Anna, did2s, pre-trend test,
  placebo, synthetic control and control matching on plain DataFrames.
- :mod:`~sentinelle.impact.run`: :func:`run_impact`, :func:`compare_missions`,
  :func:`scenario_effect`.
- :mod:`~sentinelle.impact.store`: :func:`store_impact`, :func:`latest_impact` (results
  kept in the store for briefings and the dashboard).
- :mod:`~sentinelle.impact.report`: :func:`write_report` (tables, plots, summaries in
  English and French).
"""

from sentinelle.impact.estimators import (
    EventStudy,
    PretrendTest,
    SynthResult,
    callaway_santanna,
    gardner_did2s,
    match_controls,
    placebo_panel,
    pretrend_test,
    synthetic_control,
)
from sentinelle.impact.report import write_report
from sentinelle.impact.run import ImpactResult, compare_missions, run_impact, scenario_effect
from sentinelle.impact.store import StoredImpact, latest_impact, store_impact
from sentinelle.impact.timeline import base_timeline, load_closures

__all__ = [
    "EventStudy",
    "ImpactResult",
    "PretrendTest",
    "StoredImpact",
    "SynthResult",
    "base_timeline",
    "callaway_santanna",
    "compare_missions",
    "gardner_did2s",
    "latest_impact",
    "load_closures",
    "match_controls",
    "placebo_panel",
    "pretrend_test",
    "run_impact",
    "scenario_effect",
    "store_impact",
    "synthetic_control",
    "write_report",
]
