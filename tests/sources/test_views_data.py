"""The VIEWS cm loader on the real challenge files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import load_views_cm
from tests.forecast.panels import views_cm_dir


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return load_views_cm(views_cm_dir())


def test_panel_covers_191_countries_from_february_2016(panel: pd.DataFrame) -> None:
    assert panel["unit_id"].nunique() == 191
    assert panel["month_id"].min() == 434
    assert panel["month_id"].max() == 528
    assert not panel.duplicated(["unit_id", "month_id"]).any()
    assert (panel.groupby("month_id").size() == 191).all()
    assert panel["ged_sb"].notna().all()
    assert panel.attrs["data_version"].startswith("views-cm:sha256:")
    assert {"ged_ns", "ged_os", "wdi_sp_pop_totl", "vdem_v2x_libdem"} <= set(panel.columns)
    assert not {"Date", "Month", "Year"} & set(panel.columns)


def test_ged_sb_equals_the_challenge_actuals(panel: pd.DataFrame) -> None:
    for year in (2018, 2023):
        actuals = pd.read_parquet(views_cm_dir() / "actuals" / f"cm_actuals_{year}.parquet")
        merged = actuals.reset_index().merge(
            panel, left_on=["month_id", "country_id"], right_on=["month_id", "unit_id"]
        )
        assert len(merged) == 2292
        np.testing.assert_array_equal(merged["outcome"], merged["ged_sb"])


def test_rebuilt_history_agrees_with_the_lag_and_sum_columns(panel: pd.DataFrame) -> None:
    sb = panel.pivot(index="month_id", columns="unit_id", values="ged_sb")
    rows = panel.loc[panel["month_id"] == 457].set_index("unit_id")
    for lag in range(1, 7):
        np.testing.assert_array_equal(sb.loc[457 - lag], rows[f"ged_sb_tlag_{lag}"])
    # The 24-month sum of January 2018 covers February 2016 .. January 2018.
    np.testing.assert_array_equal(sb.loc[434:457].sum(), rows["ged_sb_tsum_24"])
    early = panel.loc[panel["month_id"] < 457]
    assert early["wdi_sp_pop_totl"].isna().all()
    assert early.loc[early["month_id"] == 456, "ged_os"].notna().all()
    assert early.loc[early["month_id"] < 456, "ged_os"].isna().all()


def test_loader_needs_the_monthly_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_views_cm(tmp_path)
