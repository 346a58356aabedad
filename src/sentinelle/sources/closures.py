"""The curated closure table: peacekeeping base closures dated from public reporting.

Geo-PKO maps deployments once a year, so a closure it shows is known to the year. The
table shipped as ``sentinelle/sources/data/closures.csv`` dates closures more finely
where public reporting does (MINUSMA's 2023 handovers), one row per base, each with the
sources its date comes from, what they say happened to the site (``event``) and, only
where a source names it, who took the site over (``taken_over_by``). Impact designs
(:mod:`sentinelle.impact.timeline`) and panels' peacekeeping features read it here.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from sentinelle.errors import UsageError
from sentinelle.geo import month_id

__all__ = ["load_closures"]


def load_closures(path: str | None = None) -> pd.DataFrame:
    """Read a curated closure table (by default the one shipped with Sentinelle).

    Parameters
    ----------
    path : str, optional
        A CSV with columns ``mission, base, geopko_location, latitude, longitude,
        closure_date, date_precision, source`` (more columns are kept). Dates are
        ``YYYY-MM-DD`` (``date_precision = 'day'``) or ``YYYY-MM`` (``'month'``).

    Returns
    -------
    pandas.DataFrame
        One row per base; ``closure_date`` parsed to the first day of the period it
        names, plus ``closure_month`` (the VIEWS month id of the closure).

    Raises
    ------
    UsageError
        If a row lacks a date, coordinates or a source: the table's promise is that
        every date carries its citation.

    Examples
    --------
    >>> closures = load_closures()
    >>> closures.loc[closures["base"] == "Kidal", "closure_date"].dt.date.tolist()
    [datetime.date(2023, 10, 31)]
    """
    if path is None:
        with resources.files("sentinelle.sources").joinpath("data/closures.csv").open() as fh:
            table = pd.read_csv(fh, dtype={"closure_date": str})
    else:
        table = pd.read_csv(path, dtype={"closure_date": str})
    required = ["mission", "base", "latitude", "longitude", "closure_date", "source"]
    missing = [c for c in [*required, "geopko_location", "date_precision"] if c not in table]
    if missing:
        raise UsageError(f"closure table lacks columns {missing}")
    incomplete = table[table[required].isna().any(axis=1)]
    if not incomplete.empty:
        raise UsageError(f"closure rows without date, coordinates or source: {incomplete['base']}")
    table["closure_date"] = pd.to_datetime(table["closure_date"], format="mixed")
    table["closure_month"] = month_id(
        table["closure_date"].dt.year.to_numpy(), table["closure_date"].dt.month.to_numpy()
    )
    return table
