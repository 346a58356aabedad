"""The VIEWS cm loader on the real challenge files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import SchemaError, SourceFileError
from sentinelle.forecast import load_views_cm
from sentinelle.sources.views_data import HISTORY_FILE
from tests.forecast.panels import views_cm_dir


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return load_views_cm(views_cm_dir())


def test_panel_covers_191_countries_from_january_1990(panel: pd.DataFrame) -> None:
    assert panel["unit_id"].nunique() == 191
    assert panel["month_id"].min() == 121
    assert panel["month_id"].max() == 528
    assert not panel.duplicated(["unit_id", "month_id"]).any()
    assert (panel.groupby("month_id").size() == 191).all()
    # From the switch month on every cell is observed; before it, only the months when
    # a country did not exist under its VIEWS id are missing (2,405 cells, 37 ids).
    assert panel.loc[panel["month_id"] >= 434, "ged_sb"].notna().all()
    gaps = panel.loc[panel["ged_sb"].isna()]
    assert len(gaps) == 2405 and gaps["unit_id"].nunique() == 37
    sudan = panel.loc[panel["unit_id"] == 245].set_index("month_id")["ged_sb"]
    assert sudan.loc[:378].isna().all() and sudan.loc[379:].notna().all()
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


def test_without_history_the_panel_starts_in_february_2016() -> None:
    short = load_views_cm(views_cm_dir(), history=False)
    assert short["month_id"].min() == 434 and short["ged_sb"].notna().all()


# Constructed folders: two countries, monthly files for months 60..89 (so the rebuild
# reaches back to month 37, the switch month) and a history file from month 1.
_FIRST, _LAST = 60, 89
_SWITCH = _FIRST - 23  # the 24-month sums reach 23 months before the first row


def _truth(unit: int, month: int) -> float:
    return float((unit * 7 + month * 3) % 11)


def _write_views_folder(root: Path, history: pd.DataFrame | None) -> Path:
    rows = []
    for unit in (1, 2):
        for month in range(_FIRST, _LAST + 1):
            row: dict[str, float] = {
                "month_id": month,
                "country_id": unit,
                "ged_sb": _truth(unit, month),
                "ged_ns": 0.0,
                "ged_os": 0.0,
                "ged_os_tlag_1": 0.0,
                "ged_sb_tsum_24": sum(_truth(unit, m) for m in range(month - 23, month + 1)),
            }
            for lag in range(1, 7):
                row[f"ged_sb_tlag_{lag}"] = _truth(unit, month - lag)
            rows.append(row)
    (root / "features_monthly").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(root / "features_monthly" / "cm_features_x.csv", index=False)
    if history is not None:
        (root / "history").mkdir()
        history.to_csv(root / HISTORY_FILE, index=False)
    return root


def _history(months: range, value: float = 5.0) -> pd.DataFrame:
    keys = pd.MultiIndex.from_product([months, [1, 2]], names=["month_id", "country_id"])
    frame = keys.to_frame(index=False)
    frame["ged_sb_api"] = value
    frame["ged_sb_pace2023"] = value
    return frame


def test_history_fills_the_months_before_the_switch_month(tmp_path: Path) -> None:
    history = _history(range(1, _LAST + 1))
    # Country 2 did not exist under its id before month 10: empty cells.
    history.loc[(history["country_id"] == 2) & (history["month_id"] < 10), "ged_sb_api"] = np.nan
    panel = load_views_cm(_write_views_folder(tmp_path, history))
    sb = panel.pivot(index="month_id", columns="unit_id", values="ged_sb")
    assert sb.index.tolist() == list(range(1, _LAST + 1))
    # Before the switch month: the history file; the predecessor gap stays missing.
    assert (sb.loc[: _SWITCH - 1, 1] == 5.0).all()
    assert sb.loc[:9, 2].isna().all() and (sb.loc[10 : _SWITCH - 1, 2] == 5.0).all()
    # From the switch month on: the rebuilt and monthly values, never the history's 5.0.
    expected = [_truth(2, m) for m in range(_SWITCH, _LAST + 1)]
    np.testing.assert_array_equal(sb.loc[_SWITCH:, 2], expected)


def test_history_rows_from_the_switch_month_on_are_never_read(tmp_path: Path) -> None:
    before = _history(range(1, _SWITCH))
    after = pd.concat([before, _history(range(_SWITCH, _LAST + 1), value=999.0)])
    short = load_views_cm(_write_views_folder(tmp_path / "a", before))
    long = load_views_cm(_write_views_folder(tmp_path / "b", after))
    pd.testing.assert_frame_equal(short, long)
    assert short["ged_sb"].max() < 999


def test_bad_history_files_name_the_file_and_row(tmp_path: Path) -> None:
    negative = _history(range(1, 5))
    negative.loc[3, "ged_sb_api"] = -1
    with pytest.raises(SourceFileError, match=r"views_cm_ged_sb_1990_2023_long.csv: row 5 "):
        load_views_cm(_write_views_folder(tmp_path / "neg", negative))
    with pytest.raises(SchemaError, match="missing columns"):
        load_views_cm(
            _write_views_folder(tmp_path / "col", _history(range(1, 5)).drop(columns="ged_sb_api"))
        )
    repeated = pd.concat([_history(range(1, 3)), _history(range(1, 2))])
    with pytest.raises(SourceFileError, match="row 6 repeats"):
        load_views_cm(_write_views_folder(tmp_path / "dup", repeated))


def test_loader_needs_the_monthly_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_views_cm(tmp_path)
