"""The closure table's texts in the reader's language: French columns beside the
English, read by :func:`sentinelle.sources.closures.closure_wording` wherever the texts
are shown (briefings: ``tests/report/test_withdrawal_brief.py``; impact summaries here).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sentinelle.errors import UsageError
from sentinelle.geo import month_id
from sentinelle.impact import ImpactResult
from sentinelle.impact.bases import BASE_COLUMNS
from sentinelle.impact.report import summary
from sentinelle.impact.results import EFFECT_COLUMNS
from sentinelle.sources.closures import TEXT_COLUMNS, closure_wording, load_closures

# Words of the English texts that a French text never holds.
ENGLISH = re.compile(
    r"\b(the|camp closed|closed|handed|left|withdrawal|after|last|official|completed|of|"
    r"and|day|see|source says|coordinates from|took)\b"
)
# Names (bases, towns, armed forces, groups, offices) that stay as they are.
NAMES = re.compile(r"\b(?:[A-Z][A-Za-z]*[A-Z][A-Za-z]*|Geo-PKO FrontMap v2\.3|Office du Riz)\b")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_closures()


def test_every_text_has_its_french(table: pd.DataFrame) -> None:
    for column in TEXT_COLUMNS:
        english, french = table[column], table[f"{column}_fr"]
        assert (english.isna() == french.isna()).all(), column
        for en, fr in zip(english.dropna(), french.dropna(), strict=True):
            assert not ENGLISH.search(fr.replace("(en anglais dans la source)", "")), fr
            # The names of the English text are kept (CSP, FAMa, OPAM, ORTM...).
            assert set(NAMES.findall(en)) <= set(NAMES.findall(fr)), (en, fr)
            if column != "taken_over_by":  # who took a site may be a name (CSP, FAMa)
                assert fr != en, en
    # Names of groups and forces are not translated; roles are.
    takers = dict(
        zip(table["taken_over_by"].dropna(), table["taken_over_by_fr"].dropna(), strict=True)
    )
    assert takers["CSP"] == "CSP" and takers["FAMa"] == "FAMa"
    assert takers["the prefect"] == "le préfet"


def test_quoted_english_words_stay_english_and_are_marked(table: pd.DataFrame) -> None:
    notes = table.set_index("base")["note_fr"]
    assert "«\u00a0respectively\u00a0» (en anglais dans la source)" in notes["Tessalit"]
    assert "«\u00a0Thursday\u00a0» (en anglais dans la source)" in notes["Tombouctou (Timbuktu)"]
    # A French quotation stays French.
    assert "«\u00a0trois jours plus tard\u00a0»" in notes["Goundam"]


def test_sources_and_names_are_unchanged(table: pd.DataFrame) -> None:
    assert table["source"].str.startswith("https://").all()
    assert "Mopti/Sévaré" in set(table["base"]) and "Ménaka" in set(table["base"])


def test_closure_wording_by_language(table: pd.DataFrame) -> None:
    kidal = table.set_index("base").loc["Kidal"]
    assert closure_wording(kidal["event"], "fr") == kidal["event_fr"]
    assert closure_wording(kidal["event"], "en") == kidal["event"]
    assert closure_wording(f"  {kidal['event']} ", "fr") == kidal["event_fr"]
    assert closure_wording("the prefect", "fr", "taken_over_by") == "le préfet"
    assert closure_wording(None, "fr") is None and closure_wording(float("nan"), "fr") is None
    # A text the table has no French for (an older table's) is marked as English.
    old = "camp handed over to the army"
    assert closure_wording(old, "fr") == f"«\u00a0{old}\u00a0» (en anglais dans la source)"
    assert closure_wording(old, "en") == old


def test_a_table_with_an_untranslated_row_is_refused(table: pd.DataFrame, tmp_path: Path) -> None:
    broken = table.drop(columns="closure_month").copy()
    broken["closure_date"] = broken["closure_date"].dt.strftime("%Y-%m-%d")
    broken.loc[3, "event_fr"] = None
    path = tmp_path / "closures.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(UsageError, match=r"closures.csv line 5 \(Douentza\): event has no French"):
        load_closures(str(path))
    # A table of one's own without French columns is read as before.
    broken.drop(columns=["event_fr", "taken_over_by_fr", "note_fr"]).to_csv(path, index=False)
    assert len(load_closures(str(path))) == len(table)


def _result(table: pd.DataFrame) -> ImpactResult:
    """An admin-unit run whose per-base table carries the closure table's English."""
    rows = table[table["base"].isin(["Kidal", "Ansongo", "Douentza"])]
    bases = pd.DataFrame(
        {
            "base": rows["geopko_location"],
            "unit_name": rows["base"],
            "closure_date": [dt.date(d.year, d.month, d.day) for d in rows["closure_date"]],
            "what_happened": rows["event"],
            "taken_over_by": rows["taken_over_by"],
            "before_12m": 10.0,
            "after_12m": 20.0,
        }
    ).reindex(columns=BASE_COLUMNS)
    units = gpd.GeoDataFrame(
        {
            "role": ["treated"] * 3,
            "base": list(rows["geopko_location"]),
            "cohort": month_id(2023, 11),
        }
    )
    effects = pd.DataFrame(
        [["MINUSMA", "fatalities", "callaway_santanna", 0, "host unit", 1.0, 0.5, 0.1, 1.9,
          0.04, 3, 40, 0.5, 0.6]],
        columns=EFFECT_COLUMNS,
    )  # fmt: skip
    return ImpactResult(
        mission="MINUSMA", outcome="fatalities", unit="admin2", radii_km=(0.0, 1.0),
        months=range(month_id(2021, 1), month_id(2024, 12) + 1), timeline=pd.DataFrame(),
        units=units, effects=effects, event_study=pd.DataFrame(),
        labels=("host unit", "neighbouring units"), bases=bases,
    )  # fmt: skip


def test_french_impact_summary_has_no_english_closure_text(table: pd.DataFrame) -> None:
    result = _result(table)
    fr, en = summary(result, "fr"), summary(result, "en")
    for column in ("event", "taken_over_by"):
        for english in table[column].dropna():
            assert english not in fr or english in ("CSP", "FAMa"), english
    chosen = table[table["base"].isin(["Kidal", "Ansongo", "Douentza"])]
    for french in (*chosen["event_fr"], "le préfet", "représentant civil de l\u2019État"):
        assert french in fr, french
    for english in chosen["event"]:
        assert english in en
    assert "NaN" not in fr and "NaN" not in en  # no synthetic control: the missing mark
