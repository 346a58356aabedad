"""The dashboard's tables and charts as data: what the pages show, and their downloads.

Every table a page shows can be downloaded as CSV and XLSX at
``/export/<table>.csv`` / ``.xlsx`` with the page's own query parameters (so a link
downloads exactly the view it sits in), headers and words in the page's language
(:func:`~sentinelle.web.language.request_lang`), numbers as numbers. Both formats go
through :func:`sentinelle.tables.escape_formulas`: a published actor name that starts
with ``=`` or ``@`` is shown as text, never run by the spreadsheet. The impact page's
event study is drawn here as a PNG per language (``/export/impact-event-study.png``),
a mission's closures by month, arrivals and departures across missions by year or
month as their run is; the pages' inline SVG charts are turned into PNG by the
browser (``static/app.js``). Refusals (nothing stored for a view) are catalogue
messages (:mod:`sentinelle.web.messages`).

Tables: ``trends``, ``actors``, ``dyads``, ``forecasts``, ``impact-effects``,
``impact-bases``, ``alerts``.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd
from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from sentinelle.errors import NoDataError
from sentinelle.i18n import N_, Lang, Translator, translator
from sentinelle.impact.results import StoredImpact
from sentinelle.sources.closures import closure_wording
from sentinelle.tables import escape_formulas
from sentinelle.web import data
from sentinelle.web.api.forecasts import no_forecast
from sentinelle.web.api.params import Cursor, OptionalCountry, OptionalMission, Period, Source
from sentinelle.web.impact_view import is_staggered, outcome_words
from sentinelle.web.language import request_lang
from sentinelle.web.messages import NotStored, WebError, refusal
from sentinelle.web.messages import country as country_of

__all__ = [
    "ESTIMATOR_EXPLANATIONS",
    "RULE_TEXT",
    "TABLES",
    "alerts_view",
    "event_study_figure",
    "event_study_png",
    "impact_view",
    "period_unit",
    "router",
    "to_xlsx",
]

if TYPE_CHECKING:
    import matplotlib.figure

router = APIRouter(include_in_schema=False)

MISSING = "\u2013"

# One line per estimator of sentinelle.impact.ESTIMATORS: what it compares, in words.
ESTIMATOR_EXPLANATIONS = {
    "callaway_santanna": N_(
        "The main estimate: areas near bases that closed in a given month are compared "
        "with similar areas whose base had not closed yet or that never had one."
    ),
    "did2s": N_(
        "A check on the main estimate: each area's usual level and the months' common "
        "trend are removed first, then the change after the closure is measured."
    ),
    "placebo_minus_24m": N_(
        "The main estimator with every closure moved 24 months earlier, when nothing "
        "closed: an estimate far from zero warns that the comparison is biased."
    ),
    "synth": N_(
        "The area of one closed base is rebuilt from a weighted mix of areas that kept "
        "theirs; p is its rank among the same fit on those areas (no interval)."
    ),
}
# The rows of a cross-mission run (sentinelle.impact.staggered): the main estimator and
# its placebo, for a base's arrival (entry) or departure (exit), explained.
STAGGERED_EXPLANATIONS = {
    ("callaway_santanna", "exit"): N_(
        "Cells a base left are compared with cells without a base nearby, or whose base "
        "had not left yet."
    ),
    ("callaway_santanna", "entry"): N_(
        "Cells a base arrived in are compared with cells without a base nearby, or whose "
        "base had not arrived yet."
    ),
    ("placebo_leads", "exit"): N_(
        "The same comparison over the periods before the base left: an estimate far from "
        "zero warns that the comparison is biased."
    ),
    ("placebo_leads", "entry"): N_(
        "The same comparison over the periods before the base arrived: an estimate far "
        "from zero warns that the comparison is biased."
    ),
}
_PLACEBO_LEADS = N_("Placebo (before the event)")

# Alert rules in words: a name and a one-line explanation.
RULE_TEXT = {
    "hdx_conflict": (
        N_("HDX Signals conflict rule"),
        N_(
            "A month's conflict fatalities reach the highest of the 12 months before "
            "(watch) or of the 36 months before (alert), and at least the floor."
        ),
    ),
    "acled_hdx_conflict": (
        N_("HDX Signals conflict rule, on ACLED's monthly aggregates"),
        N_(
            "A month's conflict fatalities reach the highest of the 12 months before "
            "(watch) or of the 36 months before (alert), and at least the floor."
        ),
    ),
    "forecast_exceedance": (
        N_("Forecast above the threshold"),
        N_(
            "The latest forecast gives a coming month a probability of many deaths "
            "above the alert threshold."
        ),
    ),
    "new_area": (
        N_("Violence in a quiet area"),
        N_("Events in a unit after twelve months without any."),
    ),
    "actor_new_admin1": (
        N_("Actor in a new region"),
        N_("An actor already active elsewhere is reported in this region for the first time."),
    ),
}

# Evidence fields shown with an alert, in order, with their labels.
_EVIDENCE_LABELS = {
    "fatalities": N_("Fatalities in the month"),
    "events": N_("Events in the month"),
    "floor": N_("Floor (fewest fatalities that can alert)"),
    "prior_max_12_months": N_("Highest of the 12 months before"),
    "prior_max_12_month": N_("reached in"),
    "prior_max_36_months": N_("Highest of the 36 months before"),
    "prior_max_36_month": N_("reached in"),
    "highest_since": N_("Highest since"),
    "highest_since_value": N_("fatalities then"),
    "probability": N_("Probability"),
    "min_fatalities": N_("At least this many fatalities"),
    "months_above": N_("Months above the threshold"),
    "model": N_("Forecast model"),
    "origin": N_("Forecast made with data to"),
    "quiet_months_before": N_("Months without events before"),
    "actor": N_("Actor"),
    "admin1": N_("Region"),
    "previously_in": N_("Active before in"),
    "masked_signals": N_("Later signals masked (within 180 days)"),
}
_DATA_LABELS = {
    "source": N_("Data"),
    "series": N_("Series"),
    "as_of": N_("Data as of"),
    "coverage": N_("Months covered"),
    "units_summed": N_("Units summed"),
}
_SERIES_LABELS = {
    "political_violence": N_("political violence"),
    "civilian_targeting": N_("attacks on civilians"),
}


def _given(value: object) -> bool:
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and not math.isfinite(value))


def _num(t: Translator, value: object, digits: int = 0) -> str:
    return t.number(float(value), digits) if _given(value) else MISSING  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- impact


def _ring_text(label: str, t: Translator) -> str:
    """A ring label in ``t``'s language: km bands as they are, the rings of a contiguity
    design and of a cross-mission design ('same cell') in words."""
    from sentinelle.impact.report import ring_text
    from sentinelle.impact.staggered_report import TEXT

    return t.gettext(TEXT[label]) if label in TEXT else ring_text(label, t)


def _ring_names(stored: StoredImpact, t: Translator) -> dict[int, str]:
    """Ring number -> its label in ``t``'s language."""
    labels = list(stored.run.get("ring_labels") or [])
    radii = [float(r) for r in stored.run.get("radii_km") or []]
    if not labels:
        labels = [f"{lo:g}-{hi:g} km" for lo, hi in zip([0.0, *radii], radii, strict=False)]
    names = {i: _ring_text(str(label), t) for i, label in enumerate(labels)}
    for ring, label in zip(stored.effects["ring"], stored.effects["ring_label"], strict=True):
        if _given(label):
            names.setdefault(int(ring), _ring_text(str(label), t))
    return names


def _estimator(name: str, t: Translator) -> tuple[str, str]:
    """An estimator's name in words and its one line: the synthetic control's base
    named, a cross-mission row's event (``callaway_santanna:exit``) in words.

    Examples
    --------
    >>> _estimator("callaway_santanna:exit", translator("en"))[0]
    "Staggered difference-in-differences (Callaway-Sant'Anna): exit"
    >>> _estimator("placebo_leads:entry", translator("en"))[0]
    'Placebo (before the event): entry'
    >>> _estimator("synth:Dyabali", translator("en"))[0]
    'Synthetic control (Dyabali)'
    """
    from sentinelle.impact import estimator_label
    from sentinelle.impact.staggered_report import TEXT

    key, _, detail = name.partition(":")
    label = t.gettext(_PLACEBO_LEADS) if key == "placebo_leads" else estimator_label(name, t)
    explanation = STAGGERED_EXPLANATIONS.get((key, detail)) or ESTIMATOR_EXPLANATIONS.get(key)
    if detail in ("exit", "entry"):
        label = t.gettext(N_("%(estimator)s: %(event)s")) % {
            "estimator": label,
            "event": t.gettext(TEXT[detail]),
        }
    elif detail:
        label = f"{label} ({detail})"
    return label, t.gettext(explanation) if explanation else ""


def _effect_row(effects: pd.DataFrame, estimator: str, ring: int) -> pd.Series | None:
    rows = effects[(effects["estimator"] == estimator) & (effects["ring"] == ring)]
    return None if rows.empty else rows.iloc[0]


def _summary(stored: StoredImpact, t: Translator, rings: dict[int, str]) -> list[str]:
    """The plain-language summary of a stored run, paragraph by paragraph."""
    from sentinelle.geo import month_id
    from sentinelle.impact import CHECK_ESTIMATOR, MAIN_ESTIMATOR, PLACEBO_ESTIMATOR
    from sentinelle.impact.report import OUTCOME_LABELS, RING_LABELS
    from sentinelle.impact.results import effect_strings

    run, effects = stored.run, stored.effects
    outcome = t.gettext(OUTCOME_LABELS.get(run["outcome"], run["outcome"]))
    main = _effect_row(effects, MAIN_ESTIMATOR, 0)
    if main is None or not _given(main["estimate"]):
        return [t.gettext("No unit lay in the inner ring of a closed base: no estimate.")]
    labels = list(run.get("ring_labels") or [])
    radius = f"{float(run['radii_km'][0]):g} km" if run.get("radii_km") else ""
    where = (
        t.gettext("in the unit hosting it")
        if labels and labels[0] in RING_LABELS
        else t.gettext("within %(radius)s") % {"radius": radius}
    )
    values = {
        "mission": run["mission"],
        "start": t.month(int(run["first_month"])),
        "end": t.month(int(run["last_month"])),
        "outcome": outcome,
        "where": where,
        "n_units": _num(t, main["n_treated"]),
        "estimator": _estimator(MAIN_ESTIMATOR, t)[0],
        **effect_strings(main, t),
    }
    first = (
        t.gettext(
            "%(mission)s, %(start)s to %(end)s: compared with similar areas that kept a base "
            "or never had one, the closure of a base changed %(outcome)s %(where)s by "
            "%(estimate)s per unit and month (95%% CI %(lower)s to %(upper)s; %(n_units)s "
            "treated units). Estimator: %(estimator)s."
        )
        % values
    )
    if _given(main["lower"]) and _given(main["upper"]):
        first += " " + (
            t.gettext("The interval includes zero: no detectable change.")
            if main["lower"] <= 0 <= main["upper"]
            else t.gettext("The interval excludes zero.")
        )
    parts = [first]
    checks = []
    check = _effect_row(effects, CHECK_ESTIMATOR, 0)
    if check is not None and _given(check["estimate"]):
        checks.append(
            t.gettext("The two-stage estimator gives %(estimate)s (%(lower)s to %(upper)s).")
            % effect_strings(check, t)
        )
    if _given(main["pretrend_p"]):
        checks.append(
            t.gettext("Pre-closure trends: joint test p = %(p)s.")
            % {"p": t.number(float(main["pretrend_p"]), 3)}
        )
    placebo = _effect_row(effects, PLACEBO_ESTIMATOR, 0)
    if placebo is not None and _given(placebo["estimate"]):
        checks.append(
            t.gettext(
                "With closure dates moved 24 months earlier (a placebo) the estimate is "
                "%(estimate)s (%(lower)s to %(upper)s)."
            )
            % effect_strings(placebo, t)
        )
    for ring in sorted(rings):
        spill = _effect_row(effects, MAIN_ESTIMATOR, ring) if ring else None
        if spill is not None and _given(spill["estimate"]):
            checks.append(
                t.gettext("Ring %(ring)s: %(estimate)s (%(lower)s to %(upper)s).")
                % {"ring": rings[ring], **effect_strings(spill, t)}
            )
    if checks:
        parts.append(" ".join(checks))
    if not stored.bases.empty:
        names = sorted({str(b) for b in stored.bases["base"].dropna()})
        parts.append(t.gettext("Closed bases: %(bases)s.") % {"bases": ", ".join(names)})
    mali_2023 = run["mission"] == "MINUSMA" and int(run["last_month"]) >= month_id(2023, 1)
    why = (
        t.gettext(
            "in Mali the transitional authorities demanded the withdrawal and military "
            "offensives followed it"
        )
        if mali_2023
        else t.gettext("missions close sites for political, budgetary and security reasons")
    )
    caveats = t.gettext(
        "**Caveats.** Closures were not random: %(why)s, so the estimate mixes the departure "
        "of peacekeepers with what came with it. The design compares trends near closed "
        "bases with trends in similar areas; it shows a causal effect only if, without the "
        "closure, both would have moved in parallel (the pre-trend test can reject this, not "
        "prove it). Event data may under-report violence once the mission, a source of "
        "reports, has left. Closure dates from Geo-PKO are yearly (end of the last year a "
        "site appears); only curated dates are exact. Few units are treated, so intervals "
        "are wide."
    ) % {"why": why}
    parts.append(caveats.replace("**", ""))
    return parts


# Columns of the per-base table, with their headers (as in the impact report).
BASE_HEADERS = {
    "base": N_("Base"),
    "unit_name": N_("Unit"),
    "closure_date": N_("Closed"),
    "what_happened": N_("What the sources say"),
    "taken_over_by": N_("Taken over by"),
    "before_12m": N_("12 months before"),
    "after_12m": N_("12 months after"),
    "synthetic_after": N_("Synthetic, after"),
}
EFFECT_HEADERS = {
    "estimator": N_("Estimator"),
    "explanation": N_("What it compares"),
    "ring": N_("Ring"),
    "estimate": N_("Estimate"),
    "lower": N_("95% interval, lower bound"),
    "upper": N_("95% interval, upper bound"),
    "p_value": N_("p-value"),
    "n_treated": N_("Treated units"),
    "n_units": N_("Units"),
    "pretrend_p": N_("Pre-trend p-value"),
}


def _stored(con: duckdb.DuckDBPyConnection, mission: str | None) -> StoredImpact | None:
    from sentinelle.impact import latest_impact

    return latest_impact(con, mission)


def impact_view(
    con: duckdb.DuckDBPyConnection, mission: str | None, lang: Lang
) -> dict[str, Any] | None:
    """The impact page of the newest stored run (of ``mission``), in ``lang``; None if none."""
    from sentinelle.impact.report import OUTCOME_LABELS
    from sentinelle.impact.results import effect_strings

    stored = _stored(con, mission)
    if stored is None:
        return None
    t = translator(lang)
    rings = _ring_names(stored, t)
    effects = []
    for _, row in stored.effects.iterrows():
        label, explanation = _estimator(str(row["estimator"]), t)
        text = effect_strings(row, t, 3)
        effects.append(
            {
                "label": label,
                "explanation": explanation,
                "ring": rings.get(int(row["ring"]), MISSING),
                "estimate": text["estimate"],
                "interval": text["interval"],
                "p_value": _num(t, row["p_value"], 3),
                "n_treated": _num(t, row["n_treated"]),
                "n_units": _num(t, row["n_units"]),
                "pretrend_p": _num(t, row["pretrend_p"], 3),
            }
        )
    frame = _bases_frame(stored, t)
    n_rings = max(len(set(stored.event_study["ring"])), 1)
    run = stored.run
    return {
        "mission": run["mission"],
        "outcome": t.gettext(OUTCOME_LABELS.get(run["outcome"], run["outcome"])),
        "summary": _summary(stored, t, rings),
        "effects": effects,
        "base_headers": list(frame.columns),
        "bases": [
            [MISSING if not _given(v) else v for v in row]
            for row in _display_bases(stored, t).itertuples(index=False)
        ],
        "notes": list(run.get("notes") or []),
        "plot_url": f"/export/impact-event-study.png?mission={run['mission']}&lang={lang}",
        "plot_alt": t.gettext("Event study of %(mission)s: change in %(outcome)s by month")
        % {"mission": run["mission"], "outcome": t.gettext(OUTCOME_LABELS.get(run["outcome"], ""))},
        "plot_width": min(440 * n_rings, 1100),
    }


# Columns of the per-base table holding a text of the closure table, and its column there.
_CLOSURE_TEXTS = {"what_happened": "event", "taken_over_by": "taken_over_by"}


def _bases_frame(stored: StoredImpact, t: Translator) -> pd.DataFrame:
    """The per-base table with numbers as numbers and headers in ``t``'s language; the
    closure table's texts in that language
    (:func:`~sentinelle.sources.closures.closure_wording`)."""
    bases = stored.bases.reindex(columns=list(BASE_HEADERS))
    if "closure_date" in bases:
        bases["closure_date"] = pd.to_datetime(bases["closure_date"]).dt.date
    for column, source in _CLOSURE_TEXTS.items():
        bases[column] = [closure_wording(v, t.lang, source) for v in bases[column]]
    return bases.rename(columns={k: t.gettext(v) for k, v in BASE_HEADERS.items()})


def _display_bases(stored: StoredImpact, t: Translator) -> pd.DataFrame:
    """The per-base table as a reader sees it (dates and numbers in the locale)."""
    frame = _bases_frame(stored, t).astype(object)
    for column in frame.columns:
        frame[column] = [
            t.date(v)
            if hasattr(v, "isoformat") and _given(v) and not isinstance(v, str)
            else _num(t, v)
            if isinstance(v, float)
            else (v if _given(v) else MISSING)
            for v in frame[column]
        ]
    return frame


def _effects_frame(stored: StoredImpact, t: Translator) -> pd.DataFrame:
    rings = _ring_names(stored, t)
    effects = stored.effects.copy()
    words = [_estimator(str(name), t) for name in effects["estimator"]]
    effects["explanation"] = [w[1] for w in words]
    effects["estimator"] = [w[0] for w in words]
    effects["ring"] = [rings.get(int(r), MISSING) for r in effects["ring"]]
    effects = effects.reindex(columns=list(EFFECT_HEADERS))
    return effects.rename(columns={k: t.gettext(v) for k, v in EFFECT_HEADERS.items()})


# The event study's axes, by design (a mission's closures, bases arriving and leaving
# across missions) and period unit of the run.
_X_LABELS = {
    ("closures", "month"): N_("months since the closure"),
    ("closures", "year"): N_("years since the closure"),
    ("staggered", "month"): N_("months since the base arrived or left"),
    ("staggered", "year"): N_("years since the base arrived or left"),
}
_Y_LABELS = {
    ("closures", "month"): N_("change in %(outcome)s per unit and month"),
    ("closures", "year"): N_("change in %(outcome)s per unit and year"),
    ("staggered", "month"): N_("change in \u201c%(outcome)s\u201d per cell and month"),
    ("staggered", "year"): N_("change in \u201c%(outcome)s\u201d per cell and year"),
}
PeriodUnit = Literal["month", "year"]


def period_unit(stored: StoredImpact) -> PeriodUnit:
    """The period of a stored run's event study: 'year' for a yearly cross-mission run
    (unit ``'pgm-year'``), else 'month'."""
    return "year" if str(stored.run.get("unit")) == "pgm-year" else "month"


def event_study_png(stored: StoredImpact, lang: Lang, period: PeriodUnit | None = None) -> bytes:
    """The event study of a stored run, one panel per ring, labelled in ``lang``, as PNG.

    ``period`` is the unit of its offsets (``rel_month`` holds years in a yearly run):
    the run's own (:func:`period_unit`) when omitted. A cross-mission run's panels are
    its rings (same cell, neighbouring cells), each with the arrivals and departures.
    """
    import matplotlib.pyplot as plt

    fig = event_study_figure(stored, lang, period)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return out.getvalue()


def event_study_figure(
    stored: StoredImpact, lang: Lang, period: PeriodUnit | None = None
) -> matplotlib.figure.Figure:
    """The figure :func:`event_study_png` draws (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from sentinelle.web.impact_view import mission_name

    t = translator(lang)
    unit = period or period_unit(stored)
    design = "staggered" if is_staggered(str(stored.run.get("unit"))) else "closures"
    es = stored.event_study
    rings = sorted(int(r) for r in es["ring"].unique()) if not es.empty else []
    names = _ring_names(stored, t)
    width = max(len(rings), 1)
    fig, axes = plt.subplots(1, width, figsize=(5.0 * width, 4.2), sharey=True, squeeze=False)
    outcome = outcome_words(str(stored.run["outcome"]), t)
    mission = mission_name(str(stored.run["mission"]), t)
    if not rings:
        axes[0][0].text(
            0.5, 0.5, t.gettext("No event study stored for this run."), ha="center", va="center"
        )
        axes[0][0].set_axis_off()
    for ax, ring in zip(axes[0], rings, strict=False):
        groups = list(es[es["ring"] == ring].groupby("estimator"))
        for k, (name, sub) in enumerate(groups):
            offset = (k - (len(groups) - 1) / 2) * 0.2
            estimate = sub["estimate"].astype(float)
            lower = sub["lower"].astype(float).fillna(estimate)
            upper = sub["upper"].astype(float).fillna(estimate)
            ax.errorbar(
                sub["rel_month"] + offset,
                estimate,
                yerr=[estimate - lower, upper - estimate],
                fmt="o",
                ms=3,
                elinewidth=0.8,
                label=_legend(str(name), design, t),
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
        ax.set_title(
            t.gettext("%(mission)s: %(ring)s")
            % {"mission": mission, "ring": names.get(ring, str(ring))},
            fontsize=10,
        )
        ax.set_xlabel(t.gettext(_X_LABELS[design, unit]))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, loc="best")
    ylabel = t.gettext(_Y_LABELS[design, unit]) % {"outcome": outcome}
    axes[0][0].set_ylabel(textwrap.fill(ylabel, 46), fontsize=9)
    fig.tight_layout()
    return fig


def _legend(estimator: str, design: str, t: Translator) -> str:
    """An event study's series in the legend: the estimator in words, or for a
    cross-mission run (one estimator) the event ("When a base leaves")."""
    from sentinelle.web.impact_view import EVENT_PHRASES

    event = estimator.partition(":")[2]
    if design == "staggered" and event in EVENT_PHRASES:
        return t.gettext(EVENT_PHRASES[event])
    return _estimator(estimator, t)[0]


# ----------------------------------------------------------------------------- alerts


def _evidence(evidence: dict[str, Any], t: Translator, lang: Lang) -> list[tuple[str, str]]:
    """What an alert compared and read, as labelled lines in ``t``'s language."""
    from sentinelle.store.currency import source_label

    def text(key: str, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return MISSING
        if key == "probability":
            return t.percent(float(value))
        if key in ("months_above", "window") and isinstance(value, dict):
            colon = "\u202f: " if lang == "fr" else ": "
            shown = (
                t.percent(float(v)) if key == "months_above" else t.number(v)
                for v in value.values()
            )
            return ", ".join(f"{t.month(m)}{colon}{v}" for m, v in zip(value, shown, strict=True))
        if isinstance(value, list):
            return ", ".join(t.month(v) if _is_month(v) else str(v) for v in value) or MISSING
        if isinstance(value, int | float):
            return t.number(float(value), 0 if float(value).is_integer() else 2)
        if _is_month(value):
            return t.month(str(value))
        return str(value)

    lines = []
    for key, label in _EVIDENCE_LABELS.items():
        if key in evidence and evidence[key] is not None and evidence[key] != []:
            lines.append((t.gettext(label), text(key, evidence[key])))
    source = evidence.get("data")
    if isinstance(source, dict):
        for key, label in _DATA_LABELS.items():
            value = source.get(key)
            if value is None:
                continue
            if key == "source":
                shown = source_label(str(value), lang)
            elif key == "series":
                shown = t.gettext(_SERIES_LABELS[value]) if value in _SERIES_LABELS else str(value)
            elif key == "coverage" and isinstance(value, str) and ".." in value:
                first, _, last = value.partition("..")
                shown = t.gettext("%(first)s to %(last)s") % {
                    "first": t.month(first),
                    "last": t.month(last),
                }
            else:
                shown = text(key, value)
            lines.append((t.gettext(label), shown))
    if isinstance(evidence.get("window"), dict) and evidence["window"]:
        lines.append((t.gettext("Months compared"), text("window", evidence["window"])))
    if evidence.get("definition_source"):
        lines.append((t.gettext("Definition"), str(evidence["definition_source"])))
    return lines


def _is_month(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 7
        and value[4] == "-"
        and value[:4].isdigit()
        and value[5:].isdigit()
    )


def alerts_view(
    con: duckdb.DuckDBPyConnection, country: str | None, lang: Lang
) -> list[dict[str, Any]]:
    """Recorded alerts with their explanation (rule, numbers, evidence), in ``lang``."""
    from sentinelle.alerts.wording import alert_sentence, alert_subject, level_name, place_name

    t = translator(lang)
    out = []
    for alert in data.alerts_table(con, country):
        evidence = alert.get("evidence")
        if isinstance(evidence, str):
            evidence = json.loads(evidence)
        alert = {**alert, "evidence": evidence or {}}
        name, explanation = RULE_TEXT.get(alert["rule"], (alert["rule"], ""))
        out.append(
            {
                "period": alert["period"],
                "month": t.month(str(alert["period"])),
                "level": alert["level"],
                "level_name": level_name(alert["level"], lang),
                "place": place_name(alert["unit_type"], alert["unit_id"], lang),
                "subject": alert_subject(alert, lang),
                "sentence": alert_sentence(alert, lang),
                "rule_name": t.gettext(name),
                "rule_explanation": t.gettext(explanation) if explanation else "",
                "value": alert["value"],
                "threshold": alert["threshold"],
                "explanation": [
                    (
                        t.gettext("Value compared"),
                        _num(t, alert["value"], 2).rstrip("0").rstrip(",."),
                    ),
                    (
                        t.gettext("Threshold"),
                        _num(t, alert["threshold"], 2).rstrip("0").rstrip(",."),
                    ),
                    *_evidence(alert["evidence"], t, lang),
                ],
            }
        )
    return out


# ---------------------------------------------------------------------------- tables

ALERT_HEADERS = {
    "month": N_("Month"),
    "level_name": N_("Level"),
    "place": N_("Place"),
    "sentence": N_("Alert"),
    "rule_name": N_("Rule"),
    "value": N_("Value compared"),
    "threshold": N_("Threshold"),
}
TREND_HEADERS = {"unit": N_("Unit"), "month": N_("Month"), "fatalities": N_("Fatalities")}
ACTOR_HEADERS = {
    "actor": N_("Actor"),
    "actor_type": N_("Type"),
    "events": N_("Events"),
    "fatalities": N_("Fatalities"),
    "civilian_deaths": N_("Civilian deaths"),
}
DYAD_HEADERS = {
    "side_a": N_("Side A"),
    "side_b": N_("Side B"),
    "events": N_("Events"),
    "fatalities": N_("Fatalities"),
}
FORECAST_HEADERS = {
    "month": N_("Month"),
    "median": N_("Median"),
    "q05": N_("5th percentile"),
    "q25": N_("25th percentile"),
    "q75": N_("75th percentile"),
    "q95": N_("95th percentile"),
    "mean": N_("Mean"),
    "p_exceed": N_("Probability of at least the threshold"),
}


def _headed(frame: pd.DataFrame, headers: dict[str, str], t: Translator) -> pd.DataFrame:
    return frame.reindex(columns=list(headers)).rename(
        columns={k: t.gettext(v) for k, v in headers.items()}
    )


def _country_source(
    con: duckdb.DuckDBPyConnection, country: str | None, source: str | None
) -> tuple[str, str | None]:
    countries = data.coverage(con)
    chosen = data.find_country(countries, country)
    if chosen is None and country is None and countries:
        chosen = countries[0]
    if chosen is None and country:
        raise NotStored(N_("no events of %(country)s in the store"), country=country_of(country))
    if chosen is None:
        raise NotStored(N_("no events in the store"))
    return chosen["iso3"], data.event_source(chosen, source)


TableMaker = Callable[[Request, duckdb.DuckDBPyConnection, Translator, Lang], pd.DataFrame]


def _trends(
    request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
) -> pd.DataFrame:
    q = request.query_params
    level = q.get("level") if q.get("level") in ("country", "admin1") else "country"
    iso3, source = _country_source(con, q.get("country"), q.get("source"))
    points = data.trend_points(con, iso3, str(level), source) if source else []
    return _headed(pd.DataFrame(points, columns=list(TREND_HEADERS)), TREND_HEADERS, t)


def _actors(
    request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
) -> pd.DataFrame:
    from sentinelle.actors.registry import ACTOR_TYPE_LABELS

    q = request.query_params
    iso3, source = _country_source(con, q.get("country"), q.get("source"))
    frame = pd.DataFrame(data.actors_table(con, iso3, q.get("period") or None, source, limit=30))
    frame = frame.reindex(columns=list(ACTOR_HEADERS))
    frame["actor_type"] = [
        t.gettext(ACTOR_TYPE_LABELS[k]) if k in ACTOR_TYPE_LABELS else ""
        for k in frame["actor_type"]
    ]
    return _headed(frame, ACTOR_HEADERS, t)


def _dyads(
    request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
) -> pd.DataFrame:
    q = request.query_params
    iso3, source = _country_source(con, q.get("country"), q.get("source"))
    ranking = data.dyad_ranking(con, iso3, q.get("period") or None, source).head(60)
    return _headed(ranking, DYAD_HEADERS, t)


def _forecasts(
    request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
) -> pd.DataFrame:
    q = request.query_params
    countries = data.coverage(con)
    chosen = data.find_country(countries, q.get("country"))
    if chosen is None and not q.get("country") and countries:
        chosen = countries[0]
    found = data.forecast_rows(con, None, "cm", chosen["iso3"] if chosen else None)
    if not found:
        raise no_forecast("cm")
    return _headed(pd.DataFrame(found["rows"]), FORECAST_HEADERS, t)


def _impact(part: Literal["effects", "bases"]) -> TableMaker:
    def make(
        request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
    ) -> pd.DataFrame:
        stored = _stored(con, request.query_params.get("mission"))
        if stored is None:
            raise NotStored(N_("no impact analysis stored"))
        if part == "effects" and is_staggered(str(stored.run["unit"])):
            return _staggered_effects(con, stored, t)
        return _effects_frame(stored, t) if part == "effects" else _bases_frame(stored, t)

    return make


def _staggered_effects(
    con: duckdb.DuckDBPyConnection, stored: StoredImpact, t: Translator
) -> pd.DataFrame:
    """The effects of a cross-mission run and of every other outcome stored for the
    same mission and design (as its page shows them), the outcome in words first."""
    from sentinelle.impact import latest_impact

    run = stored.run
    outcomes = [
        str(o)
        for (o,) in con.execute(
            "SELECT DISTINCT outcome FROM impact_runs WHERE upper(mission) = upper(?) AND unit = ?",
            [run["mission"], run["unit"]],
        ).fetchall()
    ]
    parts = [stored] + [
        found
        for o in sorted(o for o in outcomes if o != run["outcome"])
        if (found := latest_impact(con, str(run["mission"]), outcome=o, unit=str(run["unit"])))
    ]
    frames = []
    for part in parts:
        frame = _effects_frame(part, t)
        frame.insert(0, t.gettext(N_("Outcome")), outcome_words(str(part.run["outcome"]), t))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _alerts(
    request: Request, con: duckdb.DuckDBPyConnection, t: Translator, lang: Lang
) -> pd.DataFrame:
    rows = alerts_view(con, request.query_params.get("country") or None, lang)
    return _headed(pd.DataFrame(rows, columns=list(ALERT_HEADERS)), ALERT_HEADERS, t)


TABLES: dict[str, TableMaker] = {
    "trends": _trends,
    "actors": _actors,
    "dyads": _dyads,
    "forecasts": _forecasts,
    "impact-effects": _impact("effects"),
    "impact-bases": _impact("bases"),
    "alerts": _alerts,
}


def to_xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    """``frame`` as an XLSX workbook (one sheet), formula-like text escaped."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        escape_formulas(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return out.getvalue()


_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/export/impact-event-study.png")
def impact_plot(request: Request, con: Cursor, mission: OptionalMission = None) -> Response:
    """The event study of the newest stored run (of ``mission``) as a PNG in the page's language."""
    stored = _stored(con, mission)
    if stored is None:
        raise WebError(status.HTTP_404_NOT_FOUND, N_("no impact analysis stored"))
    lang = request_lang(request)
    name = stored.run["mission"]
    return Response(
        event_study_png(stored, lang),
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="event-study-{name}-{lang}.png"'},
    )


@router.get("/export/{table}.{fmt}")
def export_table(
    request: Request,
    con: Cursor,
    table: str,
    fmt: str,
    country: OptionalCountry = None,
    period: Period = None,
    source: Source = None,
    mission: OptionalMission = None,
) -> Response:
    """A page's table as CSV or XLSX, for the view its query parameters describe."""
    if table not in TABLES or fmt not in _MEDIA:
        raise WebError(status.HTTP_404_NOT_FOUND, N_("no such table or format"))
    lang = request_lang(request)
    try:
        frame = TABLES[table](request, con, translator(lang), lang)
    except NoDataError as exc:
        raise refusal(status.HTTP_404_NOT_FOUND, exc) from None
    if fmt == "csv":
        body = escape_formulas(frame).to_csv(index=False).encode("utf-8")
    else:
        body = to_xlsx(frame, table)
    name = "-".join(p for p in (table, country, period, mission, lang) if p)
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
