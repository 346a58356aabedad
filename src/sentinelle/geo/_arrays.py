"""Input validation shared by the vectorised geo functions (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from sentinelle.errors import UsageError

IntArray = npt.NDArray[np.int64]


def first_bad(values: npt.NDArray[Any], bad: npt.NDArray[np.bool_]) -> object:
    """Return the first element of ``values`` flagged in ``bad``, for error messages."""
    return values[bad].flat[0].item()


def as_int_array(values: npt.ArrayLike, what: str) -> IntArray:
    """Convert to int64, refusing non-integral values rather than truncating them.

    Parameters
    ----------
    values : array_like
        Integers, or floats holding whole numbers (e.g. ids read from a CSV with NAs).
    what : str
        Name of the quantity, used in the error message.

    Returns
    -------
    numpy.ndarray of int64
        Same shape as ``values`` (0-d for a scalar).

    Raises
    ------
    UsageError
        If any value is fractional, infinite or NaN.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    as_float = arr.astype(np.float64)
    fractional = ~np.isfinite(as_float) | (as_float != np.round(as_float))
    if fractional.any():
        raise UsageError(f"{what} must be an integer, got {first_bad(as_float, fractional)!r}")
    return as_float.astype(np.int64)
