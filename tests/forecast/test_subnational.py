"""Subnational forecasts and backtests on admin panels of aggregates (ACLED's HDX series).

A small constructed store: six units of a gazetteer (no polygons) with monthly
fatalities 2015-2020, one unit named like a spreadsheet formula.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from sentinelle.errors import NoDataError, UsageError
from sentinelle.evaluate.backtest import challenge_window, panel_actuals, run_panel_backtest
from sentinelle.forecast import forecast_summary, latest_forecast_run, make_forecast
from sentinelle.forecast.base import History
from sentinelle.forecast.export import forecast_table
from sentinelle.forecast.features import feature_cube
from sentinelle.forecast.subnational import unit_panel
from sentinelle.geo import month_id
from sentinelle.jobs.forecast import run_forecast
from sentinelle.panel import build_panel
from sentinelle.store.schema import migrate

FIRST = month_id(2015, 1)
LAST = month_id(2020, 12)
CODES = ("BF0101", "BF0102", "BF0103", "BF0201", "BF0202", "BF0203")
NAMES = ("Un", "=HYPERLINK(1)", "Trois", "Quatre", "Cinq", "Six")


def _aggregates() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    months = np.arange(FIRST, LAST + 1)
    rows = []
    for i, code in enumerate(CODES):
        level = [0.0, 0.5, 1.5, 2.5, 3.0, 0.0][i]
        state = 0.0
        for m in months:
            state = 0.8 * state + rng.normal(0, 0.5)
            fat = 0 if level == 0 else int(rng.poisson(np.exp(level + state)))
            rows.append(
                {
                    "source": "acled-hdx", "series": "political_violence", "as_of": None,
                    "iso3": "BFA", "admin_level": 2, "pcode": code, "name": NAMES[i],
                    "admin1_pcode": code[:4], "admin1_name": None, "month_id": int(m),
                    "events": int(fat > 0) + fat // 5, "fatalities": fat, "ingest_id": 1,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("subnational")
    gazetteer = folder / "gazetteer.csv"
    pd.DataFrame(
        {
            "ADM2_PCODE": CODES,
            "ADM2_FR": NAMES,
            "ADM1_PCODE": [c[:4] for c in CODES],
            "ADM1_FR": ["Nord"] * 3 + ["Sud"] * 3,
        }
    ).to_csv(gazetteer, index=False)
    con = duckdb.connect(str(folder / "store.duckdb"))
    migrate(con)
    con.register("_a", _aggregates())
    con.execute("INSERT INTO admin_aggregates SELECT * FROM _a")
    con.unregister("_a")
    build_panel(
        con,
        "admin2",
        month_id(2016, 1),
        LAST,
        countries=["BFA"],
        source="acled-hdx",
        boundaries=gazetteer,
    )
    return con


def test_a_gazetteer_panel_has_no_spatial_lag_and_no_peacekeeping(
    store: duckdb.DuckDBPyConnection,
) -> None:
    chosen = unit_panel(store, "admin2", source="acled-hdx", country="BFA")
    panel = chosen.panel
    assert chosen.target == "fatalities" and chosen.countries == ("BFA",)
    assert not any("splag" in c or c.startswith("pko_") for c in panel.columns)
    assert sorted(panel["unit_code"].unique()) == sorted(CODES)
    # Lags reaching before the data are NaN (nullable integers read as floats).
    assert panel["fatalities_tsum_36"].dtype == np.float64
    expected = _aggregates().set_index(["pcode", "month_id"])["fatalities"]
    got = panel.set_index(["unit_code", "month_id"])["fatalities"]
    assert (got == expected.reindex(got.index)).all()


def test_the_panel_must_be_of_the_source_and_country_asked(
    store: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(NoDataError, match="not MLI alone"):
        unit_panel(store, "admin2", source="acled-hdx", country="MLI")
    with pytest.raises(NoDataError, match="built from acled-hdx, not ged"):
        unit_panel(store, "admin2", source="ged")
    with pytest.raises(UsageError, match="no column 'ged_sb'"):
        unit_panel(store, "admin2", target="ged_sb")


def test_features_follow_the_aggregate_target(store: duckdb.DuckDBPyConnection) -> None:
    panel = unit_panel(store, "admin2").panel
    history = History.from_panel(panel, month_id(2019, 10), "fatalities")
    _, names = feature_cube(history)
    assert "events_log_mean_3" in names and "log_lag_0" in names
    assert not any(n.startswith("ged_") for n in names)


def test_forecast_is_stored_named_per_unit_and_exported(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    run = run_forecast(
        store, None, tmp_path / "bfa.parquet", unit="admin2", draws=200, model="negbin",
        source="acled-hdx", country="BFA",
    )  # fmt: skip
    assert run.target == "fatalities" and run.origin == LAST
    summary = forecast_summary(store, run.run_id)
    assert len(summary) == len(CODES) * 12
    assert summary.groupby("unit_id")["unit_code"].first().tolist() == list(CODES)
    assert latest_forecast_run(store, "admin2", "fatalities", country="BFA") is not None
    assert latest_forecast_run(store, "admin2", "fatalities", country="MLI") is None
    csv, xlsx, draws_csv = (p.name for p in run.tables)
    assert (csv, xlsx, draws_csv) == ("bfa.csv", "bfa.xlsx", "bfa_draws.csv")
    table = pd.read_csv(tmp_path / csv)
    merged = table.merge(
        summary, left_on=["admin2_id", "month_id"], right_on=["unit_id", "month_id"]
    )
    for column in ("mean", "median", "q05", "q95", "p_exceed"):
        np.testing.assert_allclose(merged[f"{column}_x"], merged[f"{column}_y"], atol=1e-9)
    assert "'=HYPERLINK(1)" in set(table["unit_name"])  # escaped in the CSV
    sheet = openpyxl.load_workbook(tmp_path / xlsx)["forecast"]
    header = [c.value for c in sheet[1]]
    names = {row[header.index("unit_name")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" not in names
    wide = pd.read_csv(tmp_path / draws_csv)
    assert len(wide) == len(CODES) * 12 and wide.filter(like="draw_").shape[1] == 200
    meta = json.loads(str(latest_forecast_run(store, "admin2", "fatalities")["meta"]))
    assert json.loads(meta["unit_codes"])["2"] == "BF0102"


def test_forecast_table_matches_the_draws(store: duckdb.DuckDBPyConnection) -> None:
    panel = unit_panel(store, "admin2").panel
    forecast = make_forecast(panel, month_id(2020, 6), range(1, 4), model="conflictology",
                             n_draws=50, target="fatalities")  # fmt: skip
    table = forecast_table(forecast, threshold=5)
    draws = forecast.draws[2, 1].astype(float)
    row = table[(table["unit_id"] == forecast.unit_ids[2]) & (table["horizon"] == 2)].iloc[0]
    assert row["mean"] == pytest.approx(draws.mean())
    assert row["q95"] == pytest.approx(np.quantile(draws, 0.95))
    assert row["p_exceed"] == pytest.approx((draws >= 5).mean())
    assert "unit_code" not in table  # the forecast itself records no unit names


@pytest.fixture(scope="module")
def backtest(store: duckdb.DuckDBPyConnection):  # type: ignore[no-untyped-def]
    chosen = unit_panel(store, "admin2")
    return run_panel_backtest(
        chosen.panel, [2019, 2020], models=["negbin"], n_draws=100,
        unit_names=chosen.unit_names(), progress=False,
    )  # fmt: skip


def test_backtest_scores_models_beside_benchmarks_on_the_same_units(backtest) -> None:  # type: ignore[no-untyped-def]
    summary = backtest.summary()
    assert set(summary.index.get_level_values("model")) == {
        "negbin", "zero", "conflictology", "boot_240"
    }  # fmt: skip
    rows = backtest.rows
    assert (rows.groupby(["window", "model"]).size() == len(CODES) * 12).all()
    # Actuals are the panel's own values of the window's months.
    zero = rows[(rows["model"] == "zero") & (rows["window"] == 2020)]
    assert zero["crps"].to_numpy() == pytest.approx(zero["obs"].to_numpy())
    verdicts = backtest.verdicts("negbin")
    assert list(verdicts.columns) == [
        "crps_vs_zero", "crps_vs_conflictology", "crps_vs_boot_240", "ign_vs_conflictology"
    ]  # fmt: skip
    assert verdicts.notna().all().all()
    goal = backtest.goal("negbin")
    overall = backtest.overall("negbin")
    assert overall["crps"].is_monotonic_increasing and (overall["windows"] == 2).all()
    best = min(("zero", "conflictology", "boot_240"), key=lambda m: overall.loc[m, "crps"])
    assert goal["best_rival"] == best
    assert goal["reduction"] == pytest.approx(
        1 - overall.loc["negbin", "crps"] / overall.loc[best, "crps"]
    )
    text = backtest.to_markdown("negbin")
    assert "Mean CRPS over all windows" in text and "benchmarks fitted on the same units" in text


def test_a_lost_comparison_names_the_units(backtest) -> None:  # type: ignore[no-untyped-def]
    shares = backtest.contributions(2020, "zero", "negbin", n=6)
    assert set(shares["unit"]) <= set(NAMES)
    assert shares["share"].sum() == pytest.approx(
        backtest.summary().loc[(2020, "zero"), "crps"]
        - backtest.summary().loc[(2020, "negbin"), "crps"]
    )


def test_actuals_refuse_a_window_past_the_data(store: duckdb.DuckDBPyConnection) -> None:
    panel = unit_panel(store, "admin2").panel
    with pytest.raises(UsageError, match="window 2021"):
        panel_actuals(panel, challenge_window(2021), "fatalities")


def test_backtest_forecasts_do_not_read_past_the_origin(store: duckdb.DuckDBPyConnection) -> None:
    panel = unit_panel(store, "admin2").panel
    window = challenge_window(2019)
    later = panel["month_id"] > window.origin
    scrambled = panel.copy()
    scrambled.loc[later, "fatalities"] = 10_000
    scrambled.loc[later, "events"] = 0
    for name in ("negbin", "analogue", "markov"):
        a = make_forecast(panel, window.origin, window.horizons, model=name, n_draws=50,
                          target="fatalities")  # fmt: skip
        b = make_forecast(scrambled, window.origin, window.horizons, model=name, n_draws=50,
                          target="fatalities")  # fmt: skip
        np.testing.assert_array_equal(a.draws, b.draws)
