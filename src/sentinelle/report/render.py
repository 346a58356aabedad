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

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from babel.core import Locale as BabelLocale
from babel.core import get_global

from sentinelle.alerts.wording import alert_sentence, level_name
from sentinelle.errors import ReportError, UsageError
from sentinelle.geo import month_string
from sentinelle.i18n import LANGS, Lang, translations, translator
from sentinelle.impact import (
    CHECK_ESTIMATOR,
    MAIN_ESTIMATOR,
    PLACEBO_ESTIMATOR,
    StoredImpact,
    effect_strings,
    estimator_label,
)
from sentinelle.impact.report import OUTCOME_LABELS
from sentinelle.report.charts import draw_charts
from sentinelle.report.collect import Brief
from sentinelle.report.references import (
    ACTOR_TYPE_LABELS,
    CM_THRESHOLD,
    INDICATOR_LABELS,
    PGM_THRESHOLD,
    SOURCE_LABELS,
    VIOLENCE_LABELS,
    WITHDRAWAL_DEMANDED,
    citations,
)

__all__ = ["country_name", "render_html", "write_brief"]


def country_name(iso3: str, lang: Lang) -> str:
    """The country's name in ``lang`` from CLDR (TCD: ``Tchad`` in French); ISO3 if unknown."""
    alpha2 = get_global("territory_aliases").get(iso3, [None])[0]
    names = BabelLocale.parse(translator(lang).locale).territories
    return str(names.get(alpha2, iso3))


def _impact_rows(impact: StoredImpact, lang: Lang) -> dict[str, Any]:
    """The estimates the briefing states: main, two-stage, placebo and outer rings.

    Each row carries ``text`` (its numbers as impact's formatter writes them),
    ``signed`` (the estimate as a change) and ``label`` (the estimator in words).
    ``demanded`` tells whether the study window reaches the host state's demand that
    the mission leave, which shapes the caveat.
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
        return values

    rings = sorted(effects.loc[effects["estimator"] == MAIN_ESTIMATOR, "ring"].unique())
    demanded = WITHDRAWAL_DEMANDED.get(str(impact.run["mission"]).upper())
    return {
        "demanded": demanded is not None and int(impact.run["last_month"]) >= demanded,
        "main": row(MAIN_ESTIMATOR, 0),
        "did2s": row(CHECK_ESTIMATOR, 0),
        "placebo": row(PLACEBO_ESTIMATOR, 0),
        "rings": [row(MAIN_ESTIMATOR, int(r)) for r in rings if r > 0],
    }


def _findings(brief: Brief, lang: Lang) -> dict[str, Any]:
    """The template's words from other packages: impact estimates, alert sentences.

    ``impact`` holds the estimates of :func:`_impact_rows`, ``alerts`` each alert
    with its sentence and level name in ``lang``, ``outcome_labels`` the catalogue
    messages of the impact outcomes.
    """
    return {
        "impact": _impact_rows(brief.impact, lang) if brief.impact else None,
        "alerts": [
            (a, alert_sentence(a, lang), level_name(a["level"], lang)) for a in brief.alerts
        ],
        "outcome_labels": OUTCOME_LABELS,
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
    env.filters.update(
        num=t.number, signed=t.signed, pct=t.percent, month=t.month, date=t.date, tr=t.gettext
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
                alerts=findings["alerts"],
                citations=citations(brief.ingests["source"], brief.forecast_run is not None),
                labels={
                    "indicator": INDICATOR_LABELS,
                    "violence": VIOLENCE_LABELS,
                    "actor_type": ACTOR_TYPE_LABELS,
                    "outcome": findings["outcome_labels"],
                    "source": SOURCE_LABELS,
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
