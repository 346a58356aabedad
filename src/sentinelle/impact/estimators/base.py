"""The interface every impact estimator implements, and what the estimator functions share.

An estimator is an object with a ``name`` (its key in
:data:`~sentinelle.impact.estimators.ESTIMATORS` and the ``estimator`` column of
its rows), a ``label`` (marked for translation, shown to readers) and
``estimate(design) -> Estimates``. It reads what it needs from the
:class:`~sentinelle.impact.design.Design`: ring samples with matched controls, the
pre-trend test of a ring, the wide panel of donors; the design computes each of
those once, on first use, so a run of only the synthetic control never matches
controls.

The estimator functions themselves take plain long panels (one row per unit and
month, with a unit id, a month index, an outcome and a ``cohort`` column holding the
first treated month, NaN or 0 for units never treated), so they are tested on
simulated panels independently of how real panels are built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pandas as pd
from scipy import stats

from sentinelle.impact.results import EVENT_COLUMNS, EventStudy, PretrendTest

if TYPE_CHECKING:  # the design computes with the shared helpers of this package
    from sentinelle.impact.design import Design, Ring

__all__ = ["Estimates", "Estimator", "PerRing", "cohorts", "effect_row", "event_study"]


@dataclass
class Estimates:
    """What one estimator found on a design.

    Attributes
    ----------
    effects : list of dict
        Rows of :data:`~sentinelle.impact.results.EFFECT_COLUMNS` (without
        ``mission`` and ``outcome``); a row without ``estimator`` is the estimator's
        ``name``.
    event_study : list of pandas.DataFrame
        Frames of :data:`~sentinelle.impact.results.EVENT_STUDY_COLUMNS`.
    paths : dict of str to pandas.DataFrame
        Series worth plotting, by name (the synthetic control's treated and synthetic
        series per base).
    notes : list of str
        What was skipped and why.
    """

    effects: list[dict[str, object]] = field(default_factory=list)
    event_study: list[pd.DataFrame] = field(default_factory=list)
    paths: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Estimator(Protocol):
    """An impact estimator: registered by ``name`` in ``ESTIMATORS``, run by ``run_impact``."""

    @property
    def name(self) -> str:
        """Registry key, and the ``estimator`` column of its rows unless they say otherwise."""
        ...

    @property
    def label(self) -> str:
        """What readers are told the estimator is (an ``N_``-marked message)."""
        ...

    def estimate(self, design: Design) -> Estimates:
        """The effects (and event study, paths, notes) of ``design``."""
        ...


def cohorts(panel: pd.DataFrame, cohort: str) -> pd.Series:
    """Cohort column with never-treated units as NaN (0 is accepted as a code)."""
    return panel[cohort].where(panel[cohort] > 0)


def event_study(
    estimator: str, att: float, se: float, path: pd.DataFrame, treated: pd.Series, alpha: float
) -> EventStudy:
    """An :class:`EventStudy` with normal ``1 - alpha`` intervals on the ATT and its path.

    ``path`` has ``rel_month, estimate, se``; ``treated`` tells, per unit of the
    sample, whether it is ever treated.
    """
    z = float(stats.norm.ppf(1 - alpha / 2))
    path = path.assign(
        lower=path["estimate"] - z * path["se"], upper=path["estimate"] + z * path["se"]
    )
    return EventStudy(
        estimator=estimator,
        att=att,
        se=se,
        lower=att - z * se,
        upper=att + z * se,
        event=path[EVENT_COLUMNS],
        n_treated=int(treated.sum()),
        n_units=int(treated.size),
    )


def effect_row(res: EventStudy, ring: Ring, pre: PretrendTest | None = None) -> dict[str, object]:
    """The effects row of a DiD fit on ``ring``'s sample, with its pre-trend test if given."""
    p = 2 * stats.norm.sf(abs(res.att / res.se)) if res.se > 0 else float("nan")
    row: dict[str, object] = {
        "estimator": res.estimator,
        "ring": ring.index,
        "ring_label": ring.label,
        "estimate": res.att,
        "se": res.se,
        "lower": res.lower,
        "upper": res.upper,
        "p_value": p,
        "n_treated": res.n_treated,
        "n_units": res.n_units,
    }
    if pre is not None:
        row |= {"pretrend_f": pre.f_stat, "pretrend_p": pre.p_value}
    return row


@dataclass(frozen=True)
class PerRing:
    """An event-study estimator ``fit(panel, outcome, window=...)`` run on each treated ring.

    Each ring gives one effects row, with the ring's pre-trend test, and one
    event-study path.
    """

    name: str
    label: str
    fit: Callable[..., EventStudy]

    def estimate(self, design: Design) -> Estimates:
        """One row and one event-study path per ring with treated units."""
        found = Estimates()
        for ring in design.rings:
            # The pre-trend test runs before the fit, as it always has: pyfixest's
            # iterative demeaning then starts from the same state, and the p-values
            # stay identical to the digit.
            pre = design.pretrend(ring)
            res = self.fit(ring.sample, "y", window=design.window)
            found.effects.append(effect_row(res, ring, pre))
            found.event_study.append(res.event.assign(estimator=self.name, ring=ring.index))
        return found
