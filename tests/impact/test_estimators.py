"""Simulation tests: the estimators recover a known closure effect and find none in placebos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sentinelle.impact import (
    callaway_santanna,
    gardner_did2s,
    match_controls,
    placebo_panel,
    pretrend_test,
    synthetic_control,
)
from tests.impact.simulate import COHORTS, TRUE_ATT, TRUE_SPILLOVER, simulate_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_panel(seed=7)


def _ring(panel: pd.DataFrame, ring: int) -> pd.DataFrame:
    return panel[panel["ring"].isin([ring, -1])]


@pytest.mark.parametrize("estimator", [callaway_santanna, gardner_did2s])
@pytest.mark.parametrize(("ring", "truth"), [(0, TRUE_ATT), (1, TRUE_SPILLOVER)])
def test_recovers_effect_and_spillover(panel, estimator, ring, truth):
    res = estimator(_ring(panel, ring), "y")
    assert res.lower <= truth <= res.upper
    # The interval must also be informative: it excludes zero.
    assert res.lower > 0
    assert res.n_treated == panel.loc[panel["ring"] == ring, "unit_id"].nunique()


@pytest.mark.parametrize("estimator", [callaway_santanna, gardner_did2s])
def test_event_study_window_and_shape(panel, estimator):
    res = estimator(_ring(panel, 0), "y", window=24)
    ev = res.event.set_index("rel_month")
    assert ev.index.min() >= -24
    assert ev.index.max() == 24
    post = ev.loc[0:24, "estimate"]
    lead = ev.loc[-24:-2, "estimate"]
    assert abs(post.mean() - TRUE_ATT) < 0.5
    assert abs(lead.mean()) < 0.3


@pytest.mark.parametrize("estimator", [callaway_santanna, gardner_did2s])
def test_placebo_dates_give_no_effect(panel, estimator):
    placebo = placebo_panel(_ring(panel, 0), shift=24)
    assert placebo["month_id"].max() < min(COHORTS)
    res = estimator(placebo, "y")
    assert res.lower <= 0 <= res.upper


def test_pretrend_test_accepts_parallel_and_rejects_diverging(panel):
    assert pretrend_test(_ring(panel, 0), "y").p_value > 0.05
    # Treated units rise by 0.1 a month for two years before closure: a violation.
    bent = _ring(panel, 0).copy()
    rel = bent["month_id"] - bent["cohort"]
    bent["y"] += np.where(rel.between(-24, -1), 0.1 * (rel + 25), 0.0)
    assert pretrend_test(bent, "y").p_value < 0.01


def test_match_controls_prefers_similar_trends():
    rng = np.random.default_rng(3)
    months = np.arange(1, 25)
    flat = [rng.poisson(2.0, months.size) for _ in range(20)]
    rising = [rng.poisson(1.0 + 0.3 * months) for _ in range(20)]
    series = [*rising[:2], *flat, *rising[2:]]
    panel = pd.DataFrame(
        {
            "unit_id": np.repeat(np.arange(len(series)), months.size),
            "month_id": np.tile(months, len(series)),
            "y": np.concatenate(series).astype(float),
        }
    )
    matched = match_controls(panel, "y", [0, 1], np.arange(2, len(series)), months, k=3)
    # Units 22.. are the rising ones among the candidates.
    assert (matched >= 22).all()


def test_synthetic_control_effect_and_placebo_rank(panel):
    wide = panel.pivot(index="month_id", columns="unit_id", values="y")
    core = panel.loc[(panel["ring"] == 0) & (panel["cohort"] == COHORTS[1]), "unit_id"].unique()
    controls = panel.loc[panel["ring"] == -1, "unit_id"].unique()
    res = synthetic_control(wide[core].mean(axis=1), wide[controls], COHORTS[1], max_donors=19)
    assert abs(res.att - TRUE_ATT) < 0.75
    assert res.n_donors == 19
    assert res.p_value <= 0.05  # ranked first of 20
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-6)
    # An untreated donor as the "treated" unit: no effect, an unremarkable rank.
    fake = synthetic_control(wide[controls[0]], wide[controls[1:]], COHORTS[1], max_donors=19)
    assert fake.p_value > 0.05
