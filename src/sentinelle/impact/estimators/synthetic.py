"""Abadie-style synthetic control of the largest closed bases, with in-space placebos.

Via ``pysyncon.Synth``: one aggregated treated series per base, its synthetic drawn
from the control units, and a rank p-value from placebos that treat each donor in
turn.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.errors import ImpactError
from sentinelle.i18n import N_
from sentinelle.impact.estimators.base import Estimates
from sentinelle.impact.estimators.matching import trend_features
from sentinelle.impact.results import SynthResult

if TYPE_CHECKING:
    from sentinelle.impact.design import Design

__all__ = ["SyntheticControl", "synthetic_control"]


def _synth_weights(
    pre_treated: npt.NDArray[np.float64], pre_donors: npt.NDArray[np.float64], block: int
) -> npt.NDArray[np.float64]:
    """pysyncon Synth weights matching block means of the pre-period outcome."""
    from pysyncon import Synth

    n_pre = pre_treated.size
    # Predictors are means over blocks of months: monthly counts are too noisy to
    # match one by one, and a handful of predictors keeps V at the identity.
    edges = np.arange(0, n_pre, block)
    x1 = np.add.reduceat(pre_treated, edges) / np.diff(np.append(edges, n_pre))
    x0 = np.add.reduceat(pre_donors, edges, axis=0) / np.diff(np.append(edges, n_pre))[:, None]
    names = [f"d{i}" for i in range(pre_donors.shape[1])]
    synth = Synth()
    with contextlib.redirect_stdout(io.StringIO()):
        synth.fit(
            X0=pd.DataFrame(x0, columns=names),
            X1=pd.Series(x1, name="treated"),
            Z0=pd.DataFrame(pre_donors, columns=names),
            Z1=pd.Series(pre_treated, name="treated"),
            custom_V=np.ones(x1.size),
        )
    assert synth.W is not None
    return np.asarray(synth.W, dtype=np.float64)


def _rmspe(gap: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(gap**2)))


def synthetic_control(
    treated: pd.Series,
    donors: pd.DataFrame,
    treatment_month: int,
    *,
    window: int = 24,
    block: int = 3,
    max_donors: int | None = 30,
    placebos: dict[tuple[object, ...], list[float]] | None = None,
) -> SynthResult:
    """Synthetic control of one treated series, with in-space placebo inference.

    Parameters
    ----------
    treated : pandas.Series
        Outcome of the treated area, indexed by month.
    donors : pandas.DataFrame
        Outcomes of donor units: index = months (same as ``treated``), one column per
        donor unit.
    treatment_month : int
        First treated month.
    window : int, default 24
        Post months over which the effect is averaged.
    block : int, default 3
        Months averaged into each pre-period predictor.
    max_donors : int or None, default 30
        Keep the donors nearest to the treated series in pre-period level and slope
        (standardised): each placebo is a full fit, so this bounds the run time.
    placebos : dict, optional
        A cache of placebo ratios shared by calls on the same panel: placebos depend
        only on the donors and the treatment month, so bases closing in the same
        month with the same donors fit them once.

    Returns
    -------
    SynthResult
        Effect, fit, rank p-value from placebos that treat each donor in turn (its
        synthetic drawn from the other donors) and compare post/pre RMSPE ratios.

    Raises
    ------
    ImpactError
        With fewer than two donors, or no pre- or post-treatment month.

    Examples
    --------
    >>> res = synthetic_control(panel_wide[7], panel_wide.drop(columns=7), 40)  # doctest: +SKIP
    >>> res.att, res.p_value  # doctest: +SKIP
    """
    months = treated.index.to_numpy()
    pre = months < treatment_month
    post = (months >= treatment_month) & (months < treatment_month + window + 1)
    if donors.shape[1] < 2 or not pre.any() or not post.any():
        raise ImpactError("synthetic control needs two donors and pre and post months")
    if max_donors is not None and donors.shape[1] > max_donors:
        features = trend_features(pd.concat([treated.rename("__treated__"), donors], axis=1)[pre].T)
        scaled = (features - features.mean()) / features.std(ddof=0).replace(0.0, 1.0)
        dist = ((scaled.iloc[1:] - scaled.iloc[0]) ** 2).sum(axis=1)
        donors = donors[dist.nsmallest(max_donors).index]
    y = treated.to_numpy(dtype=np.float64)
    d = donors.loc[treated.index].to_numpy(dtype=np.float64)

    def gap_of(
        target: npt.NDArray[np.float64], pool: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        w = _synth_weights(target[pre], pool[pre], block)
        synthetic = pool @ w
        return target - synthetic, synthetic, w

    gap, synthetic, w = gap_of(y, d)

    def ratio(g: npt.NDArray[np.float64]) -> float:
        # A perfect pre-fit (all-zero series) would divide by zero: floor it.
        return _rmspe(g[post]) / max(_rmspe(g[pre]), 1e-9)

    treated_ratio = ratio(gap)
    key = (treatment_month, window, block, tuple(donors.columns))
    cached = None if placebos is None else placebos.get(key)
    if cached is None:
        cached = []
        for j in range(d.shape[1]):
            g, _, _ = gap_of(d[:, j], np.delete(d, j, axis=1))
            cached.append(ratio(g))
        if placebos is not None:
            placebos[key] = cached
    placebo_ratios = cached
    rank = 1 + int(np.sum(np.asarray(placebo_ratios) >= treated_ratio))
    return SynthResult(
        att=float(gap[post].mean()),
        pre_rmspe=_rmspe(gap[pre]),
        post_rmspe=_rmspe(gap[post]),
        p_value=rank / (len(placebo_ratios) + 1),
        n_donors=d.shape[1],
        path=pd.DataFrame({"month": months, "treated": y, "synthetic": synthetic, "gap": gap}),
        weights=pd.Series(w, index=donors.columns),
    )


@dataclass(frozen=True)
class SyntheticControl:
    """:func:`synthetic_control` of the inner ring around each of the largest closed bases.

    Rows are named ``synth:<base>``; their p-value is the placebo rank, and they have
    no interval.
    """

    name: str = "synth"
    label: str = N_("Synthetic control")

    def estimate(self, design: Design) -> Estimates:
        """One row and one path per base with at least 6 pre-closure months."""
        found = Estimates()
        months, units, wide = design.months, design.units, design.wide
        core = units[(units["role"] == "treated") & (units["ring"] == 0)]
        timeline = design.timeline
        big = timeline[timeline["base"].isin(core["base"])].nlargest(design.n_synth, "max_troops")
        placebos: dict[tuple[object, ...], list[float]] = {}
        for base, cohort in zip(big["base"], big["cohort_month"], strict=True):
            ids = core.loc[core["base"] == base, "unit_id"]
            if int(cohort) - months.start < 6:
                found.notes.append(f"synthetic control {base}: fewer than 6 pre-closure months")
                continue
            res = synthetic_control(
                wide[ids].mean(axis=1),
                wide[design.controls],
                int(cohort),
                window=design.window,
                max_donors=design.max_donors,
                placebos=placebos,
            )
            found.paths[str(base)] = res.path
            found.effects.append(
                {
                    "estimator": f"{self.name}:{base}",
                    "ring": 0,
                    "ring_label": design.ring_label(0),
                    "estimate": res.att,
                    "p_value": res.p_value,
                    "n_treated": len(ids),
                    "n_units": len(ids) + res.n_donors,
                }
            )
        return found
