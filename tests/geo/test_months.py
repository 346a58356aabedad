"""Tests of VIEWS month ids against hand-computed months and the published VIEWS month key."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinelle.geo.months import (
    month_id,
    month_id_from_date,
    month_id_from_str,
    month_string,
    parse_period,
    year_month,
)


@pytest.mark.parametrize(
    ("year", "month", "mid"),
    [
        (1980, 1, 1),  # the origin
        (1980, 12, 12),
        (1981, 1, 13),
        (2018, 1, 457),  # (2018 - 1980) * 12 + 1 = 456 + 1
        (2023, 1, 517),  # 43 * 12 + 1
        (2023, 7, 523),  # 43 * 12 + 7
        (1979, 12, 0),  # linear extension before 1980
    ],
)
def test_known_months(year: int, month: int, mid: int) -> None:
    assert month_id(year, month) == mid
    assert year_month(mid) == (year, month)


def test_array_forms() -> None:
    ids = month_id([2018, 2023, 2023], [1, 1, 12])
    assert isinstance(ids, np.ndarray)
    assert ids.tolist() == [457, 517, 528]
    years, months = year_month(np.array([1, 12, 13, 0]))
    assert years.tolist() == [1980, 1980, 1981, 1979]
    assert months.tolist() == [1, 12, 1, 12]
    assert type(month_id(2023, 1)) is int


@pytest.mark.parametrize(
    ("year", "month", "message"),
    [
        (2023, 0, r"month must lie in 1\.\.12, got 0"),
        (2023, 13, "got 13"),
        (2023, 1.5, "month must be an integer, got 1.5"),
        (2023.5, 1, "year must be an integer, got 2023.5"),
    ],
)
def test_invalid_months_raise(year: float, month: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        month_id(year, month)


def test_month_strings() -> None:
    assert month_string(457) == "2018-01"
    assert month_string(528) == "2023-12"
    assert month_id_from_str("2023-07") == 523
    assert month_id_from_str(" 2023-07 ") == 523
    ids = month_id_from_str(pd.Series(["2023-07", "1980-01", "2024-06"]))
    assert ids.tolist() == [523, 1, 534]


@pytest.mark.parametrize("text", ["2023-7", "2023-07-01", "2023", "07-2023", ""])
def test_malformed_month_strings_raise(text: str) -> None:
    with pytest.raises(ValueError, match="expected a 'YYYY-MM' month"):
        month_id_from_str(text)


def test_month_thirteen_raises() -> None:
    with pytest.raises(ValueError, match="month must lie in"):
        month_id_from_str("2023-13")


def test_month_id_from_dates() -> None:
    assert month_id_from_date(datetime.date(2023, 7, 31)) == 523
    assert month_id_from_date(datetime.datetime(2023, 7, 1, 0, 0)) == 523
    assert month_id_from_date(np.datetime64("2018-01-15")) == 457
    assert month_id_from_date(pd.Timestamp("2023-01-01")) == 517
    # 2023-07-31 23:30 UTC is already 1 August in Tokyo: the local date counts.
    tokyo = pd.Timestamp("2023-07-31 23:30", tz="UTC").tz_convert("Asia/Tokyo")
    assert month_id_from_date(tokyo) == 524
    series = pd.Series(pd.to_datetime(["2023-01-31", "2023-02-28", "2024-02-29"]), index=[5, 6, 7])
    assert month_id_from_date(series).tolist() == [517, 518, 530]
    days = np.array(["1980-01-01", "1979-12-31"], dtype="datetime64[D]")
    assert month_id_from_date(days).tolist() == [1, 0]
    assert month_id_from_date(pd.date_range("2023-11-01", periods=3, freq="MS")).tolist() == [
        527,
        528,
        529,
    ]


def test_missing_date_raises() -> None:
    with pytest.raises(ValueError, match="position 1"):
        month_id_from_date([datetime.date(2020, 1, 1), None])


def test_parse_period() -> None:
    period = parse_period("2023-07..2024-06")
    assert period == range(523, 535)
    assert len(period) == 12
    assert parse_period("2023-07") == range(523, 524)
    assert parse_period("2023-07..2023-07") == range(523, 524)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-06..2023-07", "ends before it starts"),
        ("2023-07..", "YYYY-MM"),
        ("..2023-07", "YYYY-MM"),
        ("2023-01..2023-06..2023-12", "YYYY-MM..YYYY-MM"),
        ("2023..2024", "YYYY-MM"),
    ],
)
def test_malformed_periods_raise(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(text)


@given(year=st.integers(1900, 2200), month=st.integers(1, 12))
def test_year_month_round_trip(year: int, month: int) -> None:
    mid = month_id(year, month)
    assert year_month(mid) == (year, month)
    assert month_id_from_str(month_string(mid)) == mid
    assert month_id_from_date(datetime.date(year, month, 28)) == mid


@given(mid=st.integers(-1000, 3000))
def test_month_id_round_trip(mid: int) -> None:
    assert month_id(*year_month(mid)) == mid


def test_matches_views_month_key(shared_file: Callable[[str], Path]) -> None:
    key = pd.read_csv(shared_file("views-cm/data_views_month_key.csv"), usecols=[0, 1, 2, 3])
    assert len(key) == 540  # Jan 1980 .. Dec 2024
    assert (month_id(key["Year"], key["Month"]) == key["month_id"]).all()
    years, months = year_month(key["month_id"])
    assert (years == key["Year"]).all()
    assert (months == key["Month"]).all()
    # The key's own labels ('Jan-80'; %y reads 69-99 as 19xx, 00-68 as 20xx) agree.
    dates = pd.to_datetime(key["Date"], format="%b-%y")
    assert (month_id_from_date(dates) == key["month_id"]).all()
