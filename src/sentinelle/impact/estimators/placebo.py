"""Placebo: the main estimator with closures moved earlier, where any effect is spurious."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from sentinelle.i18n import N_
from sentinelle.impact.estimators.base import Estimates, cohorts, effect_row
from sentinelle.impact.estimators.callaway_santanna import callaway_santanna

if TYPE_CHECKING:
    from sentinelle.impact.design import Design

__all__ = ["Placebo", "placebo_panel"]


def placebo_panel(
    panel: pd.DataFrame, shift: int = 24, *, time: str = "month_id", cohort: str = "cohort"
) -> pd.DataFrame:
    """The panel as it was before any closure, with closures moved ``shift`` months earlier.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``time`` and ``cohort`` columns.
    shift : int, default 24
        Months by which every cohort is moved back.
    time, cohort : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Months before the earliest true cohort only, so no true effect is in the
        data; shifted cohorts at or after the end of that window become
        never-treated (they are untreated throughout it), and units whose shifted
        cohort leaves no earlier month are dropped. Any estimated effect is spurious.
    """
    first = cohorts(panel, cohort)
    end = first.min()
    out = panel[panel[time] < end].copy()
    shifted = first[panel[time] < end] - shift
    start = out[time].min()
    out[cohort] = shifted.where(shifted < end)
    kept: pd.DataFrame = out[~(out[cohort] <= start)]
    return kept


@dataclass(frozen=True)
class Placebo:
    """Callaway-Sant'Anna on the inner ring's sample with closures moved one window earlier."""

    name: str = "placebo_minus_24m"
    label: str = N_("Placebo: closures moved 24 months earlier")

    def estimate(self, design: Design) -> Estimates:
        """One row for the inner ring, or a note when no unit keeps a pre-period."""
        found = Estimates()
        core = next((ring for ring in design.rings if ring.index == 0), None)
        if core is None:
            return found
        placebo = placebo_panel(core.sample, shift=design.window)
        if placebo["cohort"].notna().any():
            res = callaway_santanna(placebo, "y", window=design.window)
            found.effects.append({**effect_row(res, core), "estimator": self.name})
        else:
            found.notes.append("placebo: no unit keeps a pre-period once closures move back")
        return found
