"""Forecast files: Sentinelle's own (with provenance) and the VIEWS challenge layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import (
    Forecast,
    load_forecast,
    make_forecast,
    save_forecast,
    to_views_frame,
    write_views_parquet,
)
from tests.forecast.panels import synthetic_panel

PANEL = synthetic_panel(n_units=5, n_months=30)


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    panel = PANEL.copy()
    panel.attrs["data_version"] = "synthetic-v1"
    return make_forecast(panel, 420, [1, 2, 3], model="negbin", n_draws=7, seed=3)


def test_save_and_load_round_trip_keeps_draws_and_provenance(
    forecast: Forecast, tmp_path: Path
) -> None:
    path = save_forecast(forecast, tmp_path / "f.parquet", unit="cm")
    back = load_forecast(path)
    np.testing.assert_array_equal(back.draws, forecast.draws)
    np.testing.assert_array_equal(back.unit_ids, forecast.unit_ids)
    np.testing.assert_array_equal(back.horizons, forecast.horizons)
    assert (back.model, back.target, back.origin) == ("negbin", "ged_sb", 420)
    assert back.data_version == "synthetic-v1"
    assert back.meta == {"unit": "cm"}


def test_load_refuses_files_without_provenance(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"month_id": [1], "unit_id": [1], "draw": [0], "outcome": [0]}).to_parquet(path)
    with pytest.raises(ValueError, match="provenance"):
        load_forecast(path)


def test_views_layout_matches_the_challenge_files(forecast: Forecast, tmp_path: Path) -> None:
    frame = to_views_frame(forecast, "cm")
    assert frame.index.names == ["month_id", "country_id", "draw"]
    assert list(frame.columns) == ["outcome"]
    assert frame["outcome"].dtype == np.int32
    assert len(frame) == 5 * 3 * 7
    assert frame.loc[(422, 3, 4), "outcome"] == forecast.draws[2, 1, 4]
    path = write_views_parquet(forecast, tmp_path / "sub" / "cm_2018.parquet", "pgm")
    assert pd.read_parquet(path).index.names == ["month_id", "priogrid_gid", "draw"]
    with pytest.raises(ValueError, match="unit level"):
        to_views_frame(forecast, "district")
