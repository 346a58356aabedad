"""The estimator registry: run_impact runs what is registered, plug-ins included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import NoDataError, UnknownNameError, UsageError
from sentinelle.i18n import translator
from sentinelle.impact import (
    ESTIMATORS,
    MAIN_ESTIMATOR,
    Estimates,
    effect_strings,
    estimator_label,
    get_estimator,
    run_impact,
)
from sentinelle.impact.design import Design


def _deployments() -> pd.DataFrame:
    """Base A closes at the end of 2015; base B, 430 km east, stays open to the end."""
    rows = [("A", -1.0, year) for year in (2014, 2015)] + [
        ("B", 3.0, year) for year in (2014, 2015, 2016, 2017)
    ]
    return pd.DataFrame(
        {
            "source": "geopko_frontmap",
            "mission": "TOY",
            "location": [r[0] for r in rows],
            "country": "Mali",
            "latitude": 15.0,
            "longitude": [r[1] for r in rows],
            "year": [r[2] for r in rows],
            "troops": 100.0,
            "hq": 0,
        }
    )


def _events(n: int = 3000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2014-01-01", "2017-12-31", freq="D")
    deaths = rng.poisson(1.0, n).astype(float)
    return pd.DataFrame(
        {
            "date_start": rng.choice(days, n),
            "latitude": rng.uniform(12.0, 18.0, n),
            "longitude": rng.uniform(-4.0, 6.0, n),
            "violence_type": "one_sided",
            "fatalities_best": deaths,
            "civilian_deaths": deaths,
        }
    )


@dataclass(frozen=True)
class MeanOutcome:
    """A toy estimator: the mean outcome of each ring's sample."""

    name: str = "toy_mean"
    label: str = "mean outcome"

    def estimate(self, design: Design) -> Estimates:
        return Estimates(
            effects=[
                {"ring": r.index, "ring_label": r.label, "estimate": float(r.sample["y"].mean())}
                for r in design.rings
            ],
            notes=["toy: not an effect"],
        )


@pytest.fixture
def toy() -> Iterator[MeanOutcome]:
    estimator = ESTIMATORS.register(MeanOutcome.name, MeanOutcome())
    yield estimator
    ESTIMATORS.unregister(estimator.name)


def test_a_registered_estimator_runs_with_the_others(toy: MeanOutcome) -> None:
    # A small design keeps the built-in estimators quick.
    result = run_impact(
        _deployments(), "TOY", _events(), closures=pd.DataFrame(), radii_km=(25.0, 50.0),
        region_km=100.0, window=6, n_synth=1, max_donors=3,
    )  # fmt: skip
    names = set(result.effects["estimator"])
    assert {MAIN_ESTIMATOR, "did2s", toy.name} <= names
    rows = result.effects[result.effects["estimator"] == toy.name]
    assert list(rows["ring"]) == sorted(
        set(result.units.loc[result.units["role"] == "treated", "ring"])
    )
    assert (rows["mission"] == "TOY").all() and rows["estimate"].notna().all()
    assert "toy: not an effect" in result.notes
    assert estimator_label(toy.name, translator("fr")) == "mean outcome"


def test_run_impact_runs_only_the_estimators_named(toy: MeanOutcome) -> None:
    result = run_impact(
        _deployments(), "TOY", _events(), closures=pd.DataFrame(), estimators=[toy.name]
    )
    assert set(result.effects["estimator"]) == {toy.name}
    assert result.event_study.empty
    with pytest.raises(UnknownNameError, match="toy_mean"):
        run_impact(_deployments(), "TOY", _events(), estimators=["toy_maen"])


def test_errors_say_what_is_wrong() -> None:
    with pytest.raises(UsageError, match="pass events"):
        run_impact(_deployments(), "TOY")
    with pytest.raises(NoDataError, match="no deployments"):
        run_impact(_deployments(), "NOPE", _events())
    with pytest.raises(NoDataError, match="no events"):
        run_impact(_deployments(), "TOY", _events().iloc[:0], closures=pd.DataFrame())
    with pytest.raises(UnknownNameError, match="choose from: callaway_santanna, did2s"):
        get_estimator("callaway")


def test_labels_and_effect_text_in_both_languages() -> None:
    fr, en = translator("fr"), translator("en")
    assert estimator_label(MAIN_ESTIMATOR, en) == get_estimator(MAIN_ESTIMATOR).label
    assert estimator_label("synth:Kidal", en) == "Synthetic control"
    assert estimator_label("something_else", fr) == "something_else"
    row = pd.Series({"estimate": 0.5, "lower": -0.25, "upper": 1.25})
    assert effect_strings(row, fr)["interval"] == "-0,25 à 1,25"
    assert effect_strings(row, en, 1, signed=True)["estimate"] == "+0.5"
    assert effect_strings({**row, "lower": float("nan")}, en)["interval"] == "\u2013"
