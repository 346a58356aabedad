"""Alert rules: each turns data into :class:`~sentinelle.alerts.store.AlertCandidate` rows.

``hdx_conflict`` — the OCHA HDX Signals armed-conflict signal on the monthly fatalities of
    stored events (country and admin1), by :func:`~sentinelle.alerts.aggregates.hdx_signals`;
    :mod:`sentinelle.alerts.aggregates` documents the definition, its sources (HDX
    Signals' page and code) and how the monthly version maps its 30-day windows.
``acled_hdx_conflict`` — the same rule on ACLED's HDX subnational monthly aggregates
    (``admin_aggregates``, political violence): countries (sum of their units) and
    admin-1 units (sum of their admin-2 units), with its explanation in the evidence
    (:func:`~sentinelle.alerts.aggregates.aggregate_alerts`).
``forecast_exceedance`` — P(fatalities >= N) in a forecast month above a threshold,
    read from the latest country-month forecast stored by ``sentinelle forecast``.
``new_area`` — events in an admin2 area with no events in the previous 12 months.
``actor_new_admin1`` — a registry actor active in an admin1 where it never was before.

Spread rules need history to mean anything: they only judge months at least 12 months
after the first event of the country in the store, so the first months of data do not
flag every area as new.

Every rule is a :data:`Rule`, ``(con, RuleContext) -> [AlertCandidate]``, registered in
:data:`RULES` under the name its alerts carry; :func:`evaluate_alerts` runs each
registered rule, so a plug-in adds one with ``RULES.register(name, rule)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from sentinelle.actors.registry import Registry as ActorRegistry
from sentinelle.actors.registry import load_registry, register_sides
from sentinelle.alerts.aggregates import (
    HDX_FLOOR,
    aggregate_alerts,
    hdx_signals,
)
from sentinelle.alerts.store import AlertCandidate, record_alerts
from sentinelle.errors import UsageError
from sentinelle.forecast.store import forecast_summary, latest_forecast_run
from sentinelle.geo import current_gw_iso3, map_codes, month_string
from sentinelle.registry import Registry
from sentinelle.store.queries import month_sql

# Calendar month of an event as a VIEWS month id, and the country's ISO3 (GED stores GW).
_MONTH_SQL = month_sql("e.date_start")
_ISO3_SQL = "coalesce(e.country_iso3, c.iso3)"


def _register_countries(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``_gw_iso3``: GW code -> ISO3 of current countries (unique there)."""
    codes = pd.DataFrame(list(current_gw_iso3().items()), columns=["gwcode", "iso3"])
    con.register("_gw_iso3_df", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE _gw_iso3 AS SELECT * FROM _gw_iso3_df")
    con.unregister("_gw_iso3_df")


def monthly_fatalities(
    con: duckdb.DuckDBPyConnection, level: str = "country", *, source: str = "ged"
) -> pd.DataFrame:
    """Fatalities per unit and calendar month from stored events, months without events = 0.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    level : {'country', 'admin1'}
        Unit: ISO3, or ``'ISO3/admin1'``.
    source : str
        One event source, so that events described by several sources count once.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_id, month_id, fatalities``; every month from the source's first
        to its last event month for every unit (the store's coverage, not the unit's).
    """
    if level not in ("country", "admin1"):
        raise UsageError(f"level must be 'country' or 'admin1', got {level!r}")
    _register_countries(con)
    unit = _ISO3_SQL if level == "country" else f"{_ISO3_SQL} || '/' || e.admin1"
    return con.execute(
        f"""
        WITH ev AS (
            SELECT {unit} AS unit_id, {_MONTH_SQL} AS month_id, e.fatalities_best
            FROM events e LEFT JOIN _gw_iso3 c ON c.gwcode = e.country_gwno
            WHERE e.source = ? AND NOT e.deleted
        ),
        grid AS (
            SELECT u.unit_id, m.month_id
            FROM (SELECT DISTINCT unit_id FROM ev WHERE unit_id IS NOT NULL) u,
                 range((SELECT min(month_id) FROM ev), (SELECT max(month_id) FROM ev) + 1)
                     m(month_id)
        )
        SELECT g.unit_id, g.month_id::BIGINT AS month_id,
               coalesce(sum(ev.fatalities_best), 0)::BIGINT AS fatalities
        FROM grid g LEFT JOIN ev USING (unit_id, month_id)
        GROUP BY ALL ORDER BY unit_id, month_id
        """,
        [source],
    ).df()


def hdx_alerts(
    series: pd.DataFrame, unit_type: str, *, floor: float = HDX_FLOOR
) -> list[AlertCandidate]:
    """HDX conflict alerts (unsuppressed signals) of unit series, ready to record."""
    signals = hdx_signals(series, floor=floor)
    return [
        AlertCandidate(
            rule="hdx_conflict",
            unit_type=unit_type,
            unit_id=str(row["unit_id"]),
            period=month_string(int(row["month_id"])),
            level=int(row["level"]),
            value=float(row["fatalities"]),
            threshold=float(row["prior_max_12"] if row["level"] == 1 else row["prior_max_36"]),
            evidence={
                "fatalities": float(row["fatalities"]),
                "prior_max_12_months": float(row["prior_max_12"]),
                "prior_max_36_months": None
                if pd.isna(row["prior_max_36"])
                else row["prior_max_36"],
                "floor": floor,
                "definition": "HDX Signals armed conflict, monthly approximation",
            },
        )
        for row in signals[~signals["suppressed"]].to_dict("records")
    ]


def forecast_exceedance(
    summary: pd.DataFrame,
    *,
    min_fatalities: int,
    thresholds: tuple[float, float] = (0.5, 0.8),
    unit_type: str = "country",
    evidence: dict[str, Any] | None = None,
) -> list[AlertCandidate]:
    """Alerts where P(fatalities >= ``min_fatalities``) in a forecast month is high:
    one per unit, at the first month of the highest level its forecast reaches.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``unit_id, month_id, p_exceed``: the share of a forecast's draws with
        at least ``min_fatalities`` (``forecast_summary(con, run_id, threshold=N)``).
    min_fatalities : int
        N of "at least N fatalities".
    thresholds : (float, float)
        Probabilities above which level 1 and level 2 fire (strictly above).
    unit_type : str
        Unit of ``unit_id`` (``'country'`` for ISO3 codes).
    evidence : dict, optional
        Provenance recorded with each alert (e.g. the forecast run and model).

    Examples
    --------
    >>> s = pd.DataFrame({"unit_id": ["MLI", "NER"], "month_id": 530,
    ...                   "p_exceed": [0.9, 0.3]})
    >>> [(a.unit_id, a.level) for a in forecast_exceedance(s, min_fatalities=25)]
    [('MLI', 2)]
    """
    low, high = thresholds
    out = []
    above = summary[summary["p_exceed"] > low].sort_values(["unit_id", "month_id"])
    # One alert per unit and forecast: a country in long conflict is above the
    # threshold in every forecast month, and twelve alerts would say one thing twelve
    # times. The alert is the first month at the highest level reached; the evidence
    # lists every month above the lower threshold.
    for unit_id, rows in above.groupby("unit_id", sort=True):
        level = 2 if (rows["p_exceed"] > high).any() else 1
        first = rows[rows["p_exceed"] > (high if level == 2 else low)].iloc[0]
        out.append(
            AlertCandidate(
                rule="forecast_exceedance",
                unit_type=unit_type,
                unit_id=str(unit_id),
                period=month_string(int(first["month_id"])),
                level=level,
                value=float(first["p_exceed"]),
                threshold=high if level == 2 else low,
                evidence={
                    **(evidence or {}),
                    "probability": float(first["p_exceed"]),
                    "min_fatalities": min_fatalities,
                    "months_above": {
                        month_string(int(m)): round(float(p), 3)
                        for m, p in zip(rows["month_id"], rows["p_exceed"], strict=True)
                    },
                },
            )
        )
    return out


def stored_forecast_alerts(
    con: duckdb.DuckDBPyConnection, *, min_fatalities: int = 25
) -> list[AlertCandidate]:
    """Forecast-exceedance alerts from the latest stored country-month forecast, if any."""
    run = latest_forecast_run(con, unit="cm")
    if run is None:
        return []
    summary = forecast_summary(con, run["run_id"], threshold=min_fatalities)
    summary["unit_id"] = map_codes(summary["unit_id"], "views_id", "iso3", errors="coerce")
    return forecast_exceedance(
        summary.dropna(subset=["unit_id"]),
        min_fatalities=min_fatalities,
        evidence={"forecast_run": int(run["run_id"]), "model": run["model"],
                  "origin": month_string(int(run["origin"]))},
    )  # fmt: skip


def new_area_alerts(
    con: duckdb.DuckDBPyConnection, *, source: str = "ged", min_fatalities: int = 1
) -> list[AlertCandidate]:
    """Admin2 areas with violence in a month and no event in the 12 months before.

    Violence is an event of a UCDP violence type (not ``'other'``) with at least
    ``min_fatalities`` deaths; level 1 (vigilance). Only months at least 12 months after
    the country's first stored event are judged.
    """
    _register_countries(con)
    rows = con.execute(
        f"""
        WITH ev AS (
            SELECT {_ISO3_SQL} AS iso3, e.admin1, e.admin2, {_MONTH_SQL} AS month_id,
                   e.violence_type, e.fatalities_best
            FROM events e LEFT JOIN _gw_iso3 c ON c.gwcode = e.country_gwno
            WHERE e.source = ? AND NOT e.deleted AND e.admin2 IS NOT NULL
        ),
        start AS (SELECT iso3, min(month_id) AS first_month FROM ev GROUP BY iso3),
        hits AS (
            SELECT iso3, admin1, admin2, month_id, count(*) AS events,
                   sum(fatalities_best)::BIGINT AS fatalities
            FROM ev WHERE violence_type <> 'other' AND fatalities_best >= ?
            GROUP BY ALL
        )
        SELECT h.* FROM hits h JOIN start s USING (iso3)
        WHERE h.month_id >= s.first_month + 12
          AND NOT EXISTS (
            SELECT 1 FROM ev p
            WHERE p.iso3 = h.iso3 AND p.admin1 IS NOT DISTINCT FROM h.admin1
              AND p.admin2 = h.admin2
              AND p.month_id BETWEEN h.month_id - 12 AND h.month_id - 1
          )
        ORDER BY iso3, month_id, admin2
        """,
        [source, min_fatalities],
    ).fetchall()
    return [
        AlertCandidate(
            rule="new_area",
            unit_type="admin2",
            unit_id=f"{iso3}/{admin1}/{admin2}",
            period=month_string(int(month)),
            level=1,
            value=float(fatalities),
            threshold=float(min_fatalities),
            evidence={"events": events, "fatalities": fatalities, "quiet_months_before": 12},
        )
        for iso3, admin1, admin2, month, events, fatalities in rows
    ]


def actor_new_admin1_alerts(
    con: duckdb.DuckDBPyConnection, *, source: str = "ged", registry: ActorRegistry | None = None
) -> list[AlertCandidate]:
    """A registry actor (armed, not civilians) active in an admin1 for the first time.

    Only actors already seen elsewhere in an earlier month fire (a brand-new actor is
    the situational picture's "new actors"), and only months at least 12 months after
    the country's first stored event are judged. Unmatched names never fire: they
    await review (see :func:`~sentinelle.actors.registry.unmatched_names`).
    """
    register_sides(con, registry or load_registry())
    _register_countries(con)
    rows = con.execute(
        f"""
        WITH ev AS (
            SELECT e.actor_id, e.actor_name, {_ISO3_SQL} AS iso3, e.admin1,
                   {_MONTH_SQL} AS month_id, e.fatalities_best
            FROM actor_sides e LEFT JOIN _gw_iso3 c ON c.gwcode = e.country_gwno
            WHERE e.source = ? AND e.actor_id IS NOT NULL AND e.actor_type <> 'civilians'
        ),
        start AS (SELECT iso3, min(month_id) AS first_month FROM ev GROUP BY iso3),
        first_in_area AS (
            SELECT actor_id, actor_name, iso3, admin1, min(month_id) AS month_id
            FROM ev WHERE admin1 IS NOT NULL GROUP BY ALL
        ),
        first_anywhere AS (SELECT actor_id, min(month_id) AS first_month FROM ev GROUP BY 1)
        SELECT f.actor_id, f.actor_name, f.iso3, f.admin1, f.month_id,
               (SELECT count(*) FROM ev WHERE ev.actor_id = f.actor_id AND ev.iso3 = f.iso3
                  AND ev.admin1 = f.admin1 AND ev.month_id = f.month_id) AS events,
               (SELECT list(DISTINCT ev.admin1 ORDER BY ev.admin1) FROM ev
                WHERE ev.actor_id = f.actor_id AND ev.month_id < f.month_id) AS seen_in
        FROM first_in_area f JOIN start s USING (iso3) JOIN first_anywhere a USING (actor_id)
        WHERE f.month_id >= s.first_month + 12 AND a.first_month < f.month_id
        ORDER BY f.iso3, f.month_id, f.actor_id, f.admin1
        """,
        [source],
    ).fetchall()
    return [
        AlertCandidate(
            rule="actor_new_admin1",
            unit_type="actor_admin1",
            unit_id=f"{actor_id}@{iso3}/{admin1}",
            period=month_string(int(month)),
            level=1,
            value=float(events),
            threshold=0.0,
            evidence={"actor": actor_name, "admin1": admin1, "previously_in": list(seen_in)},
        )
        for actor_id, actor_name, iso3, admin1, month, events, seen_in in rows
    ]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read besides the store; each rule takes the parts it needs.

    ``source`` is the event source of the event rules; ``min_fatalities`` the N of the
    forecast rule's "at least N fatalities"; ``registry`` the actor registry of the actor
    rule (the bundled one when ``None``).
    """

    source: str = "ged"
    min_fatalities: int = 25
    registry: ActorRegistry | None = None


Rule = Callable[[duckdb.DuckDBPyConnection, RuleContext], list[AlertCandidate]]


def _hdx_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return [
        alert
        for level in ("country", "admin1")
        for alert in hdx_alerts(monthly_fatalities(con, level, source=context.source), level)
    ]


def _aggregate_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return aggregate_alerts(con)


def _new_area_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return new_area_alerts(con, source=context.source)


def _actor_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return actor_new_admin1_alerts(con, source=context.source, registry=context.registry)


def _forecast_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return stored_forecast_alerts(con, min_fatalities=context.min_fatalities)


RULES: Registry[Rule] = Registry(
    "alert rule",
    {
        "hdx_conflict": _hdx_rule,
        "acled_hdx_conflict": _aggregate_rule,
        "new_area": _new_area_rule,
        "actor_new_admin1": _actor_rule,
        "forecast_exceedance": _forecast_rule,
    },
)


def get_rule(name: str) -> Rule:
    """The registered alert rule ``name``; a typo raises an error listing the valid names."""
    return RULES[name]


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str = "ged",
    min_fatalities: int = 25,
    registry: ActorRegistry | None = None,
) -> dict[str, int]:
    """Run every rule of :data:`RULES` and record the new alerts; call after each ingest
    or forecast.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    source : str
        Event source the event rules read.
    min_fatalities : int
        N of the forecast rule's "at least N fatalities", read from the latest stored
        country-month forecast (the rule finds nothing when none is stored).
    registry : sentinelle.actors.registry.Registry, optional
        Actor registry for the actor rule.

    Returns
    -------
    dict
        New alerts recorded per rule (re-running finds the same alerts: all zeros).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> evaluate_alerts(open_store(":memory:"))["hdx_conflict"]
    0
    """
    context = RuleContext(source=source, min_fatalities=min_fatalities, registry=registry)
    return {name: record_alerts(con, rule(con, context)) for name, rule in RULES.items()}
