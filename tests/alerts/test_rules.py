"""Each alert rule on constructed series: fires exactly when it should, not otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.alerts import (
    RULES,
    Alert,
    AlertCandidate,
    RuleContext,
    actor_new_admin1_alerts,
    alert_text,
    evaluate_alerts,
    forecast_exceedance,
    hdx_signals,
    monthly_fatalities,
    new_area_alerts,
    read_alerts,
    record_alerts,
    views_cm_series,
)
from sentinelle.forecast import Forecast, store_forecast
from sentinelle.geo import month_string
from sentinelle.store import open_store
from tests.actors.events import store_events


def _series(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": "X", "month_id": range(1, len(values) + 1),
                         "fatalities": values})  # fmt: skip


def _levels(values: list[float], **kw: int) -> dict[int, int]:
    out = hdx_signals(_series(values), **kw)
    return dict(zip(out["month_id"], out["level"], strict=True))


def test_hdx_level1_at_one_year_high_with_floor() -> None:
    assert _levels([50] * 12 + [150]) == {13: 1}
    assert _levels([50] * 12 + [99]) == {}  # a 1-year high below the floor of 100
    assert _levels([200] + [50] * 11 + [150]) == {}  # not the highest of the year
    assert _levels([150] * 12 + [150]) == {13: 1}  # ties count (>=), as in HDX's code
    assert _levels([50] * 11 + [150]) == {}  # 11 prior months: window not full


def test_hdx_level2_at_three_year_high() -> None:
    values = [120.0] + [50.0] * 35 + [130.0]
    assert _levels(values) == {37: 2}
    values = [140.0] + [50.0] * 35 + [130.0]  # 1-year high but not 3-year
    assert _levels(values) == {37: 1}


def test_hdx_suppression_within_180_days() -> None:
    values = [50.0] * 12 + [150, 160, 100, 100, 100, 100, 170]
    out = hdx_signals(_series(values))
    # 13 kept; 14 (level 1, one month later) suppressed; 19 is six months on: kept.
    assert out[["month_id", "suppressed"]].values.tolist() == [[13, False], [14, True],
                                                               [19, False]]  # fmt: skip
    assert hdx_signals(_series(values), cooldown_months=0)["suppressed"].sum() == 0


def test_hdx_refuses_gaps() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        hdx_signals(pd.DataFrame({"unit_id": "X", "month_id": [1, 3], "fatalities": [1, 2]}))


def test_forecast_exceedance_levels() -> None:
    summary = pd.DataFrame(
        {"unit_id": ["MLI", "BFA", "NER"], "month_id": 530, "p_exceed": [0.9, 0.6, 0.5]}
    )
    got = {a.unit_id: a.level for a in forecast_exceedance(summary, min_fatalities=25)}
    assert got == {"MLI": 2, "BFA": 1}  # NER at p = .5 is not above .5


def test_forecast_rule_reads_the_latest_stored_forecast() -> None:
    con = open_store(":memory:")
    assert evaluate_alerts(con)["forecast_exceedance"] == 0  # no forecast stored yet
    # VIEWS country ids 50 (Mali) and 47 (Burkina Faso): 9 and 3 draws of 10 reach 25.
    outcomes = {50: [30] * 9 + [0], 47: [30] * 3 + [0] * 7}
    forecast = Forecast(
        model="negbin", target="ged_sb", origin=528, unit_ids=np.array([47, 50]),
        horizons=np.array([1]), draws=np.array([[outcomes[47]], [outcomes[50]]], np.int32),
        data_version="v1",
    )  # fmt: skip
    run_id = store_forecast(con, forecast, unit="cm")
    assert evaluate_alerts(con)["forecast_exceedance"] == 1
    alert = con.execute(
        "SELECT unit_id, period, level, value, evidence FROM alerts "
        "WHERE rule = 'forecast_exceedance'"
    ).fetchone()
    assert alert is not None
    assert alert[:4] == ("MLI", "2024-01", 2, pytest.approx(0.9))
    assert json.loads(alert[4])["forecast_run"] == run_id
    assert evaluate_alerts(con)["forecast_exceedance"] == 0  # recorded once


def _history(con: object, tmp_path: Path) -> None:
    rows = [
        {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
         "side_b_new_id": "6716", "date": f"{y}-01-15", "best": "5", "type_of_violence": "1",
         "adm_1": "Mopti", "adm_2": "Bandiagara"}
        for y in (2018, 2019, 2020)
    ] + [
        # JNIM in Ségou for the first time, in a cercle quiet for 12 months
        {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
         "side_b_new_id": "6716", "date": "2020-03-02", "best": "3", "type_of_violence": "1",
         "adm_1": "Ségou", "adm_2": "Niono"},
        # Bandiagara again two months after its last event: not new
        {"side_a": "Government of Mali", "side_a_new_id": "72", "side_b": "JNIM",
         "side_b_new_id": "6716", "date": "2020-03-20", "best": "2", "type_of_violence": "1",
         "adm_1": "Mopti", "adm_2": "Bandiagara"},
    ]  # fmt: skip
    store_events(con, rows, tmp_path)  # type: ignore[arg-type]


def test_new_area_fires_only_after_a_quiet_year(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _history(con, tmp_path)
    got = {(a.unit_id, a.period) for a in new_area_alerts(con)}
    # 2018-01 is the first month of data: not judged. 2019-01 and 2020-01 follow a
    # 12-month gap exactly (last event 12 months before is inside the window): not new.
    assert got == {("MLI/Ségou/Niono", "2020-03")}


def test_actor_in_new_admin1(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _history(con, tmp_path)
    got = [(a.unit_id, a.period) for a in actor_new_admin1_alerts(con)]
    assert sorted(got) == [("jnim@MLI/Ségou", "2020-03"), ("mali_forces@MLI/Ségou", "2020-03")]
    alert = actor_new_admin1_alerts(con)[0]
    assert alert.evidence["previously_in"] == ["Mopti"]


def test_monthly_series_and_evaluation_is_idempotent(tmp_path: Path) -> None:
    con = open_store(":memory:")
    _history(con, tmp_path)
    series = monthly_fatalities(con, "admin1")
    assert series["month_id"].nunique() == 27  # 2018-01 .. 2020-03, empty months = 0
    assert series.groupby("unit_id")["fatalities"].sum().to_dict() == {
        "MLI/Mopti": 17, "MLI/Ségou": 3}  # fmt: skip
    first = evaluate_alerts(con)
    assert first["new_area"] == 1 and first["actor_new_admin1"] == 2
    assert set(evaluate_alerts(con).values()) == {0}
    assert record_alerts(con, []) == 0


def test_wording_levels() -> None:
    alert = {"rule": "new_area", "unit_type": "admin2", "unit_id": "MLI/Ségou/Niono",
             "period": "2020-03", "level": 1, "value": 3.0, "threshold": 1.0,
             "evidence": "{}"}  # fmt: skip
    assert alert_text(alert, "fr") == (
        "VIGILANCE — Mali, région de Ségou, cercle de Niono : violences en mars 2020 après "
        "un an sans événement",
        "Mali, région de Ségou, cercle de Niono : violences en mars 2020 après douze mois "
        "sans événement.\nNiveau : vigilance",
    )
    assert alert_text(alert, "en")[0] == (
        "WATCH — Mali, Ségou region, Niono cercle: violence in March 2020 after a year "
        "without events"
    )


def test_wording_of_a_recorded_alert_matches_its_row() -> None:
    con = open_store(":memory:")
    record_alerts(con, [AlertCandidate("new_area", "admin2", "MLI/Ségou/Niono", "2020-03", 1,
                                       3.0, 1.0, {"events": 2})])  # fmt: skip
    [alert] = read_alerts(con, "SELECT * FROM alerts", [])
    assert isinstance(alert, Alert) and alert.alert_id == 1 and alert.created_at is not None
    assert alert.evidence == {"events": 2}
    [row] = con.execute("SELECT * FROM alerts").df().to_dict("records")
    assert alert_text(alert, "fr") == alert_text({str(k): v for k, v in row.items()}, "fr")


@pytest.fixture
def quiet_rule():
    """A rule registered at run time, taken out again after the test."""
    seen: list[RuleContext] = []

    def rule(con, context: RuleContext) -> list[AlertCandidate]:
        seen.append(context)
        return [AlertCandidate("quiet", "country", "NER", "2024-01", 1, 0.0, 0.0)]

    RULES.register("quiet", rule)
    yield seen
    RULES.unregister("quiet")


def test_evaluate_alerts_runs_a_rule_registered_at_run_time(quiet_rule) -> None:
    con = open_store(":memory:")
    found = evaluate_alerts(con, source="acled", min_fatalities=10)
    assert list(found) == [
        "hdx_conflict", "acled_hdx_conflict", "new_area", "actor_new_admin1",
        "forecast_exceedance", "quiet"]  # fmt: skip
    assert found["quiet"] == 1 and evaluate_alerts(con)["quiet"] == 0
    assert (quiet_rule[0].source, quiet_rule[0].min_fatalities) == ("acled", 10)
    assert con.execute("SELECT rule, unit_id FROM alerts").fetchall() == [("quiet", "NER")]


VIEWS_CM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "views-cm"


@pytest.mark.skipif(not VIEWS_CM.exists(), reason="shared VIEWS data not present")
def test_hdx_rule_on_the_views_actuals_of_the_central_sahel() -> None:
    """The table of the closing note: HDX-style alerts for Mali, Burkina Faso, Niger."""
    names = {50: "MLI", 47: "BFA", 78: "NER"}
    signals = hdx_signals(views_cm_series(VIEWS_CM, list(names)))
    kept = signals[(signals["month_id"] >= 457) & ~signals["suppressed"]]
    got = {
        (names[r.unit_id], month_string(r.month_id), r.level, int(r.fatalities))
        for r in kept.itertuples()
    }
    assert got == {
        ("MLI", "2018-04", 1, 103), ("MLI", "2019-11", 2, 133), ("MLI", "2021-04", 2, 155),
        ("MLI", "2022-03", 2, 492), ("MLI", "2023-09", 1, 328),
        ("BFA", "2019-12", 2, 121), ("BFA", "2021-08", 2, 231), ("BFA", "2022-05", 2, 280),
        ("BFA", "2023-02", 2, 367),
        ("NER", "2019-12", 2, 110), ("NER", "2021-12", 2, 166),
    }  # fmt: skip
    # Within five months of a kept alert of the same level, later highs are suppressed.
    assert set(signals.loc[signals["suppressed"], "month_id"].map(month_string)) == {
        "2020-05", "2023-03", "2023-06", "2020-01",
    }  # fmt: skip
