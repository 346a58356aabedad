"""Forecasts in the store: round trip, summaries against numpy, idempotent re-runs."""

from __future__ import annotations

import numpy as np
import pytest

from sentinelle.forecast import (
    Forecast,
    forecast_summary,
    latest_forecast_run,
    make_forecast,
    store_forecast,
)
from sentinelle.store import open_store
from tests.forecast.panels import synthetic_panel


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    panel = synthetic_panel(n_units=6, n_months=30)
    panel.attrs["data_version"] = "synthetic-v1"
    return make_forecast(panel, 420, [1, 2, 3], model="negbin", n_draws=200, seed=1)


def test_summary_matches_the_draws(forecast: Forecast) -> None:
    con = open_store(":memory:")
    run_id = store_forecast(con, forecast, unit="cm")
    run = latest_forecast_run(con, unit="cm")
    assert run is not None and run["run_id"] == run_id
    assert (run["model"], run["origin"], run["first_month"], run["last_month"]) == (
        "negbin", 420, 421, 423,
    )  # fmt: skip
    assert (run["n_units"], run["n_draws"], run["data_version"]) == (6, 200, "synthetic-v1")
    summary = forecast_summary(con, run_id, threshold=5)
    assert len(summary) == 6 * 3
    unit, month = int(forecast.unit_ids[2]), 422
    row = summary[(summary["unit_id"] == unit) & (summary["month_id"] == month)].iloc[0]
    draws = forecast.draws[2, 1].astype(float)
    assert row["mean"] == pytest.approx(draws.mean())
    assert row["median"] == pytest.approx(np.quantile(draws, 0.5))
    assert row["q05"] == pytest.approx(np.quantile(draws, 0.05))
    assert row["q95"] == pytest.approx(np.quantile(draws, 0.95))
    assert row["p_exceed"] == pytest.approx((draws >= 5).mean())
    only = forecast_summary(con, run_id, unit_ids=[unit])
    assert set(only["unit_id"]) == {unit}


def test_storing_the_same_run_again_replaces_it(forecast: Forecast) -> None:
    con = open_store(":memory:")
    store_forecast(con, forecast)
    store_forecast(con, forecast)
    assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM forecast_draws").fetchone() == (6 * 3 * 200,)
    assert latest_forecast_run(con, unit="pgm") is None


def test_a_failed_store_leaves_nothing(forecast: Forecast) -> None:
    con = open_store(":memory:")
    with pytest.raises(ValueError, match="unknown unit"):
        store_forecast(con, forecast, unit="district")
    broken = Forecast(
        model="x", target="ged_sb", origin=420, unit_ids=forecast.unit_ids,
        horizons=forecast.horizons, draws=-forecast.draws - 1, data_version="v",
    )  # fmt: skip
    # The draws insert fails after the run row went in: both must be rolled back.
    con.execute("DROP TABLE forecast_draws")
    con.execute(
        "CREATE TABLE forecast_draws (run_id INTEGER, month_id INTEGER, unit_id BIGINT, "
        "draw SMALLINT, outcome INTEGER CHECK (outcome >= 0))"
    )
    with pytest.raises(Exception, match=r"(?i)constraint"):
        store_forecast(con, broken)
    assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == (0,)
