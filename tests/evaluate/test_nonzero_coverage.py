"""Coverage on the unit-months with deaths, beside coverage, on constructed backtests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.evaluate.backtest import BacktestResult, _label, score_rows

UNITS = 100


def _scored(year: int, model: str, obs: np.ndarray, draws: np.ndarray) -> pd.DataFrame:
    """Per-row scores of one model in one window (its January), by the backtest's code."""
    month = 12 * (year - 1980) + 1
    index = pd.MultiIndex.from_product(
        [[month], range(1, UNITS + 1)], names=["month_id", "unit_id"]
    )
    scored = score_rows(obs, draws, np.random.default_rng(0))
    return _label(scored, year, model, index)


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    """2018: 90 months without deaths, 10 with (1..10 deaths); 2019: no death at all.

    ``from_zero`` draws mostly zeros (90% interval [0, 1]): it covers every zero and
    only the month with one death. ``centred`` draws around each observation.
    """
    rng = np.random.default_rng(1)
    obs_2018 = np.r_[np.zeros(90), np.arange(1.0, 11.0)]
    obs_2019 = np.zeros(UNITS)
    from_zero = np.tile(np.r_[np.zeros(17), np.ones(3)], (UNITS, 1))
    frames, runs = [], []
    for year, obs in ((2018, obs_2018), (2019, obs_2019)):
        centred = np.clip(obs[:, None] + rng.uniform(-0.4, 0.4, (UNITS, 200)), 0, None)
        for model, draws in (("from_zero", from_zero), ("centred", centred)):
            label = model if model == "centred" else "file:" + model
            frames.append(_scored(year, label, obs, draws))
            runs.append({"window": year, "model": label, "n_draws": draws.shape[1], "seconds": 0.0})
    return BacktestResult(pd.concat(frames, ignore_index=True), pd.DataFrame(runs))


def test_high_coverage_can_hide_missed_months_with_deaths(result: BacktestResult) -> None:
    table = result.summary()
    columns = list(table.columns)
    assert columns.index("coverage90_nonzero") == columns.index("coverage") + 1
    zero = table.loc[(2018, "file:from_zero")]
    assert zero["coverage"] == pytest.approx(0.91)  # 90 zeros and the one death
    assert zero["coverage90_nonzero"] == pytest.approx(0.1)  # 1 of the 10 months
    centred = table.loc[(2018, "centred")]
    assert centred["coverage90_nonzero"] == pytest.approx(1.0)


def test_a_window_without_deaths_has_no_nonzero_coverage(result: BacktestResult) -> None:
    table = result.summary().loc[2019]
    assert table["coverage90_nonzero"].isna().all()
    assert (table["coverage"] == 1.0).all()
    english = result.to_markdown(lang="en")
    assert "Coverage (months with deaths)" in english
    assert "Window 2019 has no unit-month with at least one death" in english
    assert "Window 2018 has no" not in english
    french = result.to_markdown(lang="fr")
    assert "Couverture (mois avec décès)" in french
    assert "La fenêtre 2019 ne compte aucune unité-mois" in french


def test_nonzero_coverage_is_written_to_the_tables(result: BacktestResult, tmp_path: Path) -> None:
    result.write(tmp_path, plots=False)
    csv = pd.read_csv(tmp_path / "scores_summary.csv", index_col=[0, 1])
    assert csv.loc[(2018, "file:from_zero"), "coverage90_nonzero"] == pytest.approx(0.1)
    assert np.isnan(csv.loc[(2019, "centred"), "coverage90_nonzero"])
    # Empty in the CSV, not zero.
    header, *lines = (tmp_path / "scores_summary.csv").read_text().splitlines()
    row = next(x for x in lines if x.startswith("2019,centred,")).split(",")
    assert row[header.split(",").index("coverage90_nonzero")] == ""
    markdown = (tmp_path / "scores_summary.md").read_text()
    assert "| coverage | coverage90_nonzero |" in markdown
