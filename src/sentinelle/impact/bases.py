"""The per-base table of a withdrawal analysis: each closed base, its unit, before and after.

One row per base whose closure is a treatment of the design: the base, the unit it
stood in (cercle, province or cell), its closure date with precision, what the
closure table's sources say happened to the site (and who took it over, only where a
source says so: the column is left empty otherwise), the outcome in the host unit in
the 12 months before the first full month without the base and in up to 12 months
from it (fewer when the data end sooner; the count is given), and, where a synthetic
control ran for the base, what its synthetic counterfactual gives over the same
months.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from sentinelle.geo import assign_admin

__all__ = ["BASE_COLUMNS", "per_base_table"]

BASE_COLUMNS = [
    "base",
    "unit_id",
    "unit_code",
    "unit_name",
    "closure_date",
    "date_precision",
    "cohort_month",
    "what_happened",
    "taken_over_by",
    "citation",
    "outcome",
    "before_12m",
    "after_12m",
    "months_after",
    "synthetic_after",
    "events_before_12m",
    "events_after_12m",
]

_SPAN = 12


def _window_sums(panel: pd.DataFrame, unit_id: int, cohort: int) -> tuple[float, float, int]:
    """Outcome of ``unit_id`` in the 12 months before ``cohort`` and up to 12 from it."""
    rows = panel[panel["unit_id"] == unit_id].set_index("month_id")["y"]
    before = rows.loc[cohort - _SPAN : cohort - 1]
    after = rows.loc[cohort : cohort + _SPAN - 1]
    return float(before.sum()), float(after.sum()), int(after.size)


def _text(value: object) -> str | None:
    """A cell of the closure table as text, None where it is empty."""
    return None if pd.isna(value) or value == "" else str(value)  # type: ignore[call-overload]


def per_base_table(
    units: gpd.GeoDataFrame,
    timeline: pd.DataFrame,
    panel: pd.DataFrame,
    synth_paths: Mapping[str, pd.DataFrame],
    outcome: str,
    closures: pd.DataFrame,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One row per closed base with a treated host unit (:data:`BASE_COLUMNS`).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Output of :func:`~sentinelle.impact.design.assign_treatment` (``ring``,
        ``base``, ``role``; admin units also ``admin2_id`` and ``admin2_name``).
    timeline : pandas.DataFrame
        The base timeline.
    panel : pandas.DataFrame
        ``unit_id, month_id, y``: the design's outcome.
    synth_paths : mapping of str to pandas.DataFrame
        Synthetic-control paths by base (``month, treated, synthetic``).
    outcome : str
        Name of the outcome in ``panel``.
    closures : pandas.DataFrame
        The curated closure table (:func:`~sentinelle.impact.timeline.load_closures`):
        its ``event`` and ``taken_over_by`` columns, matched by ``mission`` and
        ``geopko_location``, say what happened to each site. The table's English is
        kept (stored and exported as written); readers get it in their language
        where it is shown (:func:`~sentinelle.sources.closures.closure_wording`).
    extra : mapping of str to pandas.DataFrame, optional
        Other outcome panels of the same units; ``'events'`` fills the
        ``events_*`` columns.

    Returns
    -------
    pandas.DataFrame
        Sorted by closure date. A base sharing its unit with another closed base
        has its own row; both rows show the same unit's figures from the unit's
        treatment month (the first full month without either).
    """
    host = units[(units["role"] == "treated") & (units["ring"] == 0)]
    if host.empty:
        return pd.DataFrame(columns=BASE_COLUMNS)
    code = "admin2_id" if "admin2_id" in host.columns else "unit_id"
    name = "admin2_name" if "admin2_name" in host.columns else None
    # The unit each closed base stood in; two bases of one unit share its row's
    # treatment month (that of the last to close).
    closed = timeline[timeline["status"] == "closed"].reset_index(drop=True)
    found = assign_admin(closed["latitude"], closed["longitude"], host[["unit_id", "geometry"]])
    closed["unit_id"] = found["unit_id"].to_numpy()
    closed = closed.dropna(subset=["unit_id"])
    said = closures.reindex(columns=["mission", "geopko_location", "event", "taken_over_by"])
    closed = closed.merge(
        said.rename(columns={"geopko_location": "base"}), on=["mission", "base"], how="left"
    )
    events = (extra or {}).get("events")
    rows = []
    for base in closed.itertuples(index=False):
        unit = host[host["unit_id"] == base.unit_id].iloc[0]
        cohort = int(unit["cohort"])
        before, after, n_after = _window_sums(panel, int(unit["unit_id"]), cohort)
        path = synth_paths.get(str(base.base), synth_paths.get(str(unit["base"])))
        synthetic = np.nan
        if path is not None:
            post = path["month"].between(cohort, cohort + n_after - 1)
            synthetic = float(path.loc[post, "synthetic"].sum())
        ev_before, ev_after = np.nan, np.nan
        if events is not None:
            ev_before, ev_after, _ = _window_sums(events, int(unit["unit_id"]), cohort)
        rows.append(
            {
                "base": base.base,
                "unit_id": int(unit["unit_id"]),
                "unit_code": str(unit[code]),
                "unit_name": str(unit[name]) if name else None,
                "closure_date": base.closure_date,
                "date_precision": base.date_precision,
                "cohort_month": cohort,
                "what_happened": _text(base.event),
                "taken_over_by": _text(base.taken_over_by),
                "citation": base.citation,
                "outcome": outcome,
                "before_12m": before,
                "after_12m": after,
                "months_after": n_after,
                "synthetic_after": synthetic,
                "events_before_12m": ev_before,
                "events_after_12m": ev_after,
            }
        )
    table = pd.DataFrame(rows, columns=BASE_COLUMNS)
    return table.sort_values(["closure_date", "base"], ignore_index=True)
