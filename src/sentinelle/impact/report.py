"""Report files of a withdrawal-impact analysis: tables, plots, summaries in English and French.

:func:`write_report` writes ``effects.csv``, ``effects.md``, ``bases.csv`` (the
per-base table), ``event_study_en.png`` and ``event_study_fr.png``, ``map.png``,
``summary_en.md`` and ``summary_fr.md``. The summaries' text comes from
the translation catalogue (:mod:`sentinelle.i18n`), numbers and months in each
locale's style (``12 345,6``, ``juin 2020``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # reports are written on headless machines
import matplotlib.pyplot as plt
import pandas as pd

from sentinelle.geo import month_id
from sentinelle.geo.boundaries import default_boundaries
from sentinelle.i18n import LANGS, N_, Lang, Translator, translator
from sentinelle.impact.design import AGGREGATE_OUTCOMES
from sentinelle.impact.estimators import (
    CHECK_ESTIMATOR,
    MAIN_ESTIMATOR,
    PLACEBO_ESTIMATOR,
    estimator_label,
)
from sentinelle.impact.results import MISSING, ImpactResult, effect_strings
from sentinelle.sources.closures import closure_wording
from sentinelle.tables import write_csv

__all__ = ["OUTCOME_LABELS", "summary", "write_report"]

OUTCOME_LABELS = {
    "civilian_deaths": N_("civilian deaths"),
    "one_sided": N_("deaths in violence against civilians"),
    "all": N_("conflict deaths"),
    "fatalities": N_("deaths in political violence"),
    "events": N_("political violence events"),
    "civilian_targeting": N_("deaths in attacks on civilians"),
}

# Ring labels of a contiguity design (sentinelle.impact.design.CONTIGUITY_RINGS), for
# the catalogue; km bands are written as they are.
RING_LABELS = {"host unit": N_("host unit"), "neighbouring units": N_("neighbouring units")}


def ring_text(label: str, t: Translator) -> str:
    """A ring label in the reader's language ('0-25 km' stays as it is)."""
    return t.gettext(RING_LABELS[label]) if label in RING_LABELS else label


def _markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""
    cells = table.astype(object).where(table.notna(), "")
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(map(str, row)) + " |" for row in cells.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def _event_plot(result: ImpactResult, path: Path, lang: Lang) -> None:
    """The event study of each ring with treated units, labelled in ``lang``."""
    t = translator(lang)
    es = result.event_study
    rings = sorted(es["ring"].unique()) if not es.empty else []
    fig, axes = plt.subplots(
        1, max(len(rings), 1), figsize=(5.5 * max(len(rings), 1), 4.5), sharey=True
    )
    axes_list = list(axes) if len(rings) > 1 else [axes]
    labels = result.labels or tuple(
        f"{lo:g}-{hi:g} km"
        for lo, hi in zip((0.0, *result.radii_km), result.radii_km, strict=False)
    )
    for ax, ring in zip(axes_list, rings, strict=False):
        for offset, (name, sub) in zip(
            (-0.15, 0.15), es[es["ring"] == ring].groupby("estimator"), strict=False
        ):
            ax.errorbar(
                sub["rel_month"] + offset,
                sub["estimate"],
                yerr=[sub["estimate"] - sub["lower"], sub["upper"] - sub["estimate"]],
                fmt="o",
                ms=3,
                elinewidth=0.8,
                label=estimator_label(str(name), t),
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
        ax.set_title(
            t.gettext("%(mission)s: %(ring)s")
            % {"mission": result.mission, "ring": ring_text(labels[ring], t)}
        )
        ax.set_xlabel(t.gettext("months since the closure"))
    axes_list[0].set_ylabel(
        t.gettext("change in %(outcome)s per unit and month")
        % {"outcome": t.gettext(OUTCOME_LABELS[result.outcome])},
        wrap=True,
    )
    axes_list[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _map_plot(result: ImpactResult, path: Path, outline: str | Path | None) -> None:
    fig, ax = plt.subplots(figsize=(8, 7))
    units = result.units
    minx, miny, maxx, maxy = units.total_bounds
    if outline is None:
        outline = default_boundaries()
    if Path(outline).exists():
        countries = gpd.read_file(outline).cx[minx:maxx, miny:maxy]
        countries.boundary.plot(ax=ax, color="black", lw=0.6)
    units[units["role"] == "control"].boundary.plot(ax=ax, color="lightgrey", lw=0.3)
    units[units["matched"]].plot(ax=ax, color="lightsteelblue", alpha=0.6)
    treated = units[units["role"] == "treated"]
    if not treated.empty:
        treated.plot(ax=ax, column="ring_label", cmap="OrRd_r", alpha=0.8, legend=True)
    tl = result.timeline
    closed_in = tl["cohort_month"].between(result.months.start, result.months.stop)
    for mask, colour, label in (
        (closed_in, "red", "closed in study window"),
        (~closed_in & (tl["status"] == "closed"), "orange", "closed later"),
        (tl["status"] == "open", "blue", "open at end of data"),
    ):
        ax.scatter(
            tl.loc[mask, "longitude"],
            tl.loc[mask, "latitude"],
            c=colour,
            s=30,
            edgecolor="black",
            zorder=3,
            label=label,
        )
    for _, row in tl.iterrows():
        ax.annotate(
            str(row["base"]),
            (row["longitude"], row["latitude"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{result.mission}: bases, treated units by ring, matched controls")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _lookup(result: ImpactResult, estimator: str, ring: int) -> pd.Series | None:
    rows = result.effects[
        (result.effects["estimator"] == estimator) & (result.effects["ring"] == ring)
    ]
    return None if rows.empty else rows.iloc[0]


def summary(result: ImpactResult, lang: Lang) -> str:
    """A Markdown paragraph stating the estimate and its caveats, in ``lang``."""
    t = translator(lang)
    outcome = t.gettext(OUTCOME_LABELS[result.outcome])
    main = _lookup(result, MAIN_ESTIMATOR, 0)
    if main is None:
        return f"# {result.mission}\n\n" + t.gettext(
            "No unit lay in the inner ring of a closed base: no estimate."
        ) + "\n"  # fmt: skip

    closed = result.units.loc[result.units["role"] == "treated", "base"].dropna().unique()
    # The host-state demand and the offensives concern the 2023 withdrawal, not the
    # earlier closures that the event data up to 2020 cover.
    cohorts = result.units.loc[result.units["role"] == "treated", "cohort"]
    if result.mission == "MINUSMA" and cohorts.max() >= month_id(2023, 1):
        why = t.gettext(
            "in Mali the transitional authorities demanded the withdrawal and military "
            "offensives followed it"
        )
    else:
        why = t.gettext("missions close sites for political, budgetary and security reasons")
    title = t.gettext("%(mission)s: violence after base closures (%(outcome)s)") % {
        "mission": result.mission, "outcome": outcome,
    }  # fmt: skip
    values = {
        "start": t.month(result.months.start),
        "end": t.month(result.months.stop - 1),
        "n_bases": len(closed),
        "bases": ", ".join(sorted(map(str, closed))),
        "n_units": int(main["n_treated"]),
        "radius": f"{result.radii_km[0]:g} km",
        "where": t.gettext("in the unit hosting it")
        if result.labels and result.labels[0] in RING_LABELS
        else t.gettext("within %(radius)s") % {"radius": f"{result.radii_km[0]:g} km"},
        "outcome": outcome,
        **effect_strings(main, t),
    }
    parts = [
        t.gettext(
            "Between %(start)s and %(end)s, %(n_bases)s closed base(s) (%(bases)s) had "
            "%(n_units)s unit(s) %(where)s. Compared with matched areas that kept a "
            "base or never had one, the closure changed %(outcome)s there by %(estimate)s per "
            "unit and month (95%% CI %(lower)s to %(upper)s; Callaway-Sant'Anna)."
        )
        % values,
        t.gettext("The interval includes zero: no detectable change.")
        if main["lower"] <= 0 <= main["upper"]
        else t.gettext("The interval excludes zero."),
    ]
    check = _lookup(result, CHECK_ESTIMATOR, 0)
    if check is not None:
        parts.append(
            t.gettext("The two-stage estimator gives %(estimate)s (%(lower)s to %(upper)s).")
            % effect_strings(check, t)
        )
    parts.append(
        t.gettext("Pre-closure trends: joint test p = %(p)s.")
        % {"p": t.number(main["pretrend_p"], 3)}
    )
    placebo = _lookup(result, PLACEBO_ESTIMATOR, 0)
    if placebo is not None:
        parts.append(
            t.gettext(
                "With closure dates moved 24 months earlier (a placebo) the estimate is "
                "%(estimate)s (%(lower)s to %(upper)s)."
            )
            % effect_strings(placebo, t)
        )
    for ring in range(1, len(result.radii_km)):
        spill = _lookup(result, MAIN_ESTIMATOR, ring)
        if spill is not None:
            parts.append(
                t.gettext("Ring %(ring)s: %(estimate)s (%(lower)s to %(upper)s).")
                % {"ring": ring_text(str(spill["ring_label"]), t), **effect_strings(spill, t)}
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
    if result.outcome in AGGREGATE_OUTCOMES:
        caveats += " " + t.gettext(
            "The outcome is ACLED's monthly count by administrative unit (HDX): it has no "
            "split by perpetrator, so it cannot say who did the violence, and an event is "
            "placed only in its unit and month."
        )
    return f"# {title}\n\n" + " ".join(parts) + "\n\n" + caveats + "\n" + _bases_md(result, t)


# Columns of the per-base table in the summaries, with their headers.
_BASE_HEADERS = {
    "base": N_("Base"),
    "unit_name": N_("Unit"),
    "closure_date": N_("Closed"),
    "what_happened": N_("What the sources say"),
    "taken_over_by": N_("Taken over by"),
    "before_12m": N_("12 months before"),
    "after_12m": N_("12 months after"),
    "synthetic_after": N_("Synthetic, after"),
}


def _bases_md(result: ImpactResult, t: Translator) -> str:
    """The per-base table as Markdown in ``t``'s language (empty without one)."""
    bases = result.bases
    if bases.empty:
        return ""
    table = pd.DataFrame(
        {
            t.gettext(header): [
                _cell(column, value, t)
                for value in bases[column].where(bases[column].notna(), None)
            ]
            for column, header in _BASE_HEADERS.items()
        }
    )
    heading = t.gettext("Base by base (%(outcome)s in the host unit)") % {
        "outcome": t.gettext(OUTCOME_LABELS[result.outcome])
    }
    note = t.gettext(
        "After: up to 12 months from the first full month without the base. Synthetic: the "
        "same months of the synthetic control, where one was fitted. Takeovers are given "
        "only where a source of the closure table says so."
    )
    return f"\n## {heading}\n\n" + _markdown(table) + f"\n{note}\n"


# Per-base columns that carry a text of the closure table, and its column there.
_CLOSURE_TEXTS = {"what_happened": "event", "taken_over_by": "taken_over_by"}


def _cell(column: str, value: object, t: Translator) -> str:
    """A per-base table cell as a reader sees it (the closure table's texts in the
    reader's language: :func:`~sentinelle.sources.closures.closure_wording`)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return MISSING  # a float column keeps NaN where the table has no value
    if column in _CLOSURE_TEXTS:
        return closure_wording(value, t.lang, _CLOSURE_TEXTS[column]) or MISSING
    if column == "closure_date":
        return t.date(pd.Timestamp(value).date())  # type: ignore[arg-type]
    if isinstance(value, float):
        return t.number(value, 0)
    return str(value)


def write_report(
    result: ImpactResult, out_dir: str | Path, *, outline: str | Path | None = None
) -> dict[str, Path]:
    """Write the report files of one analysis.

    Parameters
    ----------
    result : ImpactResult
        Output of :func:`~sentinelle.impact.run.run_impact`.
    out_dir : str or path-like
        Directory, created if needed.
    outline : str or path-like, optional
        Country boundaries for the map (e.g. Natural Earth admin-0); the Natural
        Earth low-resolution shapes shipped with pyogrio when omitted.

    Returns
    -------
    dict of str to pathlib.Path
        ``effects_csv, effects_md, bases_csv, event_study_en, event_study_fr, map,
        summary_en, summary_fr``.

    Examples
    --------
    >>> paths = write_report(run_impact(con, "MINUSMA"), "reports/minusma")  # doctest: +SKIP
    >>> paths["summary_fr"].read_text()[:40]  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "effects_csv": out / "effects.csv",
        "effects_md": out / "effects.md",
        "bases_csv": out / "bases.csv",
        "event_study_en": out / "event_study_en.png",
        "event_study_fr": out / "event_study_fr.png",
        "map": out / "map.png",
        "summary_en": out / "summary_en.md",
        "summary_fr": out / "summary_fr.md",
    }
    write_csv(result.effects, paths["effects_csv"])
    shown = result.effects.round(3)
    notes = "".join(f"- {n}\n" for n in result.notes)
    paths["effects_md"].write_text(
        f"# {result.mission}: effects on {result.outcome} per unit-month\n\n"
        + _markdown(shown)
        + (f"\n{notes}" if notes else ""),
        encoding="utf-8",
    )
    write_csv(result.bases, paths["bases_csv"])
    _map_plot(result, paths["map"], outline)
    for lang in LANGS:
        _event_plot(result, paths[f"event_study_{lang}"], lang)
        paths[f"summary_{lang}"].write_text(summary(result, lang), encoding="utf-8")
    return paths
