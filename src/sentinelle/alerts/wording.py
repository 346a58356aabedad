"""Alert wording in English and French.

Levels follow French early-warning usage: level 1 is *vigilance* (EN "watch"), level 2
is *alerte* (EN "alert"). French texts are written as an analyst in Bamako or Dakar
would write them (day-month order, French month names, a space before the colon).
"""

from __future__ import annotations

import json
from typing import Any, Literal

Lang = Literal["en", "fr"]

LEVELS: dict[Lang, dict[int, str]] = {
    "en": {1: "watch", 2: "alert"},
    "fr": {1: "vigilance", 2: "alerte"},
}

_FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _month(period: str, lang: Lang) -> str:
    year, month = period.split("-")
    names = _FR_MONTHS if lang == "fr" else _EN_MONTHS
    return f"{names[int(month) - 1]} {year}"


def alert_text(alert: dict[str, Any], lang: Lang) -> tuple[str, str]:
    """Subject and body of an alert (a row of the ``alerts`` table as a dict).

    Examples
    --------
    >>> a = {"rule": "hdx_conflict", "unit_type": "country", "unit_id": "MLI",
    ...      "period": "2019-03", "level": 2, "value": 412.0, "threshold": 300.0,
    ...      "evidence": {}}
    >>> alert_text(a, "fr")[0]
    'ALERTE - MLI - mars 2019'
    >>> alert_text(a, "en")[1].splitlines()[0]
    'MLI: 412 conflict fatalities in March 2019, the highest in three years.'
    """
    evidence = alert["evidence"]
    if isinstance(evidence, str):
        evidence = json.loads(evidence)
    unit, level = alert["unit_id"], int(alert["level"])
    month = _month(alert["period"], lang)
    value, threshold = float(alert["value"]), float(alert["threshold"])
    fr = lang == "fr"
    rule = alert["rule"]
    if rule == "hdx_conflict":
        span = (
            ("trois ans" if fr else "three years") if level == 2 else ("un an" if fr else "a year")
        )
        text = (
            f"{unit} : {value:.0f} décès liés aux conflits en {month}, "
            f"un niveau inégalé depuis {span}."
            if fr
            else f"{unit}: {value:.0f} conflict fatalities in {month}, the highest in {span}."
        )
    elif rule == "forecast_exceedance":
        n = evidence.get("min_fatalities")
        text = (
            f"{unit} : probabilité de {value:.0%} d'au moins {n} décès en {month} "
            f"(seuil {threshold:.0%})."
            if fr
            else f"{unit}: {value:.0%} probability of at least {n} fatalities in {month} "
            f"(threshold {threshold:.0%})."
        )
    elif rule == "new_area":
        text = (
            f"{unit} : violences en {month} après douze mois sans événement."
            if fr
            else f"{unit}: violence in {month} after twelve months without events."
        )
    elif rule == "actor_new_admin1":
        actor, admin1 = evidence.get("actor", unit), evidence.get("admin1", "")
        text = (
            f"{actor} : première activité signalée dans la région de {admin1} ({month})."
            if fr
            else f"{actor}: first reported activity in {admin1} ({month})."
        )
    else:
        text = f"{unit} : {rule} ({month})." if fr else f"{unit}: {rule} ({month})."
    label = LEVELS[lang][level]
    subject = f"{label.upper()} - {unit} - {month}"
    level_line = f"Niveau : {label}" if fr else f"Level: {label}"
    return subject, f"{text}\n{level_line}"
