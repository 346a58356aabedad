"""Entries and exits across missions: the vectorised Callaway-Sant'Anna against
``differences``, and a simulated grid with staggered openings, closures and spillover."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import UsageError
from sentinelle.impact.estimators.cs_fast import staggered_att
from sentinelle.impact.staggered import RINGS, run_staggered
from tests.impact.simulate import NEIGHBOUR_EFFECT, PRESENCE_EFFECT, simulate_deployments


@pytest.mark.parametrize("anticipation", [0, 1])
def test_fast_estimator_gives_differences_numbers(anticipation):
    from differences import ATTgt

    rng = np.random.default_rng(1)
    n, n_t = 240, 8
    cohort = np.where(rng.random(n) < 0.6, rng.integers(2, n_t + 2, n), -1)
    cohort = np.where(cohort >= n_t, -1, cohort)  # cohorts after the panel: never treated
    post = np.arange(n_t)[None, :] >= np.where(cohort < 0, 99, cohort)[:, None]
    y = rng.poisson(1.0, (n, n_t)) + 1.5 * post
    fit = staggered_att(y, cohort, anticipation=anticipation)
    data = pd.DataFrame(
        {
            "u": np.repeat(np.arange(n), n_t),
            "t": np.tile(np.arange(n_t), n),
            "y": y.ravel().astype(float),
            "cohort": np.repeat(np.where(cohort < 0, np.nan, cohort), n_t),
        }
    ).set_index(["u", "t"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ATTgt(data=data, cohort_column="cohort", anticipation=anticipation)
        model.fit(formula="y", control_group="not_yet_treated", progress_bar=False)
        simple = model.aggregate("simple")
        event = model.aggregate("event")
    assert fit.att == pytest.approx(float(simple.iloc[0, 0]), abs=1e-10)
    assert fit.se == pytest.approx(float(simple.iloc[0, 1]), abs=1e-10)
    theirs = event.iloc[:, :2].to_numpy()
    assert list(fit.event["rel_period"]) == list(event.index)
    np.testing.assert_allclose(fit.event[["estimate", "se"]].to_numpy(), theirs, atol=1e-10)


@pytest.fixture(scope="module")
def simulated():
    dep, events, cells = simulate_deployments(3)
    return run_staggered(
        dep, event_data=events, cells=cells, closures=pd.DataFrame(), min_treated=5,
        outcomes=[
            "civilian_deaths",
            "any_civilian_deaths",
            "civilian_deaths_government",
            "civilian_deaths_rebel",
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("event", "ring", "truth"),
    [
        ("entry", 0, PRESENCE_EFFECT),
        ("exit", 0, -PRESENCE_EFFECT),
        ("entry", 1, NEIGHBOUR_EFFECT),
        ("exit", 1, -NEIGHBOUR_EFFECT),
    ],
)
def test_simulated_entry_exit_and_spillover_recovered(simulated, event, ring, truth):
    rows = simulated.effects[
        (simulated.effects["event"] == event)
        & (simulated.effects["ring"] == ring)
        & (simulated.effects["outcome"] == "civilian_deaths")
    ].set_index("mission")
    assert set(rows.index) == {"ALL:africa", "AAA", "BBB"}
    pooled = rows.loc["ALL:africa"]
    assert pooled["ring_label"] == RINGS[ring]
    assert pooled["lower"] <= truth <= pooled["upper"]
    assert abs(pooled["estimate"]) > 2 * pooled["se"]  # an effect, not noise
    # No effect at placebo dates: the average of the leads is within two errors of 0.
    assert abs(pooled["placebo"]) < 2 * pooled["placebo_se"] + 1e-9
    assert pooled["n_treated"] == rows.drop(index="ALL:africa")["n_treated"].sum()


def test_simulated_design_is_yearly_with_perpetrator_split(simulated):
    assert simulated.precision == "year"
    assert list(simulated.design.periods) == list(range(2000, 2016))
    wide = simulated.effects.pivot_table(
        index=["mission", "event", "ring"], columns="outcome", values="estimate"
    )
    # Every simulated death is one-sided, by the government or JNIM: the two split
    # effects add up to the total one (the estimator is linear in the outcome).
    total = wide["civilian_deaths_government"] + wide["civilian_deaths_rebel"]
    np.testing.assert_allclose(total, wide["civilian_deaths"], atol=1e-9)
    assert wide["any_civilian_deaths"].abs().max() < 1  # a probability


def test_no_effect_without_one():
    dep, events, cells = simulate_deployments(5, presence=0.0, neighbour=0.0)
    res = run_staggered(
        dep, event_data=events, cells=cells, closures=pd.DataFrame(), outcomes=["civilian_deaths"],
        per_mission=False,
    )  # fmt: skip
    assert (res.effects["lower"] <= 0).all() and (res.effects["upper"] >= 0).all()


def test_months_are_never_invented():
    dep, events, cells = simulate_deployments(3)
    with pytest.raises(UsageError, match="monthly panel needs monthly"):
        run_staggered(
            dep, event_data=events, cells=cells, closures=pd.DataFrame(), precision="month"
        )
