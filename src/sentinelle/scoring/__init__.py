"""Scoring rules for sample (ensemble) forecasts of fatality counts.

Every score takes observations of shape ``(n,)`` and draws of shape ``(n, m)`` (one
row of ``m`` sample draws per unit-month) and returns one score per row, so that
callers can average over whatever grouping they need. The conventions are those of the
VIEWS 2023/24 prediction challenge (Hegre et al. 2025):

- CRPS on raw counts, with the empirical distribution of the draws (the ``qd`` /
  ``nrg`` form, identical to ``properscoring.crps_ensemble`` and to the
  ``xskillscore.crps_ensemble`` the challenge used; not the "fair" estimator)
  (:mod:`~sentinelle.scoring.crps`);
- ignorance score (base-2 log score) on the fatality bins ``IGN_BIN_EDGES``, with one
  pseudo-draw added to every bin so that no bin has probability zero
  (:mod:`~sentinelle.scoring.ignorance`);
- mean interval score (MIS) of the central ``1 - alpha`` interval given by the draws'
  quantiles (NumPy's default linear interpolation, as in the challenge code), and the
  coverage of that interval, overall and on the rows with at least one death
  (:mod:`~sentinelle.scoring.interval`);
- Brier score and average precision for the event "at least ``EVENT_THRESHOLD``
  fatalities" (:mod:`~sentinelle.scoring.brier`);
- the randomized PIT of calibration plots (:mod:`~sentinelle.scoring.pit`).

Like scoringrules, one module per family and every public name here::

    from sentinelle.scoring import crps_ensemble, ignorance_score
"""

from sentinelle.scoring.brier import (
    EVENT_THRESHOLD,
    average_precision,
    brier_score,
    event_probability,
)
from sentinelle.scoring.crps import crps_ensemble, expected_abs_difference
from sentinelle.scoring.ignorance import IGN_BIN_EDGES, ignorance_score
from sentinelle.scoring.interval import (
    NONZERO_AT_LEAST,
    coverage,
    interval_bounds,
    interval_score,
    nonzero_coverage,
)
from sentinelle.scoring.pit import randomized_pit

__all__ = [
    "EVENT_THRESHOLD",
    "IGN_BIN_EDGES",
    "NONZERO_AT_LEAST",
    "average_precision",
    "brier_score",
    "coverage",
    "crps_ensemble",
    "event_probability",
    "expected_abs_difference",
    "ignorance_score",
    "interval_bounds",
    "interval_score",
    "nonzero_coverage",
    "randomized_pit",
]
