"""What a briefing names and cites: preferred event sources, labels, thresholds, references.

Shared by :mod:`~sentinelle.report.collect` (which source to read, which indicators),
:mod:`~sentinelle.report.charts` and :mod:`~sentinelle.report.render` (the words for
them, marked for the catalogue of :mod:`sentinelle.i18n`):

- :data:`EVENT_SOURCES`: event sources in order of preference;
- :data:`INDICATORS` and the ``*_LABELS`` mappings: what the key numbers, charts and
  tables show, as catalogue messages;
- :data:`CM_THRESHOLD`, :data:`PGM_THRESHOLD`: the "at least N deaths" events of
  the forecast sections;
- :data:`WITHDRAWAL_DEMANDED`: dated facts the impact caveats depend on;
  :data:`WITHDRAWAL_SPAN`: how far back from its last closure a withdrawal reaches;
- :data:`AGGREGATE_SOURCE`, :data:`AGGREGATE_SERIES` and :data:`ADMIN_LEVEL_LABELS`:
  the subnational monthly aggregates a briefing falls back to, and the generic names of
  their units (a country's own are in :mod:`sentinelle.places`);
- :data:`CITATIONS` and :func:`citations`: the publications behind the store's sources.
"""

from __future__ import annotations

from collections.abc import Iterable

from sentinelle.geo import month_id
from sentinelle.i18n import N_
from sentinelle.store.schema import VIOLENCE_TYPES

# Event sources in order of preference when several cover the month.
EVENT_SOURCES = ("ged", "acled", "ged_candidate")

# "At least N deaths" events of the forecast sections: the VIEWS challenge's 25 for a
# country-month; any death for a PRIO-GRID cell, where 25 is too rare to map.
CM_THRESHOLD = 25
PGM_THRESHOLD = 1
# Missions whose host state demanded their withdrawal, and when: Mali's transitional
# authorities asked the Security Council on 16 June 2023 that MINUSMA leave.
WITHDRAWAL_DEMANDED = {"MINUSMA": month_id(2023, 6)}
# The closures a briefing calls "the withdrawal": its mission's latest closure up to the
# briefing month and the closures of the 12 months up to it (MINUSMA: August-December
# 2023 for a briefing on 2024-12; the 2014-2020 closures are another episode).
WITHDRAWAL_SPAN = 12

# The subnational monthly aggregates (ACLED on HDX) read when no event source covers
# the month, and their series: political violence everywhere, civilian targeting where
# HDX publishes it (Burkina Faso in the shared files).
AGGREGATE_SOURCE = "acled-hdx"
AGGREGATE_SERIES = ("political_violence", "civilian_targeting")
# Column headings of admin units where the country's kind is unknown (else
# sentinelle.places names it: "Cercle").
ADMIN_LEVEL_LABELS = {1: N_("Admin. area (level 1)"), 2: N_("Admin. area (level 2)")}

VIOLENCE_LABELS = {
    "state_based": N_("State-based violence"),
    "non_state": N_("Violence between armed groups"),
    "one_sided": N_("Violence against civilians"),
    "other": N_("Other events"),
}
INDICATORS = (
    "fatalities",
    *VIOLENCE_TYPES,
    "civilian_deaths",
    "civilian_targeting",
    "events",
    "civilian_targeting_events",
)
INDICATOR_LABELS = {
    "fatalities": N_("Deaths, all violence"),
    "state_based": N_("Deaths in state-based violence"),
    "non_state": N_("Deaths in violence between armed groups"),
    "one_sided": N_("Deaths in violence against civilians"),
    "other": N_("Deaths in other events"),
    "civilian_deaths": N_("Civilians killed"),
    "civilian_targeting": N_("Deaths in attacks on civilians"),
    "events": N_("Events"),
    "civilian_targeting_events": N_("Attacks on civilians (events)"),
}
SOURCE_LABELS = {
    "ged": N_("UCDP GED events"),
    "ged_candidate": N_("UCDP Candidate events"),
    "acled": N_("ACLED events"),
    "views-cm": N_("VIEWS country-month totals (UCDP GED)"),
    "acled-hdx": "ACLED (HDX)",  # a proper name: the words around it say what it is
}

# Bibliographic references, cited as published (not translated), by the store sources
# that use them.
CITATIONS = {
    "ucdp": (
        "Sundberg, Ralph and Erik Melander (2013). Introducing the UCDP Georeferenced Event "
        "Dataset. Journal of Peace Research 50(4): 523-532.",
        "Davies, Shawn, Therése Pettersson and Magnus Öberg (2024). Organized violence "
        "1989-2023, and the prevalence of organized crime groups. Journal of Peace "
        "Research 61(4).",
    ),
    "acled": (
        "Raleigh, Clionadh, Andrew Linke, Håvard Hegre and Joakim Karlsen (2010). "
        "Introducing ACLED: An Armed Conflict Location and Event Dataset. Journal of Peace "
        "Research 47(5): 651-660.",
    ),
    "geopko": (
        "Cil, Deniz, Hanne Fjelde, Lisa Hultman and Desirée Nilsson (2020). Mapping blue "
        "helmets: Introducing the Geocoded Peacekeeping Operations (Geo-PKO) dataset. "
        "Journal of Peace Research 57(2): 360-370.",
    ),
    "views": (
        "Hegre, Håvard et al. (2019). ViEWS: A political violence early-warning system. "
        "Journal of Peace Research 56(2): 155-174.",
        "Hegre, Håvard et al. (2025). The 2023/24 VIEWS Prediction Challenge: Predicting "
        "the Number of Fatalities in Armed Conflict, with Uncertainty. Journal of Peace "
        "Research.",
    ),
}
_CITED_BY = {
    "ged": ("ucdp",),
    "ged_candidate": ("ucdp",),
    "acled": ("acled",),
    "acled-hdx": ("acled",),
    "geopko_frontmap": ("geopko",),
    "geopko_full": ("geopko",),
    "views-cm": ("ucdp", "views"),  # VIEWS's country-month totals are UCDP GED counts
}


def citations(sources: Iterable[str], forecast: bool) -> list[str]:
    """References of the store ``sources`` a briefing uses (and VIEWS's, for a ``forecast``).

    Examples
    --------
    >>> [c.split(",")[0] for c in citations(["acled"], forecast=False)]
    ['Raleigh']
    """
    keys = {key for s in sources for key in _CITED_BY.get(s, ())}
    if forecast:
        keys.add("views")
    return [c for key in CITATIONS if key in keys for c in CITATIONS[key]]
