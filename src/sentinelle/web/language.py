"""The language a dashboard page or an API error speaks, and how a reader chooses it.

In order: ``?lang=fr`` or ``?lang=en`` in the URL (the switch on every page links
there; a link can carry it), else the choice remembered in the :data:`LANG_COOKIE`
cookie (set when a page is asked for in a language), else the browser's
``Accept-Language``. Sentinelle is written for francophone analysts first, so a
browser that does not rank English above French, states no preference or names
neither language gets French (:data:`DEFAULT_LANG`).
"""

from __future__ import annotations

import re
from typing import cast
from urllib.parse import urlencode

from starlette.requests import Request

from sentinelle.i18n import LANGS, Lang

__all__ = [
    "DEFAULT_LANG",
    "LANG_COOKIE",
    "LANG_COOKIE_MAX_AGE",
    "accept_language",
    "lang_url",
    "request_lang",
]

# Where a reader's choice of language is remembered (the switch on every page sets it).
LANG_COOKIE = "sentinelle_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# What a reader whose browser states no preference between French and English gets:
# Sentinelle is written for francophone analysts first.
DEFAULT_LANG: Lang = "fr"
_ACCEPT_ENTRY = re.compile(
    r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def accept_language(header: str | None) -> Lang:
    """The language an ``Accept-Language`` header prefers among French and English.

    English only when the header ranks English above French; French when it ranks
    French first, and when it names neither or is missing (:data:`DEFAULT_LANG`).

    Examples
    --------
    >>> accept_language("en-GB,en;q=0.9,fr;q=0.8"), accept_language("fr-FR,fr;q=0.9,en;q=0.8")
    ('en', 'fr')
    >>> accept_language("de-DE,de;q=0.9"), accept_language(None), accept_language("en;q=0")
    ('fr', 'fr', 'fr')
    """
    best: tuple[float, int, Lang] | None = None
    for position, entry in enumerate((header or "").split(",")):
        match = _ACCEPT_ENTRY.match(entry)
        if match is None:
            continue
        primary = match.group(1).lower()
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if primary in LANGS and weight > 0:
            candidate = (-weight, position, cast(Lang, primary))
            best = candidate if best is None or candidate < best else best
    return best[2] if best else DEFAULT_LANG


def request_lang(request: Request) -> Lang:
    """The language of a page or an error message: ``?lang=``, else the remembered choice
    (cookie :data:`LANG_COOKIE`), else the browser's ``Accept-Language``."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGS:
        return remembered
    return accept_language(request.headers.get("accept-language"))


def lang_url(request: Request, lang: Lang) -> str:
    """This page's URL in ``lang``: the same view (every query parameter kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"
