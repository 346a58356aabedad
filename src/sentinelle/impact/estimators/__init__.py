"""Estimators of the effect of a base closure, one module each, behind one interface.

:data:`ESTIMATORS` holds every estimator :func:`~sentinelle.impact.run.run_impact`
runs, in order; each implements :class:`~sentinelle.impact.estimators.base.Estimator`
(``name``, ``label``, ``estimate(design)``). A plug-in adds itself with
``ESTIMATORS.register(name, estimator)``.

- :mod:`.callaway_santanna`: Callaway & Sant'Anna (2021), the main estimator
  (:data:`MAIN_ESTIMATOR`: the one summaries state and scenarios use).
- :mod:`.did2s`: the two-stage DiD of Gardner (2022), the check on the main
  estimate (:data:`CHECK_ESTIMATOR`).
- :mod:`.placebo`: the main estimator with closures moved 24 months earlier
  (:data:`PLACEBO_ESTIMATOR`).
- :mod:`.synthetic`: synthetic controls of the largest closed bases.
- :mod:`.pretrend`, :mod:`.matching`: the pre-trend test and control matching the
  estimators share.

The estimator functions (:func:`callaway_santanna`, :func:`gardner_did2s`, ...) take
plain long panels and are exported here too.

Examples
--------
>>> list(ESTIMATORS)
['callaway_santanna', 'did2s', 'placebo_minus_24m', 'synth']
>>> from sentinelle.i18n import translator
>>> estimator_label(CHECK_ESTIMATOR, translator("fr"))
'Doubles différences en deux étapes'
>>> estimator_label("synth:Kidal", translator("en"))
'Synthetic control'
"""

from __future__ import annotations

from sentinelle.i18n import Translator
from sentinelle.impact.estimators.base import Estimates, Estimator
from sentinelle.impact.estimators.callaway_santanna import CALLAWAY_SANTANNA, callaway_santanna
from sentinelle.impact.estimators.did2s import DID2S, gardner_did2s
from sentinelle.impact.estimators.matching import match_controls
from sentinelle.impact.estimators.placebo import Placebo, placebo_panel
from sentinelle.impact.estimators.pretrend import pretrend_test
from sentinelle.impact.estimators.synthetic import SyntheticControl, synthetic_control
from sentinelle.registry import Registry

__all__ = [
    "CHECK_ESTIMATOR",
    "ESTIMATORS",
    "MAIN_ESTIMATOR",
    "PLACEBO_ESTIMATOR",
    "Estimates",
    "Estimator",
    "callaway_santanna",
    "estimator_label",
    "gardner_did2s",
    "get_estimator",
    "match_controls",
    "placebo_panel",
    "pretrend_test",
    "synthetic_control",
]

_BUILT_IN: tuple[Estimator, ...] = (CALLAWAY_SANTANNA, DID2S, Placebo(), SyntheticControl())
ESTIMATORS: Registry[Estimator] = Registry("impact estimator", {e.name: e for e in _BUILT_IN})
# The estimates summaries state: the main one, the estimator checking it, the placebo.
MAIN_ESTIMATOR = CALLAWAY_SANTANNA.name
CHECK_ESTIMATOR = DID2S.name
PLACEBO_ESTIMATOR = Placebo.name


def get_estimator(name: str) -> Estimator:
    """The registered estimator ``name`` (``UnknownNameError`` lists the valid ones)."""
    return ESTIMATORS[name]


def estimator_label(name: str, t: Translator) -> str:
    """What readers are told the estimator of an effects row is, in ``t``'s language.

    ``name`` is a registry name or the ``estimator`` column of a row: ``<name>:<detail>``
    is a row of estimator ``name`` (``synth:Kidal``, the synthetic control of Kidal).
    An unregistered name is shown as it is.
    """
    key = name if name in ESTIMATORS else name.partition(":")[0]
    return t.gettext(ESTIMATORS[key].label) if key in ESTIMATORS else name
