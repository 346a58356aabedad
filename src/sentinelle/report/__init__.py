"""Reports for readers: country briefings in English and French, and the translation catalogue.

- :mod:`~sentinelle.report.brief`: :func:`~sentinelle.report.brief.collect_brief` gathers
  a country-month briefing from the store; :func:`~sentinelle.report.brief.write_brief`
  renders it as self-contained HTML and as PDF (Jinja2 template, WeasyPrint).
- :mod:`~sentinelle.i18n`: the gettext catalogue (``locale/``) every text shown
  to a reader goes through, and locale formatting of numbers, dates and months.

This ``__init__`` imports nothing: other packages (alert wording) use the catalogue
without loading the briefing's plotting and PDF stack.
"""
