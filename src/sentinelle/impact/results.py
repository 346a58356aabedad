"""What a withdrawal-impact analysis produces, as plain types, and how an effect is written.

Every impact module speaks these types, so none needs another's:

- :class:`EventStudy`, :class:`PretrendTest`, :class:`SynthResult`: the output of one
  estimator function on one panel.
- :class:`ImpactResult`: everything one :func:`~sentinelle.impact.run.run_impact` call
  estimated; its ``effects`` table has the columns :data:`EFFECT_COLUMNS` and its
  ``event_study`` :data:`EVENT_STUDY_COLUMNS`.
- :class:`StoredImpact`: a run read back from the store.
- :func:`effect_strings`: an estimate and its interval as a reader sees them, in one
  language; every page, report and briefing that states an effect writes it this way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from sentinelle.i18n import Translator

__all__ = [
    "EFFECT_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "MISSING",
    "EventStudy",
    "ImpactResult",
    "PretrendTest",
    "StoredImpact",
    "SynthResult",
    "effect_strings",
]

EFFECT_COLUMNS = [
    "mission",
    "outcome",
    "estimator",
    "ring",
    "ring_label",
    "estimate",
    "se",
    "lower",
    "upper",
    "p_value",
    "n_treated",
    "n_units",
    "pretrend_f",
    "pretrend_p",
]
# The path of one estimator on one panel, and the same rows tagged with their origin.
EVENT_COLUMNS = ["rel_month", "estimate", "se", "lower", "upper"]
EVENT_STUDY_COLUMNS = ["estimator", "ring", *EVENT_COLUMNS]

# An en dash, shown for a value an estimator does not give (a synthetic control's interval).
MISSING = "\u2013"


@dataclass(frozen=True)
class EventStudy:
    """Overall effect and event-study path from one DiD estimator.

    Attributes
    ----------
    estimator : str
        ``'callaway_santanna'`` or ``'did2s'``.
    att, se, lower, upper : float
        Average effect on treated unit-months after treatment (within the event
        window for did2s, all post months for Callaway-Sant'Anna), its standard
        error and confidence interval.
    event : pandas.DataFrame
        Columns ``rel_month`` (0 = first treated month), ``estimate``, ``se``,
        ``lower``, ``upper``; leads and lags within the window.
    n_treated, n_units : int
        Treated units and all units in the estimation sample.
    """

    estimator: str
    att: float
    se: float
    lower: float
    upper: float
    event: pd.DataFrame
    n_treated: int
    n_units: int


@dataclass(frozen=True)
class PretrendTest:
    """Joint test that treated units' pre-treatment months follow the control trend.

    Attributes
    ----------
    f_stat : float
        Wald statistic scaled to an F (Hotelling small-sample correction).
    df1, df2 : int
        Numerator (lead bins tested) and denominator degrees of freedom.
    p_value : float
        ``P(F(df1, df2) >= f_stat)``.
    leads : pandas.DataFrame
        ``bin_start`` (first month of the bin, e.g. -24), ``bin_end``, ``estimate``,
        ``se``: the binned lead coefficients.
    """

    f_stat: float
    df1: int
    df2: int
    p_value: float
    leads: pd.DataFrame


@dataclass(frozen=True)
class SynthResult:
    """Synthetic control of one treated series with in-space placebo inference.

    Attributes
    ----------
    att : float
        Mean gap (treated minus synthetic) over the post months used.
    pre_rmspe, post_rmspe : float
        Root mean squared gap before and after treatment.
    p_value : float
        Share of units (placebos and the treated one) whose post/pre RMSPE ratio is
        at least the treated one's: ``rank / (n_placebos + 1)``.
    n_donors : int
        Donor units (= placebos run).
    path : pandas.DataFrame
        ``month``, ``treated``, ``synthetic``, ``gap`` over the whole period.
    weights : pandas.Series
        Donor weights (summing to one), indexed by donor unit id.
    """

    att: float
    pre_rmspe: float
    post_rmspe: float
    p_value: float
    n_donors: int
    path: pd.DataFrame
    weights: pd.Series


@dataclass
class ImpactResult:
    """Everything one :func:`~sentinelle.impact.run.run_impact` call estimated, as plain tables.

    Attributes
    ----------
    mission, outcome, unit : str
        What was analysed.
    radii_km : tuple of float
        Ring edges.
    months : range
        Study window (month ids).
    timeline : pandas.DataFrame
        The base timeline used (:func:`~sentinelle.impact.timeline.base_timeline`).
    units : geopandas.GeoDataFrame
        Units with ``ring``, ``cohort``, ``base``, ``role`` ('treated', 'control',
        'dropped') and ``matched`` (control kept by matching).
    effects : pandas.DataFrame
        One row per estimator and ring (``EFFECT_COLUMNS``): DiD estimates with
        confidence intervals, the placebo, and synthetic controls (``estimator`` =
        ``'synth:<base>'``, placebo rank p-value, no interval).
    event_study : pandas.DataFrame
        ``EVENT_STUDY_COLUMNS``: ``estimator, ring, rel_month, estimate, se, lower, upper``.
    synth_paths : dict of str to pandas.DataFrame
        Treated and synthetic series per base.
    event_source : str or None
        Event source read from the store, None when events were passed in.
    notes : list of str
        What was skipped and why.
    runtime_s : float
        Wall time of the run.
    labels : tuple of str
        Ring labels ('0-25 km', ... or 'host unit', 'neighbouring units').
    bases : pandas.DataFrame
        One row per closed base with treated units (:data:`BASE_COLUMNS`): what the
        closure table says happened, the outcome before and after in its host unit
        and, where one ran, its synthetic counterfactual.
    country : str or None
        ISO3 code when the analysis was limited to one country's bases.
    """

    mission: str
    outcome: str
    unit: str
    radii_km: tuple[float, ...]
    months: range
    timeline: pd.DataFrame
    units: gpd.GeoDataFrame
    effects: pd.DataFrame
    event_study: pd.DataFrame
    synth_paths: dict[str, pd.DataFrame] = field(default_factory=dict)
    event_source: str | None = None
    notes: list[str] = field(default_factory=list)
    runtime_s: float = 0.0
    labels: tuple[str, ...] = ()
    bases: pd.DataFrame = field(default_factory=pd.DataFrame)
    country: str | None = None


@dataclass(frozen=True)
class StoredImpact:
    """A stored impact run: its parameters (``run``), ``effects``, ``event_study`` and
    per-base table (``bases``)."""

    run: dict[str, Any]
    effects: pd.DataFrame
    event_study: pd.DataFrame
    bases: pd.DataFrame = field(default_factory=pd.DataFrame)


def _given(value: object) -> bool:
    """Whether ``value`` is a number to show (not None, NaN or NA)."""
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def effect_strings(
    row: Mapping[str, Any] | pd.Series, t: Translator, digits: int = 2, *, signed: bool = False
) -> dict[str, str]:
    """``estimate``, ``lower``, ``upper`` and ``interval`` of an effect row, as text.

    Numbers are in the locale's style of ``t``; the interval reads "lower to upper"
    in its language. A value the row lacks (None or NaN: a synthetic control has no
    interval) is shown as :data:`MISSING`, and so is the interval when either bound
    is. The mapping fills the ``%(estimate)s``-style placeholders of the messages.

    Parameters
    ----------
    row : mapping or pandas.Series
        An effects row (of a DataFrame, or a dict) with ``estimate``, ``lower``
        and ``upper``.
    t : Translator
        Language of the text.
    digits : int, default 2
        Decimals shown.
    signed : bool, default False
        Give increases of the estimate the locale's plus sign, as for a change.

    Examples
    --------
    >>> from sentinelle.i18n import translator
    >>> effect_strings({"estimate": 1.234, "lower": -0.5, "upper": 3.0}, translator("fr"))
    {'estimate': '1,23', 'lower': '-0,50', 'upper': '3,00', 'interval': '-0,50 à 3,00'}
    >>> synth = effect_strings({"estimate": 2.0, "lower": None, "upper": None},
    ...                        translator("en"), 3, signed=True)
    >>> synth["estimate"], synth["interval"] == MISSING
    ('+2.000', True)
    """
    text = {}
    for key in ("estimate", "lower", "upper"):
        value = row[key]
        if not _given(value):
            text[key] = MISSING
        elif key == "estimate" and signed:
            text[key] = t.signed(float(value), digits)
        else:
            text[key] = t.number(float(value), digits)
    bounded = _given(row["lower"]) and _given(row["upper"])
    text["interval"] = f"{text['lower']} {t.gettext('to')} {text['upper']}" if bounded else MISSING
    return text
