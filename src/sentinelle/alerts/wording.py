"""Alert wording in English and French, from the translation catalogue.

Levels follow French early-warning usage: level 1 is *vigilance* (EN "watch"), level 2
is *alerte* (EN "alert"). The texts are messages of :mod:`sentinelle.i18n`, so
the French is written and checked with every other text Sentinelle shows (day-month
order, French month names, a space before the colon).

Subjects say in words where and what, never an internal id: "ALERTE — Mali, région de
Mopti : 412 décès liés aux conflits en mars 2019" / "ALERT — Mali, Mopti region: 412
conflict fatalities in March 2019". Places are named by :func:`place_name` of
:mod:`sentinelle.places`, the one table of admin-unit kinds: the country from CLDR,
then the admin units with their kind where the country's is known (Mali: régions and
cercles; Burkina Faso: régions; Niger: régions and départements), and in French with
the preposition and article an analyst writes: "région de Mopti", "région de la Boucle
du Mouhoun", "région du Sahel", "région d'Agadez" (with the typographic apostrophe),
"district de Bamako".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sentinelle.alerts.store import Alert, AlertCandidate
from sentinelle.i18n import LANGS, N_, Lang, translator
from sentinelle.places import APOSTROPHE, french_of, place_name

__all__ = [
    "APOSTROPHE",
    "LEVELS",
    "AlertLike",
    "Lang",
    "alert_sentence",
    "alert_subject",
    "alert_text",
    "french_of",
    "level_name",
    "place_name",
]

# An alert record, or a row of ``alerts`` as a mapping (what the briefing and web read).
AlertLike = AlertCandidate | Mapping[str, Any]


def _record(alert: AlertLike) -> AlertCandidate:
    return alert if isinstance(alert, AlertCandidate) else Alert.from_row(alert)


_LEVEL_NAMES = {1: N_("watch"), 2: N_("alert")}
# The HDX Signals conflict rule, on stored events and on ACLED's HDX aggregates.
_HDX_RULES = ("hdx_conflict", "acled_hdx_conflict")


def level_name(level: int, lang: Lang) -> str:
    """Name of an alert level: ``vigilance``/``alerte`` in French, ``watch``/``alert``."""
    return translator(lang).gettext(_LEVEL_NAMES[int(level)])


LEVELS: dict[Lang, dict[int, str]] = {
    lang: {level: level_name(level, lang) for level in _LEVEL_NAMES} for lang in LANGS
}


def alert_sentence(alert: AlertLike, lang: Lang) -> str:
    """The one sentence that says what an alert found.

    Examples
    --------
    >>> a = {"rule": "hdx_conflict", "unit_type": "country", "unit_id": "MLI",
    ...      "period": "2019-03", "level": 2, "value": 412.0, "threshold": 300.0,
    ...      "evidence": {}}
    >>> alert_sentence(a, "en")
    'Mali: 412 conflict fatalities in March 2019, the highest in three years.'
    """
    t = translator(lang)
    record = _record(alert)
    evidence, level, rule = record.evidence, record.level, record.rule
    unit = place_name(record.unit_type, record.unit_id, lang)
    month = t.month(record.period)
    value, threshold = record.value, record.threshold
    if rule in _HDX_RULES:
        span = t.gettext("three years") if level == 2 else t.gettext("a year")
        text = t.gettext(
            "%(unit)s: %(value)s conflict fatalities in %(month)s, the highest in %(span)s."
        ) % {"unit": unit, "value": t.number(value), "month": month, "span": span}
    elif rule == "forecast_exceedance":
        text = t.gettext(
            "%(unit)s: %(probability)s probability of at least %(n)s fatalities in %(month)s "
            "(threshold %(threshold)s)."
        ) % {
            "unit": unit,
            "probability": t.percent(value),
            "n": evidence.get("min_fatalities"),
            "month": month,
            "threshold": t.percent(threshold),
        }
    elif rule == "new_area":
        text = t.gettext("%(unit)s: violence in %(month)s after twelve months without events.") % {
            "unit": unit,
            "month": month,
        }
    elif rule == "actor_new_admin1":
        text = t.gettext(
            "%(unit)s: first reported activity of %(actor)s, already active elsewhere (%(month)s)."
        ) % {"unit": unit, "actor": evidence.get("actor", ""), "month": month}
    else:
        text = t.gettext("%(unit)s: %(rule)s (%(month)s).") % {
            "unit": unit,
            "rule": rule,
            "month": month,
        }
    return text


def _what(record: AlertCandidate, lang: Lang) -> str:
    """The few words after the place in a subject: what the alert found, and when."""
    t = translator(lang)
    month = t.month(record.period)
    if record.rule in _HDX_RULES:
        return t.gettext("%(value)s conflict fatalities in %(month)s") % {
            "value": t.number(record.value), "month": month}  # fmt: skip
    if record.rule == "forecast_exceedance":
        return t.gettext("%(probability)s chance of at least %(n)s fatalities in %(month)s") % {
            "probability": t.percent(record.value),
            "n": record.evidence.get("min_fatalities"),
            "month": month,
        }
    if record.rule == "new_area":
        return t.gettext("violence in %(month)s after a year without events") % {"month": month}
    if record.rule == "actor_new_admin1":
        return t.gettext("%(actor)s, first reported activity (%(month)s)") % {
            "actor": record.evidence.get("actor", ""), "month": month}  # fmt: skip
    return month


def alert_subject(alert: AlertLike, lang: Lang) -> str:
    """The subject of an alert: level, place and finding in words, no internal id.

    Examples
    --------
    >>> a = {"rule": "hdx_conflict", "unit_type": "admin1", "unit_id": "MLI/Mopti",
    ...      "period": "2019-03", "level": 2, "value": 412.0, "threshold": 300.0,
    ...      "evidence": {}}
    >>> alert_subject(a, "fr")
    'ALERTE — Mali, région de Mopti : 412 décès liés aux conflits en mars 2019'
    >>> alert_subject(a, "en")
    'ALERT — Mali, Mopti region: 412 conflict fatalities in March 2019'
    """
    record = _record(alert)
    return translator(lang).gettext("%(level)s — %(place)s: %(what)s") % {
        "level": level_name(record.level, lang).upper(),
        "place": place_name(record.unit_type, record.unit_id, lang),
        "what": _what(record, lang),
    }


def alert_text(alert: AlertLike, lang: Lang) -> tuple[str, str]:
    """Subject and body of an alert.

    Examples
    --------
    >>> a = {"rule": "hdx_conflict", "unit_type": "country", "unit_id": "MLI",
    ...      "period": "2019-03", "level": 2, "value": 412.0, "threshold": 300.0,
    ...      "evidence": {}}
    >>> alert_text(a, "fr")[0]
    'ALERTE — Mali : 412 décès liés aux conflits en mars 2019'
    """
    t = translator(lang)
    record = _record(alert)
    label = level_name(record.level, lang)
    body = alert_sentence(record, lang) + "\n" + t.gettext("Level: %(level)s") % {"level": label}
    return alert_subject(record, lang), body
