"""The curated closure table: peacekeeping base closures dated from public reporting.

Geo-PKO maps deployments once a year, so a closure it shows is known to the year. The
table shipped as ``sentinelle/sources/data/closures.csv`` dates closures more finely
where public reporting does (MINUSMA's 2023 handovers), one row per base, each with the
sources its date comes from, what they say happened to the site (``event``) and, only
where a source names it, who took the site over (``taken_over_by``). Impact designs
(:mod:`sentinelle.impact.timeline`) and panels' peacekeeping features read it here.

Its texts (``event``, ``taken_over_by``, ``note``) are written in English, each with a
faithful French translation in the column of the same name ending in ``_fr`` (the
same facts, nothing added; names of bases, towns and armed groups as they are; a word
the source wrote in English and the note quotes stays in English, marked so).
:func:`closure_wording` gives a reader the text in their language.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from sentinelle.errors import UsageError
from sentinelle.geo import month_id
from sentinelle.i18n import N_, Lang, translator

__all__ = ["TEXT_COLUMNS", "closure_wording", "load_closures"]

# Text columns of the table, written in English; each has its French in "<column>_fr".
TEXT_COLUMNS = ("event", "taken_over_by", "note")
# A text of the table with no French (a run stored from an older table), marked as
# quoted in English.
_IN_ENGLISH = N_("%(text)s (in English in the source)")


def load_closures(path: str | None = None) -> pd.DataFrame:
    """Read a curated closure table (by default the one shipped with Sentinelle).

    Parameters
    ----------
    path : str, optional
        A CSV with columns ``mission, base, geopko_location, latitude, longitude,
        closure_date, date_precision, source`` (more columns are kept). Dates are
        ``YYYY-MM-DD`` (``date_precision = 'day'``) or ``YYYY-MM`` (``'month'``).

    Returns
    -------
    pandas.DataFrame
        One row per base; ``closure_date`` parsed to the first day of the period it
        names, plus ``closure_month`` (the VIEWS month id of the closure).

    Raises
    ------
    UsageError
        If a row lacks a date, coordinates or a source: the table's promise is that
        every date carries its citation; or, in a table with French columns, if a
        row has an English text without its French.

    Examples
    --------
    >>> closures = load_closures()
    >>> closures.loc[closures["base"] == "Kidal", "closure_date"].dt.date.tolist()
    [datetime.date(2023, 10, 31)]
    """
    if path is None:
        with resources.files("sentinelle.sources").joinpath("data/closures.csv").open() as fh:
            table = pd.read_csv(fh, dtype={"closure_date": str})
    else:
        table = pd.read_csv(path, dtype={"closure_date": str})
    required = ["mission", "base", "latitude", "longitude", "closure_date", "source"]
    missing = [c for c in [*required, "geopko_location", "date_precision"] if c not in table]
    if missing:
        raise UsageError(f"closure table lacks columns {missing}")
    incomplete = table[table[required].isna().any(axis=1)]
    if not incomplete.empty:
        raise UsageError(f"closure rows without date, coordinates or source: {incomplete['base']}")
    _check_french(table, path or "closures.csv")
    table["closure_date"] = pd.to_datetime(table["closure_date"], format="mixed")
    table["closure_month"] = month_id(
        table["closure_date"].dt.year.to_numpy(), table["closure_date"].dt.month.to_numpy()
    )
    return table


def _check_french(table: pd.DataFrame, name: str) -> None:
    """Every English text of a table that has French columns has its French."""
    for column in TEXT_COLUMNS:
        french = f"{column}_fr"
        if column not in table or french not in table:
            continue
        lacking = table[table[column].notna() & table[french].isna()]
        if not lacking.empty:
            row = int(lacking.index[0]) + 2  # the header is line 1
            raise UsageError(
                f"{name} line {row} ({lacking['base'].iloc[0]}): {column} has no French ({french})"
            )


@cache
def _french() -> dict[tuple[str, str], str]:
    """The shipped table's French texts, by column and English text."""
    table = load_closures()
    found: dict[tuple[str, str], str] = {}
    for column in TEXT_COLUMNS:
        french = f"{column}_fr"
        if column not in table or french not in table:
            continue
        for english, text in zip(table[column], table[french], strict=True):
            if isinstance(english, str) and isinstance(text, str):
                found[(column, english.strip())] = text
    return found


def closure_wording(text: object, lang: Lang, column: str = "event") -> str | None:
    """A text of the closure table (``column``: ``event``, ``taken_over_by``, ``note``)
    in ``lang``; None where it is empty.

    ``text`` is the English the table writes (what an impact run stores in its
    per-base table). In French, its French from the shipped table; an English text
    the table has no French for (a run stored from an older table) is given as it is,
    marked as quoted in English.

    Examples
    --------
    >>> closure_wording("camp closed three days after Ber", "fr")
    'camp fermé trois jours après Ber'
    >>> closure_wording("the prefect", "fr", "taken_over_by")
    'le préfet'
    >>> closure_wording("CSP", "fr", "taken_over_by"), closure_wording(None, "fr")
    ('CSP', None)
    >>> closure_wording("camp closed three days after Ber", "en")
    'camp closed three days after Ber'
    """
    if text is None or pd.isna(text) or str(text).strip() == "":  # type: ignore[call-overload]
        return None
    english = str(text).strip()
    if lang == "en":
        return english
    french = _french().get((column, english))
    if french is not None:
        return french
    return translator(lang).gettext(_IN_ENGLISH) % {"text": english}
