"""Control units alike in pre-treatment level and trend, for the DiD samples and donor pools."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["match_controls", "trend_features"]


def trend_features(wide: pd.DataFrame) -> pd.DataFrame:
    """Mean and OLS slope of each unit's series (rows = units, columns = months)."""
    t = np.arange(wide.shape[1], dtype=np.float64)
    t -= t.mean()
    values = wide.to_numpy(dtype=np.float64)
    slope = values @ t / (t @ t)
    return pd.DataFrame({"mean": values.mean(axis=1), "slope": slope}, index=wide.index)


def match_controls(
    panel: pd.DataFrame,
    outcome: str,
    treated: npt.ArrayLike,
    candidates: npt.ArrayLike,
    months: npt.ArrayLike,
    *,
    k: int = 5,
    unit: str = "unit_id",
    time: str = "month_id",
) -> npt.NDArray[np.int64]:
    """Control units nearest to the treated ones in pre-treatment level and trend.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``unit``, ``time`` and ``outcome`` columns.
    outcome : str
        Outcome whose pre-period mean and slope are matched.
    treated, candidates : array_like
        Unit ids of treated units and of eligible controls.
    months : array_like
        Pre-treatment months over which the features are computed (before the
        earliest treatment, so that no feature is affected by it).
    k : int, default 5
        Neighbours per treated unit (with replacement: the union is returned).
    unit, time : str
        Column names.

    Returns
    -------
    numpy.ndarray of int64
        Sorted unique ids of the matched controls (all candidates if there are at
        most ``k``).

    Notes
    -----
    Features are standardised over the candidates so that level and slope weigh
    alike; distance is Euclidean.

    Examples
    --------
    >>> ids = match_controls(panel, "y", [1, 2], range(10, 200), range(1, 37))  # doctest: +SKIP
    """
    from sklearn.neighbors import NearestNeighbors

    treated_ids = np.unique(np.asarray(treated))
    candidate_ids = np.unique(np.asarray(candidates))
    if candidate_ids.size <= k:
        return candidate_ids.astype(np.int64)
    sub = panel[panel[time].isin(np.asarray(months)) & panel[unit].isin(candidate_ids)]
    sub = pd.concat(
        [sub, panel[panel[time].isin(np.asarray(months)) & panel[unit].isin(treated_ids)]]
    )
    wide = sub.pivot_table(index=unit, columns=time, values=outcome, fill_value=0.0)
    features = trend_features(wide)
    pool = features.loc[features.index.isin(candidate_ids)]
    scale = pool.std(ddof=0).replace(0.0, 1.0)
    centre = pool.mean()
    nn = NearestNeighbors(n_neighbors=k).fit(((pool - centre) / scale).to_numpy())
    targets = features.loc[features.index.isin(treated_ids)]
    _, idx = nn.kneighbors(((targets - centre) / scale).to_numpy())
    return np.unique(pool.index.to_numpy()[idx.ravel()]).astype(np.int64)
