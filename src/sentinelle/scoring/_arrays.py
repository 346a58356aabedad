"""Shape checks and row chunking shared by the scoring rules on sample draws."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from sentinelle.errors import UsageError

FloatArray = npt.NDArray[np.float64]

# Rows scored per chunk: bounds the memory of the per-chunk copies (rows x draws
# float64; scoringrules sorts one) for PRIO-GRID-sized inputs.
CHUNK_ROWS = 20_000


def validate(obs: npt.ArrayLike, draws: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return ``obs`` as ``(n,)`` and ``draws`` as ``(n, m)`` float arrays, checking shapes."""
    y = np.asarray(obs, dtype=np.float64)
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise UsageError(f"expected obs (n,) and draws (n, m); got {y.shape} and {x.shape}")
    if x.shape[1] == 0:
        raise UsageError("draws must have at least one member per row")
    return y, x


def row_chunks(n_rows: int) -> Iterator[slice]:
    """Consecutive slices of at most ``CHUNK_ROWS`` rows covering ``range(n_rows)``."""
    for start in range(0, n_rows, CHUNK_ROWS):
        yield slice(start, start + CHUNK_ROWS)
