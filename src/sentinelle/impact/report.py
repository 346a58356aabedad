"""Report files of a withdrawal-impact analysis: tables, plots, summaries in English and French.

:func:`write_report` writes ``effects.csv``, ``effects.md``, ``event_study.png``,
``map.png``, ``summary_en.md`` and ``summary_fr.md``. The French text is written
for a francophone analyst (numbers as ``12 345,6`` via Babel).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # reports are written on headless machines
import matplotlib.pyplot as plt
import pandas as pd
from babel.numbers import format_decimal

from sentinelle.geo import month_id, month_string
from sentinelle.geo.boundaries import default_boundaries
from sentinelle.impact.run import ImpactResult

__all__ = ["write_report"]

OUTCOME_LABELS = {
    "civilian_deaths": ("civilian deaths", "morts civiles"),
    "one_sided": ("deaths in one-sided violence", "morts dans les violences contre les civils"),
    "all": ("conflict deaths", "morts liées aux conflits"),
}


def _fr(x: float, digits: int = 2) -> str:
    return format_decimal(round(x, digits), format="#,##0." + "0" * digits, locale="fr_FR")


def _en(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""
    cells = table.astype(object).where(table.notna(), "")
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(map(str, row)) + " |" for row in cells.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def _event_plot(result: ImpactResult, path: Path) -> None:
    es = result.event_study
    rings = sorted(es["ring"].unique()) if not es.empty else []
    fig, axes = plt.subplots(
        1, max(len(rings), 1), figsize=(5 * max(len(rings), 1), 4), sharey=True
    )
    axes_list = list(axes) if len(rings) > 1 else [axes]
    edges = (0.0, *result.radii_km)
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
                label=name,
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
        ax.set_title(f"{result.mission}: {edges[ring]:g}-{edges[ring + 1]:g} km")
        ax.set_xlabel("months since closure")
    axes_list[0].set_ylabel(f"effect on {OUTCOME_LABELS[result.outcome][0]} per unit-month")
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


def _summaries(result: ImpactResult) -> tuple[str, str]:
    """English and French paragraphs stating the estimate and its caveats."""
    out_en, out_fr = OUTCOME_LABELS[result.outcome]
    start, end = month_string(result.months.start), month_string(result.months.stop - 1)
    closed = result.units.loc[result.units["role"] == "treated", "base"].dropna().unique()
    bases = ", ".join(sorted(map(str, closed)))
    main = _lookup(result, "callaway_santanna", 0)
    if main is None:
        return (
            f"# {result.mission}\n\nNo unit lay in the inner ring of a closed base: no estimate.\n",
            f"# {result.mission}\n\nAucune unité dans l'anneau intérieur d'une base fermée : "
            "pas d'estimation.\n",
        )
    r0 = f"{result.radii_km[0]:g} km"
    # The host-state demand and the offensives concern the 2023 withdrawal, not the
    # earlier closures that the event data up to 2020 cover.
    cohorts = result.units.loc[result.units["role"] == "treated", "cohort"]
    if result.mission == "MINUSMA" and cohorts.max() >= month_id(2023, 1):
        why_en = (
            "in Mali the transitional authorities demanded the withdrawal and military "
            "offensives followed it"
        )
        why_fr = (
            "au Mali, les autorités de transition ont exigé le retrait et des offensives "
            "militaires l'ont suivi"
        )
    else:
        why_en = "missions close sites for political, budgetary and security reasons"
        why_fr = (
            "les missions ferment des emprises pour des raisons politiques, budgétaires "
            "et sécuritaires"
        )
    sig = not (main["lower"] <= 0 <= main["upper"])
    en = [f"# {result.mission}: violence after base closures ({out_en})\n"]
    fr = [f"# {result.mission} : les violences après la fermeture des bases ({out_fr})\n"]
    en.append(
        f"Between {start} and {end}, {len(closed)} closed base(s) ({bases}) had "
        f"{int(main['n_treated'])} unit(s) within {r0}. Compared with matched areas that "
        f"kept a base or never had one, the closure changed {out_en} there by "
        f"{_en(main['estimate'])} per unit and month (95 % CI {_en(main['lower'])} to "
        f"{_en(main['upper'])}; Callaway-Sant'Anna). "
        + (
            "The interval excludes zero."
            if sig
            else "The interval includes zero: no detectable change."
        )
    )
    fr.append(
        f"Entre {start} et {end}, {len(closed)} emprise(s) fermée(s) ({bases}) comptaient "
        f"{int(main['n_treated'])} unité(s) dans un rayon de {r0}. Par rapport à des zones "
        f"comparables où les casques bleus sont restés ou n'ont jamais été déployés, le retrait "
        f"a modifié les {out_fr} de {_fr(main['estimate'])} par unité et par mois (IC à 95 % : "
        f"{_fr(main['lower'])} à {_fr(main['upper'])} ; Callaway-Sant'Anna). "
        + (
            "L'intervalle exclut zéro."
            if sig
            else "L'intervalle contient zéro : aucun changement détectable."
        )
    )
    did2s = _lookup(result, "did2s", 0)
    if did2s is not None:
        en.append(
            f"The two-stage estimator gives {_en(did2s['estimate'])} "
            f"({_en(did2s['lower'])} to {_en(did2s['upper'])})."
        )
        fr.append(
            f"L'estimateur en deux étapes donne {_fr(did2s['estimate'])} "
            f"({_fr(did2s['lower'])} à {_fr(did2s['upper'])})."
        )
    en.append(f"Pre-closure trends: joint test p = {_en(main['pretrend_p'], 3)}.")
    fr.append(f"Tendances avant la fermeture : test joint p = {_fr(main['pretrend_p'], 3)}.")
    placebo = _lookup(result, "placebo_minus_24m", 0)
    if placebo is not None:
        en.append(
            f"With closure dates moved 24 months earlier (a placebo) the estimate is "
            f"{_en(placebo['estimate'])} ({_en(placebo['lower'])} to {_en(placebo['upper'])})."
        )
        fr.append(
            f"Avec des dates de fermeture avancées de 24 mois (placebo), l'estimation est de "
            f"{_fr(placebo['estimate'])} ({_fr(placebo['lower'])} à {_fr(placebo['upper'])})."
        )
    for ring in range(1, len(result.radii_km)):
        spill = _lookup(result, "callaway_santanna", ring)
        if spill is not None:
            en.append(
                f"Ring {spill['ring_label']}: {_en(spill['estimate'])} "
                f"({_en(spill['lower'])} to {_en(spill['upper'])})."
            )
            fr.append(
                f"Anneau {spill['ring_label']} : {_fr(spill['estimate'])} "
                f"({_fr(spill['lower'])} à {_fr(spill['upper'])})."
            )
    en.append(
        "\n\n**Caveats.** Closures were not random: "
        + why_en
        + ", so the estimate mixes the departure of peacekeepers with what came with it. "
        "The design compares trends near "
        "closed bases with trends in similar areas; it shows a causal effect only if, without "
        "the closure, both would have moved in parallel (the pre-trend test can reject this, "
        "not prove it). Event data may under-report violence once the mission, a source of "
        "reports, has left. Closure dates from Geo-PKO are yearly (end of the last year a site "
        "appears); only curated dates are exact. Few units are treated, so intervals are wide."
    )
    fr.append(
        "\n\n**Limites.** Les fermetures n'étaient pas aléatoires : "
        + why_fr
        + " ; l'estimation mêle donc le départ des casques bleus et ce qui l'a accompagné. "
        "La méthode compare "
        "l'évolution autour des bases fermées à celle de zones semblables ; elle ne mesure un "
        "effet causal que si, sans fermeture, les deux auraient évolué en parallèle (le test "
        "des tendances peut rejeter cette hypothèse, non la prouver). Les données d'événements "
        "peuvent sous-estimer les violences après le départ de la mission, qui en était une "
        "source. Les dates de Geo-PKO sont annuelles (fin de la dernière année où l'emprise "
        "figure) ; seules les dates documentées sont exactes. Peu d'unités sont traitées : "
        "les intervalles sont larges."
    )
    return en[0] + "\n" + " ".join(en[1:]) + "\n", fr[0] + "\n" + " ".join(fr[1:]) + "\n"


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
        ``effects_csv, effects_md, event_study, map, summary_en, summary_fr``.

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
        "event_study": out / "event_study.png",
        "map": out / "map.png",
        "summary_en": out / "summary_en.md",
        "summary_fr": out / "summary_fr.md",
    }
    result.effects.to_csv(paths["effects_csv"], index=False)
    shown = result.effects.round(3)
    notes = "".join(f"- {n}\n" for n in result.notes)
    paths["effects_md"].write_text(
        f"# {result.mission}: effects on {result.outcome} per unit-month\n\n"
        + _markdown(shown)
        + (f"\n{notes}" if notes else ""),
        encoding="utf-8",
    )
    _event_plot(result, paths["event_study"])
    _map_plot(result, paths["map"], outline)
    en, fr = _summaries(result)
    paths["summary_en"].write_text(en, encoding="utf-8")
    paths["summary_fr"].write_text(fr, encoding="utf-8")
    return paths
