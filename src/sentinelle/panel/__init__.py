"""Unit-month panels: outcomes and strictly causal features, built on DuckDB or Spark.

A panel has one row per unit and month (``unit_id``, ``month_id``), zeros where nothing
happened, for the units ``cm`` (VIEWS ``country_id``), ``pgm`` (PRIO-GRID gid),
``admin1``/``admin2`` (units of a boundary file). It is stored as ``panel_<unit>``,
described by a row of ``panels`` (:mod:`sentinelle.store.panels`), and exported to
Parquet with :func:`export_panel`.

Outcomes of month t (the forecast targets)
    ``ged_sb``, ``ged_ns``, ``ged_os``: fatalities (``best``) of state-based, non-state
    and one-sided events; ``civ_deaths``: civilian deaths of all three; ``ev_sb``,
    ``ev_ns``, ``ev_os``: event counts. An event counts in the month of its
    ``date_end``: its toll is only complete then, and this is what reproduces the
    VIEWS cm actuals from GED 23.1 (Ethiopia and CAR 2018-2020: 69 of 72 country-months
    exact by ``date_end``, 66 by ``date_start``; 6 % of those GED events span months).
    Deleted events and ACLED's "other" events are left out. With source ``'ged'``,
    GED is used up to December of the last year it covers and GED Candidate after it.

Causality convention: every feature of month t uses data up to month t-1 only
    * ``<o>_tlag_k`` = outcome ``o`` at t-k (k >= 1);
    * ``<o>_tsum_k`` = sum of ``o`` over t-k .. t-1;
    * ``ged_<v>_time_since`` = months from the last month before t with an event of
      type ``v`` to t (1 if there was one in t-1; NULL if none since the history start);
    * ``<o>_splag_1``/``_splag_2`` = sum of ``o`` at t-1 over the first-order
      neighbours (the 8 queen cells for pgm; units sharing a border for cm and admin)
      and, for pgm, the second-order ring (the 16 cells two steps away);
    * ``pko_troops`` = troops at peacekeeping sites inside the unit listed for t-1
      (yearly Geo-PKO rows stand for each month of their year: the year of t-1);
      ``pko_dist_km`` = great-circle distance from the unit's centre to the nearest
      site listed for t-1 (NULL if none within ``FeatureSpec.pko_max_km``);
      ``pko_months_since_close`` = t minus the month the nearest closed site stopped
      being listed, among sites within the radius whose closure is known by t-1
      (a site closes in the first month it is no longer listed while the data go on).
    Static unit attributes follow (``unit_lat``, ``unit_lon``; pgm ``pg_row``,
    ``pg_col``, ``country_id``; cm ``gwcode``; admin ``unit_code``, ``unit_name``).

History: outcomes are computed from the source's first month (or the panel's first
month if earlier), so features of the panel's first months use real history; lags and
sums reaching before it are NULL rather than zero.

Engines: the definitions are SQL text generated once
(:mod:`sentinelle.panel.definitions`) and run unchanged by DuckDB or Spark
(:mod:`sentinelle.panel.engines`); the test suite checks both give identical panels.
``ENGINES`` holds them by name, and a plug-in engine registers itself there.
"""

from sentinelle.panel.build import (
    PanelReport,
    build_panel,
    export_panel,
    panel_exists,
    read_panel,
)
from sentinelle.panel.check import PanelCheck, check_panel
from sentinelle.panel.definitions import OUTCOMES, FeatureSpec
from sentinelle.panel.engines import ENGINES, EngineRunner, get_engine, spark_session

__all__ = [
    "ENGINES",
    "OUTCOMES",
    "EngineRunner",
    "FeatureSpec",
    "PanelCheck",
    "PanelReport",
    "build_panel",
    "check_panel",
    "export_panel",
    "get_engine",
    "panel_exists",
    "read_panel",
    "spark_session",
]
