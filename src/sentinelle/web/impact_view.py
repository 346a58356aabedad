"""The impact page's words: every mission with stored results, and cross-mission results.

:func:`impact_missions` lists each mission (or pooled label) with a stored impact run,
single-mission and cross-mission alike, saying in words what was estimated, on which
outcome and over which months or years. :func:`staggered_view` writes the newest
cross-mission run of a mission (entries and exits of bases on PRIO-GRID cells,
:mod:`sentinelle.impact.staggered`, stored by :func:`~sentinelle.impact.store.store_staggered`)
as the page shows it: a summary per event and ring, the event-study plot (drawn by
:func:`sentinelle.web.exports.event_study_png`, by year or month as the run is), a table
of every stored outcome, and plain-language caveats. Single-mission runs keep their own view
(:func:`sentinelle.web.exports.impact_view`).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import duckdb
import pandas as pd

from sentinelle.geo import year_month
from sentinelle.i18n import N_, Lang, Translator, translator
from sentinelle.impact.results import MISSING, StoredImpact, effect_strings
from sentinelle.web import data

__all__ = [
    "EVENT_PHRASES",
    "impact_missions",
    "is_staggered",
    "mission_name",
    "outcome_words",
    "staggered_view",
]

# What each kind of stored run estimated, in words.
_KINDS = {
    "pgm": N_("closures of its bases: cells in rings around each base"),
    "admin": N_("closures of its bases: the units hosting them and their neighbours"),
    "staggered": N_(
        "arrivals and departures of its bases, among other missions: same cell, neighbouring cells"
    ),
    "pooled": N_(
        "arrivals and departures of bases, the missions together: same cell, neighbouring cells"
    ),
}
# Pooled labels of the cross-mission runs (``ALL:<region>``), in words.
_POOLED_REGIONS = {"africa": N_("All missions in Africa, pooled")}
# An event and a ring of the cross-mission design, as the start of a sentence.
_WHEN = {"entry": N_("When a base arrives"), "exit": N_("When a base leaves")}
# The same, naming an event's estimates (the event study's legend).
EVENT_PHRASES = _WHEN
_WHERE = {0: N_("in its cell"), 1: N_("in the neighbouring cells")}
_EVENTS = ("exit", "entry")
_CAVEATS = (
    N_(
        "Bases are not placed at random: missions go where violence is, and leave when a "
        "mandate ends or a government asks them to. A change after an arrival or a "
        "departure mixes the peacekeepers' own effect with what brought them or made "
        "them leave."
    ),
    N_(
        "Each cell is compared with cells that have no base nearby, or not yet: the "
        "difference is an effect of the base only if, without it, both would have moved "
        "alike. The placebo (the same comparison before the event) should be close to zero."
    ),
    N_(
        "Neighbouring cells are the 8 cells around a host cell (Queen contiguity) "
        "that never host a base themselves."
    ),
    N_(
        "Recorded deaths depend on reporting, which the peacekeepers' presence may itself "
        "change; few cells host a base, so intervals are wide."
    ),
)


def is_staggered(unit: str) -> bool:
    """Whether a stored run's ``unit`` is a cross-mission design (``'pgm-year'``,
    ``'pgm-month'``)."""
    return unit.startswith("pgm-")


def mission_name(mission: str, t: Translator) -> str:
    """A mission or pooled label for readers: ``'ALL:africa'`` in words, names as they are."""
    if mission.upper().startswith("ALL:"):
        region = mission.split(":", 1)[1].lower()
        known = _POOLED_REGIONS.get(region)
        if known:
            return t.gettext(known)
        return t.gettext(N_("All missions of %(region)s, pooled")) % {"region": region}
    if "+" in mission:
        names = ", ".join(mission.split("+"))
        return t.gettext(N_("%(missions)s, pooled")) % {"missions": names}
    return mission


def _pooled(mission: str) -> bool:
    return mission.upper().startswith("ALL:") or "+" in mission


def outcome_words(outcome: str, t: Translator) -> str:
    """An outcome in words (single-mission and cross-mission outcomes alike)."""
    from sentinelle.impact.report import OUTCOME_LABELS
    from sentinelle.impact.staggered_report import TEXT

    label = TEXT.get(outcome) or OUTCOME_LABELS.get(outcome)
    return t.gettext(label) if label else outcome


def _span(unit: str, first_month: int, last_month: int, t: Translator) -> str:
    """The months of a run in words, or its years for a yearly design."""
    if unit == "pgm-year":
        first, last = year_month(first_month)[0], year_month(last_month)[0]
        return str(first) if first == last else f"{first}\u2013{last}"
    return t.gettext(N_("%(first)s to %(last)s")) % {
        "first": t.month(first_month),
        "last": t.month(last_month),
    }


def impact_missions(con: duckdb.DuckDBPyConnection, lang: Lang) -> list[dict[str, Any]]:
    """Every mission with a stored impact run, with what its newest run estimated, in
    ``lang``, and the link to its results."""
    t = translator(lang)
    out = []
    for found in data.impact_missions(con):
        mission, unit = found["mission"], found["unit"]
        if is_staggered(unit):
            kind = "pooled" if _pooled(mission) else "staggered"
        else:
            kind = "admin" if unit.startswith("admin") else "pgm"
        out.append(
            {
                "mission": mission,
                "name": mission_name(mission, t),
                "kind": t.gettext(_KINDS[kind]),
                "outcome": outcome_words(found["outcome"], t),
                "span": _span(unit, found["first_month"], found["last_month"], t),
                "runs": found["runs"],
                "url": "/impact?" + urlencode({"mission": mission, "lang": lang}),
            }
        )
    return out


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def _row(effects: pd.DataFrame, estimator: str, ring: int) -> pd.Series | None:
    rows = effects[(effects["estimator"] == estimator) & (effects["ring"] == ring)]
    return None if rows.empty or not _given(rows.iloc[0]["estimate"]) else rows.iloc[0]


# The outcome whose effect is said as a change of probability, in percentage points.
_PROBABILITY = "any_civilian_deaths"


def _scaled(row: pd.Series, outcome: str) -> dict[str, object]:
    """The effect on :data:`_PROBABILITY` in percentage points; another as it is."""
    factor = 100.0 if outcome == _PROBABILITY else 1.0
    return {
        k: float(row[k]) * factor if _given(row[k]) else None
        for k in ("estimate", "lower", "upper")
    }


def _sentence(
    row: pd.Series | None, placebo: pd.Series | None, outcome: str, event: str, ring: int,
    period: str, t: Translator,
) -> str:  # fmt: skip
    """One event and ring of the main outcome, in words."""
    values: dict[str, object] = {
        "when": t.gettext(_WHEN[event]),
        "where": t.gettext(_WHERE[ring]),
        "period": period,
    }
    if row is None:
        return (
            t.gettext(
                N_(
                    "%(when)s, %(where)s: not estimated (too few treated cells in these years, "
                    "no comparison cell, or an outcome that never changes there)."
                )
            )
            % values
        )
    binary = outcome == _PROBABILITY
    digits = 1 if binary else 3
    values |= effect_strings(_scaled(row, outcome), t, digits, signed=True)
    values["n"] = t.number(float(row["n_treated"])) if _given(row["n_treated"]) else MISSING
    if binary:
        text = t.gettext(
            N_(
                "%(when)s, %(where)s, the probability of at least one civilian death per "
                "cell and %(period)s changed by %(estimate)s percentage points (95%% CI "
                "%(lower)s to %(upper)s; %(n)s treated cells)."
            )
        )
    else:
        values["outcome"] = outcome_words(outcome, t)
        text = t.gettext(
            N_(
                "%(when)s, %(where)s, the outcome \u201c%(outcome)s\u201d per cell and "
                "%(period)s changed by %(estimate)s (95%% CI %(lower)s to %(upper)s; "
                "%(n)s treated cells)."
            )
        )
    text %= values
    if _given(row["lower"]) and _given(row["upper"]):
        text += " " + (
            t.gettext("The interval includes zero: no detectable change.")
            if row["lower"] <= 0 <= row["upper"]
            else t.gettext("The interval excludes zero.")
        )
    if (
        placebo is not None
        and _given(placebo["lower"])
        and _given(placebo["upper"])
        and not placebo["lower"] <= 0 <= placebo["upper"]
    ):
        before = effect_strings(_scaled(placebo, outcome), t, digits, signed=True)["estimate"]
        text += " " + t.gettext(
            N_(
                "Before the event these cells already differed from the comparison "
                "(placebo %(placebo)s): read this estimate with caution."
            )
        ) % {"placebo": before}
    return text


def _number(t: Translator, value: object, digits: int = 0) -> str:
    return t.number(float(value), digits) if _given(value) else MISSING  # type: ignore[arg-type]


def _outcome_order(outcome: str) -> int:
    from sentinelle.impact.staggered import OUTCOMES, SPLIT_OUTCOMES

    order = [*OUTCOMES, *SPLIT_OUTCOMES]
    return order.index(outcome) if outcome in order else len(order)


def staggered_view(
    con: duckdb.DuckDBPyConnection, stored: StoredImpact, lang: Lang
) -> dict[str, Any]:
    """The page of a stored cross-mission run ``stored`` (its main outcome) with every
    outcome stored for the same mission and design, in ``lang``."""
    from sentinelle.impact import MAIN_ESTIMATOR, estimator_label, latest_impact
    from sentinelle.impact.staggered_report import TEXT

    t = translator(lang)
    run = stored.run
    mission, unit = str(run["mission"]), str(run["unit"])
    period = t.gettext("year") if unit == "pgm-year" else t.gettext("month")
    outcomes = [
        str(o)
        for (o,) in con.execute(
            "SELECT DISTINCT outcome FROM impact_runs WHERE upper(mission) = upper(?) AND unit = ?",
            [mission, unit],
        ).fetchall()
    ]
    others = sorted((o for o in outcomes if o != run["outcome"]), key=_outcome_order)
    parts = [stored, *(latest_impact(con, mission, outcome=o, unit=unit) for o in others)]
    main_outcome = str(run["outcome"])
    summary = [
        t.gettext(
            N_(
                "%(mission)s, %(span)s: PRIO-GRID cells where a base arrived or left, "
                "compared with cells without a base nearby. Outcome: %(outcome)s. "
                "Estimator: %(estimator)s, by %(period)s."
            )
        )
        % {
            "mission": mission_name(mission, t),
            "span": _span(unit, int(run["first_month"]), int(run["last_month"]), t),
            "outcome": outcome_words(main_outcome, t),
            "estimator": estimator_label(MAIN_ESTIMATOR, t),
            "period": period,
        }
    ]
    for event in _EVENTS:
        for ring in (0, 1):
            main = _row(stored.effects, f"{MAIN_ESTIMATOR}:{event}", ring)
            placebo = _row(stored.effects, f"placebo_leads:{event}", ring)
            summary.append(_sentence(main, placebo, main_outcome, event, ring, period, t))
    rows = []
    for part in parts:
        if part is None:
            continue
        outcome = str(part.run["outcome"])
        for event in _EVENTS:
            for ring in (0, 1):
                row = _row(part.effects, f"{MAIN_ESTIMATOR}:{event}", ring)
                if row is None:
                    continue
                placebo = _row(part.effects, f"placebo_leads:{event}", ring)
                text = effect_strings(row, t, 3, signed=True)
                rows.append(
                    {
                        "outcome": outcome_words(outcome, t),
                        "event": t.gettext(TEXT[event]),
                        "ring": t.gettext(TEXT["same cell" if ring == 0 else "neighbouring cells"]),
                        "estimate": text["estimate"],
                        "interval": text["interval"],
                        "p_value": _number(t, row["p_value"], 3),
                        "placebo": effect_strings(placebo, t, 3, signed=True)["estimate"]
                        if placebo is not None
                        else MISSING,
                        "n_treated": _number(t, row["n_treated"]),
                        "n_units": _number(t, row["n_units"]),
                    }
                )
    yearly = unit == "pgm-year"
    plot = {
        "plot_url": "/export/impact-event-study.png?"
        + urlencode({"mission": mission, "lang": lang}),
        "plot_alt": t.gettext(
            N_("Event study of %(mission)s: change in \u201c%(outcome)s\u201d by year")
            if yearly
            else N_("Event study of %(mission)s: change in \u201c%(outcome)s\u201d by month")
        )
        % {"mission": mission_name(mission, t), "outcome": outcome_words(main_outcome, t)},
        "plot_caption": t.gettext(
            N_(
                "Event study: the change in each year before and after a base arrived or left "
                "(year 0), with its 95% interval. Before the event the points should sit near "
                "zero."
            )
            if yearly
            else N_(
                "Event study: the change in each month before and after a base arrived or left "
                "(month 0), with its 95% interval. Before the event the points should sit near "
                "zero."
            )
        ),
        "plot_width": min(440 * max(len(set(stored.event_study["ring"])), 1), 1100),
    }
    caveats = [t.gettext(text) for text in _CAVEATS]
    caveats.append(
        t.gettext(
            N_("Precision of the dates: %(period)s; no finer date than the data give is invented.")
        )
        % {"period": period}
    )
    source = run.get("event_source")
    if source and str(source).endswith("extract"):
        caveats.append(
            t.gettext(
                "The events are an extract (%(source)s), not every event: results are "
                "indicative only; the full release gives the real answer."
            )
            % {"source": source}
        )
    return {
        "kind": "staggered",
        "mission": mission,
        "name": mission_name(mission, t),
        "summary": summary,
        "rows": rows,
        "caveats": caveats,
        "notes": [str(n) for n in run.get("notes") or []],
        **plot,
    }
