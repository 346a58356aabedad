"""Admin-unit panels as forecast inputs: the stored panel of one source and country.

An admin panel (``admin1``/``admin2``) numbers its units 1.. in the order of their
P-codes in the boundary file it was built from, so the same ``unit_id`` names another
unit once the panel is rebuilt for another country. :func:`unit_panel` therefore
checks that the stored panel is of the source and country asked for, and
:func:`unit_meta` records each unit's P-code and name with the forecast (its ``meta``,
stored in ``forecast_runs``), so stored draws stay readable per unit whatever the
panel holds later (:func:`sentinelle.forecast.store.forecast_summary`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from sentinelle.errors import NoDataError, UsageError
from sentinelle.forecast.export import CODES_KEY, NAMES_KEY
from sentinelle.panel import read_panel
from sentinelle.panel.build import panel_table
from sentinelle.store.panels import panel_record

__all__ = ["ADMIN_UNITS", "UnitPanel", "default_target", "unit_meta", "unit_panel"]

ADMIN_UNITS = ("admin1", "admin2")


@dataclass(frozen=True)
class UnitPanel:
    """A stored panel checked against the source and country asked for.

    Attributes
    ----------
    panel : pandas.DataFrame
        The panel (nullable integer columns as floats, missing values NaN).
    unit : str
        Unit level (``cm``, ``pgm``, ``admin1``, ``admin2``).
    source : str
        Source the panel was built from (``panels.source``).
    countries : tuple of str
        Countries the panel was built for (ISO3; empty if not recorded).
    target : str
        Outcome to forecast: the one asked for, or the panel's default.
    """

    panel: pd.DataFrame
    unit: str
    source: str
    countries: tuple[str, ...]
    target: str

    def meta(self) -> dict[str, str]:
        """Provenance to store with a forecast of this panel (units named for admin panels)."""
        out = {"source": self.source, "countries": ",".join(self.countries)}
        if self.unit in ADMIN_UNITS:
            out.update(unit_meta(self.panel))
        return out

    def unit_names(self) -> dict[int, str] | None:
        """Names of the units by id (admin panels), for tables; None otherwise."""
        if "unit_name" not in self.panel.columns:
            return None
        first = self.panel.drop_duplicates("unit_id")
        return dict(zip(first["unit_id"].astype(int), first["unit_name"].astype(str), strict=True))


def default_target(panel: pd.DataFrame) -> str:
    """``fatalities`` on a panel of aggregates (ACLED's HDX series), else ``ged_sb``."""
    return "fatalities" if "fatalities" in panel.columns else "ged_sb"


def unit_meta(panel: pd.DataFrame) -> dict[str, str]:
    """``unit_codes`` and ``unit_names`` of an admin panel, as JSON keyed by unit id."""
    first = panel.drop_duplicates("unit_id").sort_values("unit_id")
    ids = [str(int(u)) for u in first["unit_id"]]
    out = {}
    for key, column in ((CODES_KEY, "unit_code"), (NAMES_KEY, "unit_name")):
        if column in first.columns:
            out[key] = json.dumps(dict(zip(ids, first[column].astype(str), strict=True)))
    return out


def _floats(panel: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer columns (lags and sums reaching before the data) as floats."""
    nullable = [
        c
        for c, kind in panel.dtypes.items()
        if isinstance(kind, pd.api.extensions.ExtensionDtype) and kind.kind in "iu"
    ]
    if nullable:
        panel = panel.astype({c: "float64" for c in nullable})
    return panel


def unit_panel(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    *,
    source: str | None = None,
    country: str | None = None,
    target: str | None = None,
) -> UnitPanel:
    """The stored ``unit`` panel, checked to be of ``source`` and of ``country``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    unit : str
        Panel unit level.
    source : str, optional
        Source the panel must have been built from (``acled-hdx``); None: any.
    country : str, optional
        ISO3 code the panel must have been built for, alone; None: any.
    target : str, optional
        Outcome column; None: :func:`default_target`.

    Raises
    ------
    NoDataError
        If there is no such panel, or it was built from another source or for other
        countries (the message gives the build command).
    UsageError
        If the panel has no column ``target``.
    """
    record = panel_record(con, panel_table(unit)) or {}
    built_source = str(record.get("source") or "")
    raw = record.get("countries")
    countries = tuple(str(c) for c in raw) if isinstance(raw, list | tuple) else ()
    wanted = country.upper() if country else None
    build = (
        f"sentinelle panel build --unit {unit} --source {source or built_source} "
        f"--countries {wanted or 'ISO3'} --from YYYY-MM --to YYYY-MM"
        + (" --boundaries FILE" if unit in ADMIN_UNITS else "")
    )
    if record and source and built_source != source:
        raise NoDataError(
            f"the stored {unit} panel was built from {built_source}, not {source}: {build}"
        )
    if record and wanted and countries != (wanted,):
        held = ", ".join(countries) or "unrecorded countries"
        raise NoDataError(f"the stored {unit} panel is of {held}, not {wanted} alone: {build}")
    panel = _floats(read_panel(con, unit))
    name = target or default_target(panel)
    if name not in panel.columns:
        raise UsageError(
            f"the {unit} panel has no column {name!r}; its outcomes include "
            f"{', '.join(c for c in ('fatalities', 'civ_fatalities', 'ged_sb') if c in panel)}"
        )
    return UnitPanel(panel, unit, built_source, countries, name)
