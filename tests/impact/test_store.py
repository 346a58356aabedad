"""Impact results in the store: written under a run id, read back as they were."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from sentinelle.impact import ImpactResult, latest_impact, store_impact
from sentinelle.impact.results import EFFECT_COLUMNS
from sentinelle.store import open_store


def _result(mission: str, estimate: float) -> ImpactResult:
    effects = pd.DataFrame(
        [
            [mission, "civilian_deaths", "callaway_santanna", 0, "0-25 km", estimate, 0.3,
             estimate - 0.6, estimate + 0.6, 0.01, 12, 80, 1.1, 0.35],
            [mission, "civilian_deaths", "synth:Kidal", 0, "0-25 km", 2.0, None, None, None,
             0.05, 3, 33, None, None],
        ],
        columns=EFFECT_COLUMNS,
    )  # fmt: skip
    event_study = pd.DataFrame(
        {"estimator": "callaway_santanna", "ring": 0, "rel_month": [-1, 0, 1],
         "estimate": [0.0, 1.0, 1.5], "se": 0.2, "lower": [-0.4, 0.6, 1.1],
         "upper": [0.4, 1.4, 1.9]}
    )  # fmt: skip
    return ImpactResult(
        mission=mission, outcome="civilian_deaths", unit="pgm", radii_km=(25.0, 50.0),
        months=range(400, 490), timeline=pd.DataFrame(), units=gpd.GeoDataFrame(),
        effects=effects, event_study=event_study, event_source="acled",
        notes=["closures were not random"], runtime_s=1.5,
    )  # fmt: skip


def test_round_trip_and_latest_per_mission() -> None:
    con = open_store(":memory:")
    assert latest_impact(con) is None
    first = store_impact(con, _result("MINUSMA", 1.2))
    second = store_impact(con, _result("MINUSMA", 1.4))
    store_impact(con, _result("UNAMID", 0.5))
    assert second > first
    stored = latest_impact(con, "minusma")
    assert stored is not None
    assert stored.run["run_id"] == second
    assert stored.run["radii_km"] == [25.0, 50.0]
    assert (stored.run["first_month"], stored.run["last_month"]) == (400, 489)
    assert stored.run["event_source"] == "acled"
    assert stored.run["notes"] == ["closures were not random"]
    cs = stored.effects[stored.effects["estimator"] == "callaway_santanna"].iloc[0]
    assert cs["estimate"] == pytest.approx(1.4) and cs["lower"] == pytest.approx(0.8)
    assert pd.isna(stored.effects.loc[stored.effects["estimator"] == "synth:Kidal", "lower"]).all()
    assert stored.event_study["rel_month"].tolist() == [-1, 0, 1]
    latest = latest_impact(con)
    assert latest is not None and latest.run["mission"] == "UNAMID"
    assert latest_impact(con, "MONUSCO") is None
