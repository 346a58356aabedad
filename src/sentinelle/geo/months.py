"""VIEWS ``month_id``: the integer month index used by VIEWS, and so by Sentinelle panels.

``month_id`` 1 is January 1980 and the index counts calendar months from there::

    month_id = (year - 1980) * 12 + month

so 457 is January 2018 and 517 January 2023. The formula is extended linearly
before 1980 (December 1979 is 0) rather than refused, so arithmetic on month ids
never needs a special case.

Periods are written ``'YYYY-MM..YYYY-MM'`` (both ends included) and parsed into a
``range`` of month ids.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.errors import UsageError
from sentinelle.geo._arrays import IntArray, as_int_array, first_bad

BASE_YEAR = 1980

_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")


@overload
def month_id(year: int, month: int) -> int: ...
@overload
def month_id(year: npt.ArrayLike, month: npt.ArrayLike) -> IntArray: ...
def month_id(year: npt.ArrayLike, month: npt.ArrayLike) -> int | IntArray:
    """VIEWS month id of calendar months.

    Parameters
    ----------
    year : int or array_like of int
        Calendar year.
    month : int or array_like of int
        Month of the year, 1..12; broadcast with ``year``.

    Returns
    -------
    int or numpy.ndarray of int64
        ``(year - 1980) * 12 + month``; an ``int`` when both inputs are scalars.

    Raises
    ------
    UsageError
        If a year or month is not an integer, or a month is outside 1..12.
    """
    year_arr = as_int_array(year, "year")
    month_arr = as_int_array(month, "month")
    bad = (month_arr < 1) | (month_arr > 12)
    if bad.any():
        raise UsageError(f"month must lie in 1..12, got {first_bad(month_arr, bad)!r}")
    ids = (year_arr - BASE_YEAR) * 12 + month_arr
    return int(ids) if ids.ndim == 0 else ids


@overload
def year_month(month_ids: int) -> tuple[int, int]: ...
@overload
def year_month(month_ids: npt.ArrayLike) -> tuple[IntArray, IntArray]: ...
def year_month(month_ids: npt.ArrayLike) -> tuple[int, int] | tuple[IntArray, IntArray]:
    """Calendar year and month of VIEWS month ids.

    Parameters
    ----------
    month_ids : int or array_like of int
        VIEWS month ids (1 = January 1980).

    Returns
    -------
    year, month : int or numpy.ndarray of int64
        E.g. 517 -> (2023, 1).

    Raises
    ------
    UsageError
        If a month id is not an integer.
    """
    offset, month0 = np.divmod(as_int_array(month_ids, "month_id") - 1, 12)
    year = offset + BASE_YEAR
    month = month0 + 1
    if year.ndim == 0:
        return int(year), int(month)
    return year, month


def month_string(mid: int) -> str:
    """``'YYYY-MM'`` label of one VIEWS month id (inverse of :func:`month_id_from_str`).

    Parameters
    ----------
    mid : int
        VIEWS month id.

    Returns
    -------
    str
        E.g. 457 -> ``'2018-01'``.
    """
    year, month = year_month(mid)
    return f"{year:04d}-{month:02d}"


def _parse_year_month(text: str) -> int:
    """Month id of one strict ``'YYYY-MM'`` string (surrounding blanks allowed)."""
    match = _YEAR_MONTH.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"expected a 'YYYY-MM' month, got {text!r}")
    return month_id(int(match[1]), int(match[2]))


# A str is itself array-like to numpy's types; the str overload is matched first.
@overload
def month_id_from_str(text: str) -> int: ...  # type: ignore[overload-overlap]
@overload
def month_id_from_str(text: npt.ArrayLike) -> IntArray: ...
def month_id_from_str(text: npt.ArrayLike) -> int | IntArray:
    """VIEWS month id of ``'YYYY-MM'`` strings.

    Parameters
    ----------
    text : str or array_like of str
        Months written as four-digit year, hyphen, two-digit month (``'2023-07'``).
        Full dates and other layouts are refused: use :func:`month_id_from_date`.

    Returns
    -------
    int or numpy.ndarray of int64
        An ``int`` for a single string.

    Raises
    ------
    UsageError
        If a string is not in ``'YYYY-MM'`` form or its month is outside 01..12.
    """
    if isinstance(text, str):
        return _parse_year_month(text)
    texts = np.asarray(text, dtype=object)
    ids = np.fromiter((_parse_year_month(str(t)) for t in texts.flat), np.int64, texts.size)
    return ids.reshape(texts.shape)


@overload
def month_id_from_date(dates: datetime.date | np.datetime64) -> int: ...
@overload
def month_id_from_date(dates: Any) -> IntArray: ...
def month_id_from_date(dates: Any) -> int | IntArray:
    """VIEWS month id of the month each date falls in.

    Parameters
    ----------
    dates : date-like or array-like of date-likes
        ``datetime.date``/``datetime``, ``numpy.datetime64``, ``pandas.Timestamp``,
        or arrays / ``Series`` / ``DatetimeIndex`` of them (anything
        ``pandas.to_datetime`` reads). Time-zone-aware values use their local date.

    Returns
    -------
    int or numpy.ndarray of int64
        An ``int`` for a scalar date, otherwise an array in input order (positional,
        not aligned on a ``Series`` index).

    Raises
    ------
    UsageError
        If a date is missing (``NaT``/``None``) or unparseable.
    """
    stamps = pd.to_datetime(pd.Series(dates))
    if stamps.isna().any():
        position = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise UsageError(f"missing date at position {position}")
    ids = np.asarray((stamps.dt.year - BASE_YEAR) * 12 + stamps.dt.month, dtype=np.int64)
    return int(ids[0]) if np.ndim(dates) == 0 else ids


PERIOD_EXPECTED = (
    "a year (YYYY, e.g. 2023), a month (YYYY-MM) or a period "
    "(YYYY-MM..YYYY-MM, e.g. 2023-07..2024-06)"
)
_YEAR = re.compile(r"(\d{4})")


def parse_period(text: str) -> range:
    """Month ids of a period: ``'YYYY-MM..YYYY-MM'``, both ends included, or a year.

    Parameters
    ----------
    text : str
        E.g. ``'2023-07..2024-06'`` (12 months). A single ``'YYYY-MM'`` is a
        one-month period and a year ``'2023'`` is January to December 2023.

    Returns
    -------
    range
        ``range(first, last + 1)`` of VIEWS month ids.

    Raises
    ------
    UsageError
        One line saying what is expected (:data:`PERIOD_EXPECTED`) if the text is
        none of these, or saying that the period ends before it starts.

    Examples
    --------
    >>> len(parse_period("2023")), len(parse_period("2023-07..2024-06"))
    (12, 12)
    """
    text = str(text)
    year = _YEAR.fullmatch(text.strip())
    if year is not None:
        return range(month_id(int(year[1]), 1), month_id(int(year[1]), 12) + 1)
    ends = text.split("..")
    try:
        if len(ends) > 2:
            raise UsageError(text)
        start, end = _parse_year_month(ends[0]), _parse_year_month(ends[-1])
    except UsageError:
        raise UsageError(f"expected {PERIOD_EXPECTED}, got {text!r}") from None
    if end < start:
        raise UsageError(f"period {text!r} ends before it starts")
    return range(start, end + 1)


def normalise_period(text: str) -> str:
    """A period written as :func:`parse_period` reads it, as ``'YYYY-MM..YYYY-MM'``.

    Examples
    --------
    >>> normalise_period("2023"), normalise_period(" 2023-07..2024-06 ")
    ('2023-01..2023-12', '2023-07..2024-06')
    """
    months = parse_period(text)
    return f"{month_string(months.start)}..{month_string(months.stop - 1)}"
