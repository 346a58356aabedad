"""Alert wording in English and French, from the translation catalogue.

Levels follow French early-warning usage: level 1 is *vigilance* (EN "watch"), level 2
is *alerte* (EN "alert"). The texts are messages of :mod:`sentinelle.i18n`, so
the French is written and checked with every other text Sentinelle shows (day-month
order, French month names, a space before the colon).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sentinelle.alerts.store import Alert, AlertCandidate
from sentinelle.i18n import LANGS, N_, Lang, translator

__all__ = ["LEVELS", "AlertLike", "Lang", "alert_sentence", "alert_text", "level_name"]

# An alert record, or a row of ``alerts`` as a mapping (what the briefing and web read).
AlertLike = AlertCandidate | Mapping[str, Any]


def _record(alert: AlertLike) -> AlertCandidate:
    return alert if isinstance(alert, AlertCandidate) else Alert.from_row(alert)


_LEVEL_NAMES = {1: N_("watch"), 2: N_("alert")}


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
    'MLI: 412 conflict fatalities in March 2019, the highest in three years.'
    """
    t = translator(lang)
    record = _record(alert)
    evidence, unit, level, rule = record.evidence, record.unit_id, record.level, record.rule
    month = t.month(record.period)
    value, threshold = record.value, record.threshold
    if rule == "hdx_conflict":
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
        text = t.gettext("%(actor)s: first reported activity in %(admin1)s (%(month)s).") % {
            "actor": evidence.get("actor", unit),
            "admin1": evidence.get("admin1", ""),
            "month": month,
        }
    else:
        text = t.gettext("%(unit)s: %(rule)s (%(month)s).") % {
            "unit": unit,
            "rule": rule,
            "month": month,
        }
    return text


def alert_text(alert: AlertLike, lang: Lang) -> tuple[str, str]:
    """Subject and body of an alert.

    Examples
    --------
    >>> a = {"rule": "hdx_conflict", "unit_type": "country", "unit_id": "MLI",
    ...      "period": "2019-03", "level": 2, "value": 412.0, "threshold": 300.0,
    ...      "evidence": {}}
    >>> alert_text(a, "fr")[0]
    'ALERTE - MLI - mars 2019'
    """
    t = translator(lang)
    record = _record(alert)
    label = level_name(record.level, lang)
    subject = f"{label.upper()} - {record.unit_id} - {t.month(record.period)}"
    body = alert_sentence(record, lang) + "\n" + t.gettext("Level: %(level)s") % {"level": label}
    return subject, body
