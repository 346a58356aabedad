"""Jobs: one function per capability that does the whole job, and the main job.

Each job takes the open store ``con`` and typed arguments, opens nothing itself,
writes its files, stores its results, reports progress through a
:data:`~sentinelle.steps.Step` and returns a frozen report of what it did. The
command line parses options, calls one job and prints its report;
:func:`run_main_job` sequences the jobs into the demo's full run.

=====================  ============================================================
module                 jobs
=====================  ============================================================
:mod:`.ingest`         ``run_ingest``, ``run_fetch``, ``quarantined_rows``
:mod:`.panel`          ``run_panel_build``, ``run_panel_check``, ``run_panel_export``
:mod:`.forecast`       ``run_forecast``, ``run_evaluate``
:mod:`.impact`         ``run_impact``, ``run_impact_compare``
:mod:`.actors`         ``run_actors``, ``run_unmatched_actors``, ``run_situation``
:mod:`.alerts`         ``run_alerts``
:mod:`.brief`          ``run_brief``
:mod:`.main`           ``run_main_job``
=====================  ============================================================

The names are imported on first use (PEP 562): the analysis packages behind them
take seconds to load, which ``sentinelle --help`` should not wait for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentinelle.jobs.actors import (
        ActorsRun,
        SituationRun,
        run_actors,
        run_situation,
        run_unmatched_actors,
    )
    from sentinelle.jobs.alerts import AlertsRun, run_alerts
    from sentinelle.jobs.brief import BriefRun, run_brief
    from sentinelle.jobs.forecast import Evaluation, ForecastRun, run_evaluate, run_forecast
    from sentinelle.jobs.impact import ImpactComparison, ImpactRun, run_impact, run_impact_compare
    from sentinelle.jobs.ingest import QuarantinedRow, quarantined_rows, run_fetch, run_ingest
    from sentinelle.jobs.main import JobReport, run_main_job
    from sentinelle.jobs.panel import (
        PanelBuild,
        run_panel_build,
        run_panel_check,
        run_panel_export,
    )

_MODULE_OF = {
    **dict.fromkeys(
        ("ActorsRun", "SituationRun", "run_actors", "run_situation", "run_unmatched_actors"),
        "actors",
    ),
    **dict.fromkeys(("AlertsRun", "run_alerts"), "alerts"),
    **dict.fromkeys(("BriefRun", "run_brief"), "brief"),
    **dict.fromkeys(("Evaluation", "ForecastRun", "run_evaluate", "run_forecast"), "forecast"),
    **dict.fromkeys(
        ("ImpactComparison", "ImpactRun", "run_impact", "run_impact_compare"), "impact"
    ),
    **dict.fromkeys(("QuarantinedRow", "quarantined_rows", "run_fetch", "run_ingest"), "ingest"),
    **dict.fromkeys(("JobReport", "run_main_job"), "main"),
    **dict.fromkeys(
        ("PanelBuild", "run_panel_build", "run_panel_check", "run_panel_export"), "panel"
    ),
}


def __getattr__(name: str) -> Any:
    """A job or report of a submodule, imported when first asked for."""
    if name in _MODULE_OF:
        return getattr(import_module(f"sentinelle.jobs.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ActorsRun",
    "AlertsRun",
    "BriefRun",
    "Evaluation",
    "ForecastRun",
    "ImpactComparison",
    "ImpactRun",
    "JobReport",
    "PanelBuild",
    "QuarantinedRow",
    "SituationRun",
    "quarantined_rows",
    "run_actors",
    "run_alerts",
    "run_brief",
    "run_evaluate",
    "run_fetch",
    "run_forecast",
    "run_impact",
    "run_impact_compare",
    "run_ingest",
    "run_main_job",
    "run_panel_build",
    "run_panel_check",
    "run_panel_export",
    "run_situation",
    "run_unmatched_actors",
]
