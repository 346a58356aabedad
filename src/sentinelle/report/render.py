"""A briefing's pages: Jinja2 template to self-contained HTML, WeasyPrint to PDF.

:func:`write_brief` renders a collected :class:`~sentinelle.report.collect.Brief` for
each language through ``templates/brief.html`` (every text through the catalogue of
:mod:`sentinelle.i18n`) into ``brief_<ISO3>_<YYYY-MM>_<lang>.html`` and
``brief_<ISO3>_<YYYY-MM>_<lang>.pdf``; :func:`render_html` gives the HTML alone.
Charts are embedded as data URIs (:mod:`~sentinelle.report.charts`), so the HTML is
one file and the PDF renders without any network access.

The wording other packages own (withdrawal-impact estimates, alert sentences and
levels) is taken in one place, :func:`_findings`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from sentinelle.actors.registry import ACTOR_TYPE_LABELS
from sentinelle.alerts.wording import alert_sentence, level_name
from sentinelle.errors import ReportError, UsageError
from sentinelle.geo import month_id, month_string
from sentinelle.i18n import LANGS, Lang, Translator, country_name, translations, translator
from sentinelle.impact import (
    CHECK_ESTIMATOR,
    MAIN_ESTIMATOR,
    PLACEBO_ESTIMATOR,
    StoredImpact,
    effect_strings,
    estimator_label,
)
from sentinelle.impact.report import OUTCOME_LABELS, ring_text
from sentinelle.impact.results import MISSING
from sentinelle.places import unit_kind, unit_phrase
from sentinelle.report.charts import draw_charts
from sentinelle.report.collect import Brief
from sentinelle.report.references import (
    ADMIN_LEVEL_LABELS,
    AGGREGATE_SOURCE,
    CM_THRESHOLD,
    INDICATOR_LABELS,
    PGM_THRESHOLD,
    SOURCE_LABELS,
    VIOLENCE_LABELS,
    WITHDRAWAL_DEMANDED,
    citations,
)
from sentinelle.sources.closures import closure_wording
from sentinelle.store.currency import SERIES_LABELS, currency_line, source_label

__all__ = ["country_name", "render_html", "write_brief"]


def day_text(value: dt.date, t: Translator) -> str:
    """A day as a reader writes it: ``1er décembre 2023`` in French, ``1 December 2023``.

    Examples
    --------
    >>> from sentinelle.i18n import translator
    >>> day_text(dt.date(2023, 12, 1), translator("fr")), day_text(dt.date(2023, 12, 28),
    ...                                                             translator("fr"))
    ('1er décembre 2023', '28 décembre 2023')
    """
    text = t.date(value)
    if t.lang == "fr" and value.day == 1 and text.startswith("1 "):
        return "1er" + text[1:]
    return text


def closure_text(value: object, precision: object, t: Translator) -> str:
    """A closure date at its precision: a day, a month (``décembre 2023``) or a year."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return MISSING
    day = pd.Timestamp(value).date()  # type: ignore[arg-type]
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return t.month(month_id(day.year, day.month))
    return day_text(day, t)


def _number(value: object, t: Translator) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return MISSING
    return t.number(float(value), 0)  # type: ignore[arg-type]


def _base_rows(impact: StoredImpact, t: Translator) -> list[dict[str, Any]]:
    """The per-base table as the briefing shows it: one dict of texts per base (what
    the closure table says in the reader's language)."""
    rows = []
    for base in impact.bases.to_dict("records"):
        months = base.get("months_after")
        rows.append(
            {
                "base": str(base["base"]),
                "unit": str(base.get("unit_name") or base.get("unit_code") or MISSING),
                "closed": closure_text(base.get("closure_date"), base.get("date_precision"), t),
                "said": closure_wording(base.get("what_happened"), t.lang) or MISSING,
                "taken_over_by": closure_wording(base.get("taken_over_by"), t.lang, "taken_over_by")
                or MISSING,
                "before": _number(base.get("before_12m"), t),
                "after": _number(base.get("after_12m"), t),
                "months_after": None if months is None or pd.isna(months) else int(months),
            }
        )
    return rows


def _impact_rows(impact: StoredImpact, month: int, lang: Lang) -> dict[str, Any]:
    """The estimates the briefing states: main, two-stage, placebo and outer rings.

    Each row carries ``text`` (its numbers as impact's formatter writes them),
    ``signed`` (the estimate as a change), ``label`` (the estimator in words),
    ``ring_text`` (the ring in the reader's words) and ``pretrend`` (the pre-trend
    test's p-value as text, or the missing mark). ``demanded`` tells whether the
    closures (or, without a per-base table, the study window) reach the host state's
    demand that the mission leave, which shapes the caveat; ``contiguity`` whether the
    units are admin areas (host and neighbouring areas) rather than rings in km;
    ``bases`` the per-base rows; ``later_data`` whether the run read months after the
    briefing's ``month``.
    """
    effects = impact.effects
    t = translator(lang)

    def row(estimator: str, ring: int) -> dict[str, Any] | None:
        found = effects[(effects["estimator"] == estimator) & (effects["ring"] == ring)]
        if found.empty:
            return None
        values = {str(k): v for k, v in found.iloc[0].items()}
        values["text"] = effect_strings(values, t)
        values["signed"] = effect_strings(values, t, signed=True)["estimate"]
        values["label"] = estimator_label(estimator, t)
        values["ring_text"] = ring_text(str(values["ring_label"]), t)
        p_value = values.get("pretrend_p")
        values["pretrend"] = (
            MISSING if p_value is None or pd.isna(p_value) else t.number(float(p_value), 3)
        )
        return values

    run = impact.run
    rings = sorted(effects.loc[effects["estimator"] == MAIN_ESTIMATOR, "ring"].unique())
    demanded = WITHDRAWAL_DEMANDED.get(str(run["mission"]).upper())
    cohorts = [int(c) for c in impact.bases.get("cohort_month", pd.Series(dtype=float)).dropna()]
    reach = max(cohorts) if cohorts else int(run["last_month"])
    return {
        "demanded": demanded is not None and reach >= demanded,
        "contiguity": str(run.get("unit", "")).startswith("admin"),
        "main": row(MAIN_ESTIMATOR, 0),
        "did2s": row(CHECK_ESTIMATOR, 0),
        "placebo": row(PLACEBO_ESTIMATOR, 0),
        "rings": [row(MAIN_ESTIMATOR, int(r)) for r in rings if r > 0],
        "bases": _base_rows(impact, t),
        "later_data": int(run["last_month"]) > month,
    }


def _withheld(brief: Brief, lang: Lang) -> str | None:
    """Which stored impact run exists and why it is not shown, in ``lang`` (None: none)."""
    found = brief.impact_withheld
    if not found:
        return None
    t = translator(lang)
    run = found["run"]
    values = {
        "mission": run["mission"],
        "start": t.month(int(run["first_month"])),
        "end": t.month(int(run["last_month"])),
        "month": t.month(brief.month),
    }
    if found["closures"]:
        first, last = found["closures"]
        values |= {"first": t.month(first), "last": t.month(last)}
        head = (
            t.gettext(
                "The store holds a withdrawal-impact analysis of %(mission)s on closures from "
                "%(first)s to %(last)s, with data from %(start)s to %(end)s; it is not shown here:"
            )
            % values
        )
    else:
        head = (
            t.gettext(
                "The store holds a withdrawal-impact analysis of %(mission)s with data from "
                "%(start)s to %(end)s; it is not shown here:"
            )
            % values
        )
    if brief.withdrawal:
        values |= {"wfirst": t.month(brief.withdrawal[0]), "wlast": t.month(brief.withdrawal[1])}
    if found["reason"] == "later":
        why = t.gettext("its closures all come after %(month)s.") % values
    elif found["reason"] == "short":
        why = (
            t.gettext(
                "its data end before the closures of %(wfirst)s to %(wlast)s, the withdrawal "
                "this briefing covers."
            )
            % values
        )
    else:
        why = (
            t.gettext(
                "it estimates other closures than those of %(wfirst)s to %(wlast)s, the "
                "withdrawal this briefing covers."
            )
            % values
        )
    return f"{head} {why}"


def _findings(brief: Brief, lang: Lang) -> dict[str, Any]:
    """The template's words from other packages: impact estimates, alert sentences.

    ``impact`` holds the estimates of :func:`_impact_rows`, ``alerts`` each alert
    with its sentence and level name in ``lang``, ``outcome_labels`` the catalogue
    messages of the impact outcomes.
    """
    return {
        "impact": _impact_rows(brief.impact, brief.month, lang) if brief.impact else None,
        "withheld": _withheld(brief, lang),
        "alerts": [
            (a, alert_sentence(a, lang), level_name(a["level"], lang)) for a in brief.alerts
        ],
        "outcome_labels": OUTCOME_LABELS,
    }


def _hotspot_words(brief: Brief, lang: Lang) -> dict[str, Any] | None:
    """The hotspot section's texts in ``lang`` (None without a subnational forecast).

    ``next`` and ``year`` hold one dict of texts per unit (``name``; ``place``, the unit
    with its kind as :func:`sentinelle.places.unit_phrase` names it, "cercle de
    Bandiagara"; ``region``, ``region_place``; ``median``, ``mean``, ``low``, ``high``),
    ``next_lead`` and ``year_lead`` the sentences naming the first unit of each;
    ``unit`` is the catalogue message of the unit kind (e.g. "Cercle"), ``currency``
    the data-currency line of the forecast's source.
    """
    found = brief.hotspots
    if found is None:
        return None
    t = translator(lang)
    iso3 = brief.country_iso3
    level = int(found.unit[-1])

    def rows(frame: pd.DataFrame) -> list[dict[str, str]]:
        out = []
        for r in frame.to_dict("records"):
            region = r.get("admin1_name")
            has_region = isinstance(region, str) and region != ""
            out.append(
                {
                    "name": str(r["unit_name"]),
                    "place": unit_phrase(iso3, level, str(r["unit_name"]), lang),
                    "region": str(region) if has_region else MISSING,
                    "region_place": unit_phrase(iso3, 1, str(region), lang) if has_region else "",
                    "median": t.number(float(r["median"])),
                    "mean": t.number(float(r["mean"]), 1),
                    "low": t.number(float(r["q05"])),
                    "high": t.number(float(r["q95"])),
                }
            )
        return out

    def lead(units: list[dict[str, str]], when: str) -> str | None:
        if not units:
            return None
        first = units[0]
        place = first["place"] + (f" ({first['region_place']})" if first["region_place"] else "")
        return t.gettext(
            "Highest expected deaths %(when)s: %(place)s, median %(median)s, mean %(mean)s "
            "(90%% forecast interval %(low)s to %(high)s)."
        ) % {**first, "place": place, "when": when}

    upcoming, year = rows(found.next_month), rows(found.year)
    first, last = found.months
    span = {"start": t.month(first), "end": t.month(last)}
    return {
        "next": upcoming,
        "year": year,
        "next_lead": lead(upcoming, t.gettext("in %(month)s") % {"month": t.month(found.month)}),
        "year_lead": lead(year, t.gettext("over %(start)s \u2013 %(end)s") % span),
        "span": span,
        "unit": _unit_heading(iso3, level),
        "currency": currency_line(list(found.currency), lang) if found.currency else "",
    }


def _unit_heading(iso3: str, level: int) -> str:
    """The catalogue heading of ``iso3``'s admin units of ``level`` ("Cercle"), or the
    generic "Admin. area (level 2)" where the country's kind is unknown."""
    kind = unit_kind(iso3, level)
    return kind.heading if kind is not None else ADMIN_LEVEL_LABELS[level]


def _area_words(brief: Brief) -> dict[str, str]:
    """Catalogue messages naming the briefing's admin areas (``unit``: level 2 or the
    level read, ``region``: level 1), e.g. "Cercle" and "Region" for Mali."""
    level = brief.aggregate_level or 2
    return {
        "unit": _unit_heading(brief.country_iso3, level),
        "region": _unit_heading(brief.country_iso3, 1),
    }


def _check_langs(langs: Sequence[str]) -> None:
    """Refuse a language the catalogue lacks, before anything is rendered or written."""
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown:
        raise UsageError(f"unknown language {unknown[0]!r}; expected one of {LANGS}")


@cache
def _environment(lang: Lang) -> jinja2.Environment:
    """The template environment of one language, its gettext bound to the catalogue."""
    t = translator(lang)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sentinelle.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]

    def date(value: dt.date, length: str = "long") -> str:
        return day_text(value, t) if length == "long" else t.date(value, length)  # type: ignore[arg-type]

    env.filters.update(
        num=t.number, signed=t.signed, pct=t.percent, month=t.month, date=date, tr=t.gettext
    )
    return env


def render_html(brief: Brief, lang: Lang) -> str:
    """The briefing as one self-contained HTML document in ``lang``.

    Raises
    ------
    UsageError
        If ``lang`` is not one of :data:`~sentinelle.i18n.LANGS`.
    ReportError
        If the template cannot be rendered.
    """
    _check_langs([lang])
    t = translator(lang)
    findings = _findings(brief, lang)
    try:
        return (
            _environment(lang)
            .get_template("brief.html")
            .render(
                b=brief,
                t=t,
                lang=lang,
                country=country_name(brief.country_iso3, lang),
                charts=draw_charts(brief, t),
                impact=findings["impact"],
                withheld=findings["withheld"],
                currency=currency_line(list(brief.currency), lang) if brief.currency else "",
                areas=_area_words(brief),
                hotspots=_hotspot_words(brief, lang),
                alerts=findings["alerts"],
                citations=citations(brief.ingests["source"], brief.forecast_run is not None),
                aggregate_source=AGGREGATE_SOURCE,
                source_name=lambda code: source_label(str(code), lang),
                labels={
                    "indicator": INDICATOR_LABELS,
                    "violence": VIOLENCE_LABELS,
                    "actor_type": ACTOR_TYPE_LABELS,
                    "outcome": findings["outcome_labels"],
                    "source": SOURCE_LABELS,
                    "series": SERIES_LABELS,
                },
                thresholds={"cm": CM_THRESHOLD, "pgm": PGM_THRESHOLD},
                isnan=lambda v: v is None or (isinstance(v, float) and np.isnan(v)),
                month_string=month_string,
            )
        )
    except jinja2.TemplateError as exc:
        raise ReportError(f"the briefing template cannot be rendered: {exc}") from exc


def write_brief(
    brief: Brief, out_dir: str | Path, langs: tuple[Lang, ...] | list[Lang] = LANGS
) -> dict[str, list[Path]]:
    """Write ``brief_<ISO3>_<YYYY-MM>_<lang>.html`` and ``.pdf`` for each language.

    Parameters
    ----------
    brief : Brief
        From :func:`~sentinelle.report.collect.collect_brief`.
    out_dir : str or pathlib.Path
        Created if missing.
    langs : sequence of {'en', 'fr'}
        Languages to write.

    Returns
    -------
    dict of str to list of pathlib.Path
        Per language, the HTML and the PDF written.

    Raises
    ------
    UsageError
        If a language is not one of :data:`~sentinelle.i18n.LANGS` (nothing is written).
    ReportError
        If a page cannot be rendered, e.g. it refers to a file or address.

    Examples
    --------
    >>> paths = write_brief(collect_brief(con, "MLI", "2020-06"), "out/brief")  # doctest: +SKIP
    >>> [p.name for p in paths["fr"]]                                           # doctest: +SKIP
    ['brief_MLI_2020-06_fr.html', 'brief_MLI_2020-06_fr.pdf']
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    _check_langs(langs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Only the embedded data URIs may be read: a briefing never fetches from a network.
    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    written: dict[str, list[Path]] = {}
    for lang in langs:
        stem = f"brief_{brief.country_iso3}_{month_string(brief.month)}_{lang}"
        html = render_html(brief, lang)
        html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
        html_path.write_text(html, encoding="utf-8")
        try:
            HTML(string=html, base_url=str(out), url_fetcher=fetcher).write_pdf(pdf_path)
        except FatalURLFetchingError as exc:  # a BaseException: it would pass `except Exception`
            raise ReportError(f"{pdf_path.name} cannot be rendered: {exc}") from exc
        written[lang] = [html_path, pdf_path]
    return written
