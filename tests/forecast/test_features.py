"""Panel features: values at month t depend on months <= t only."""

from __future__ import annotations

import numpy as np
import pytest

from sentinelle.forecast.base import History
from sentinelle.forecast.features import feature_cube
from tests.forecast.panels import synthetic_panel

PANEL = synthetic_panel(n_units=12, n_months=40)


def test_features_at_a_month_do_not_change_when_later_months_are_added() -> None:
    short, names = feature_cube(History.from_panel(PANEL, 420, "ged_sb"))
    long, long_names = feature_cube(History.from_panel(PANEL, 439, "ged_sb"))
    assert names == long_names
    np.testing.assert_array_equal(short, long[:, : short.shape[1]])


def test_feature_values_by_hand() -> None:
    panel = PANEL.loc[PANEL["unit_id"] == 2].copy()
    panel["ged_sb"] = 0.0
    panel.loc[panel["month_id"] == 410, "ged_sb"] = 9.0
    panel.loc[panel["month_id"] == 412, "ged_sb"] = 3.0
    cube, names = feature_cube(History.from_panel(panel, 414, "ged_sb"), covariates=())
    at = dict(zip(names, cube[0, -1].tolist(), strict=True))  # month 414
    assert at["log_lag_0"] == 0.0
    assert at["log_lag_2"] == pytest.approx(np.log1p(3.0))
    assert at["log_lag_4"] == pytest.approx(np.log1p(9.0))
    assert at["log_mean_6"] == pytest.approx(np.log1p(12.0 / 6))
    assert at["log_max_12"] == pytest.approx(np.log1p(9.0))
    assert at["share_pos_12"] == pytest.approx(2 / 12)
    assert at["months_since_pos"] == 2.0
    assert at["ged_os_log_mean_3"] == pytest.approx(
        np.log1p(panel.loc[panel["month_id"].between(412, 414), "ged_os"].mean())
    )
    first = dict(zip(names, cube[0, 0].tolist(), strict=True))
    assert np.isnan(first["months_since_pos"])
    assert np.isnan(first["log_lag_1"])


def test_covariates_are_taken_as_they_are_and_missing_ones_skipped() -> None:
    cube, names = feature_cube(
        History.from_panel(PANEL, 420, "ged_sb"), covariates=("wdi_sp_pop_totl", "absent")
    )
    assert "absent" not in names
    column = cube[:, :, names.index("wdi_sp_pop_totl")]
    expected = PANEL.loc[PANEL["month_id"] <= 420].pivot(
        index="unit_id", columns="month_id", values="wdi_sp_pop_totl"
    )
    np.testing.assert_allclose(column, expected.to_numpy(), rtol=1e-6)
