"""Country briefings: a few pages on one country and month, in English and French.

The stages, each in its module:

- :mod:`~sentinelle.report.collect`: :func:`collect_brief` reads everything a
  briefing shows from the store into a :class:`Brief` (plain data);
- :mod:`~sentinelle.report.charts`: the charts and maps of a :class:`Brief`, as
  embedded PNGs;
- :mod:`~sentinelle.report.render`: :func:`render_html` and :func:`write_brief`
  turn it into self-contained HTML (Jinja2, ``templates/brief.html``) and PDF
  (WeasyPrint), one per language;
- :mod:`~sentinelle.report.references`: the sources a briefing prefers and cites,
  and the labels and thresholds the other three share.

Every text shown to a reader goes through the catalogue of :mod:`sentinelle.i18n`.
"""

from sentinelle.report.collect import Brief, collect_brief
from sentinelle.report.render import render_html, write_brief

__all__ = ["Brief", "collect_brief", "render_html", "write_brief"]
