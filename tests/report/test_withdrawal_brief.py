"""Briefings on the withdrawal window: ACLED's HDX aggregates after the event data end,
the 2023-closure impact run and its per-base table, data currency, nothing from later.

The briefing store of ``conftest`` (ACLED events 2019-2020, MINUSMA's base at Gao, a
country-month panel, forecasts made in June 2020) is copied without its impact runs
and alerts, then given cercle-month aggregates for Mali to December 2024, two impact
runs (the 2014-2019 closures on event data to 2020, and the 2023 closures on the
aggregates to 2024), forecasts made in December 2024 and February 2025, and alerts
around December 2024.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import Forecast, store_forecast
from sentinelle.geo import month_id
from sentinelle.i18n import translator
from sentinelle.impact import ImpactResult, store_impact
from sentinelle.impact.bases import BASE_COLUMNS
from sentinelle.impact.results import EFFECT_COLUMNS
from sentinelle.jobs.brief import last_complete_month
from sentinelle.report import Brief, collect_brief, render_html
from sentinelle.report.collect import _why_not, latest_complete_month
from sentinelle.report.render import closure_text, day_text
from sentinelle.sources.closures import load_closures
from sentinelle.store import open_store
from tests.report.conftest import MLI

DEC_2024 = month_id(2024, 12)
# What the curated closure table says of Mopti/Sévaré (its English, as runs store it).
MOPTI_EVENT = (
    "main camp handed over on a Friday in early December (annexes OPAM and Office du Riz "
    "handed over 2023-11-22)"
)
# Two cercles of two regions (names as ACLED writes them on HDX), and their deaths.
CERCLES = [("ML0802", "Kidal", "ML08", "Kidal"), ("ML0506", "Mopti", "ML05", "Mopti")]


def _aggregates(con: object) -> None:
    """Political violence by cercle and month, Mali, January 2019 - December 2024."""
    rows = []
    for m in range(month_id(2019, 1), DEC_2024 + 1):
        for k, (pcode, name, a1, a1name) in enumerate(CERCLES):
            deaths = (m % 5) + 10 * k  # Mopti: 10 more each month
            rows.append(("acled-hdx", "political_violence", None, "MLI", 2, pcode, name, a1,
                         a1name, m, 2 + k, deaths, 99))  # fmt: skip
    con.executemany(  # type: ignore[attr-defined]
        "INSERT INTO admin_aggregates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def _effects(rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame([["MINUSMA", "fatalities", *r] for r in rows], columns=EFFECT_COLUMNS)


def _bases(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=BASE_COLUMNS)


def _run(con: object, **kwargs: object) -> None:
    defaults: dict[str, object] = {
        "mission": "MINUSMA", "outcome": "fatalities", "timeline": pd.DataFrame(),
        "units": gpd.GeoDataFrame(), "event_study": pd.DataFrame(),
    }  # fmt: skip
    store_impact(con, ImpactResult(**{**defaults, **kwargs}))  # type: ignore[arg-type]


def _old_run(con: object) -> None:
    """The 2014-2019 closures, on event data to October 2020 (cells)."""
    _run(
        con, unit="pgm", radii_km=(25.0, 50.0), event_source="acled",
        months=range(month_id(2012, 1), month_id(2020, 10) + 1), labels=("0-25 km", "25-50 km"),
        effects=_effects([["callaway_santanna", 0, "0-25 km", 0.77, 0.2, 0.37, 1.17, 0.01, 2,
                           90, 1.0, 0.4]]),
        bases=_bases([
            {"base": "Dyabali", "closure_date": dt.date(2014, 12, 31), "date_precision": "year",
             "cohort_month": month_id(2015, 1), "outcome": "fatalities"},
            {"base": "Gossi", "closure_date": dt.date(2019, 12, 31), "date_precision": "year",
             "cohort_month": month_id(2020, 1), "outcome": "fatalities"},
        ]),
    )  # fmt: skip


def _new_run(con: object) -> None:
    """The 2023 closures, on cercle aggregates to December 2024."""
    base = {"outcome": "fatalities", "months_after": 12, "date_precision": "day"}
    _run(
        con, unit="admin2", radii_km=(0.0, 1.0), event_source="acled-hdx", country="MLI",
        months=range(month_id(2019, 10), DEC_2024 + 1),
        labels=("host unit", "neighbouring units"),
        effects=_effects([
            ["callaway_santanna", 0, "host unit", -5.26, 5.5, -16.15, 5.62, 0.34, 7, 29, 0.5,
             0.718],
            ["did2s", 0, "host unit", -1.59, 4.4, -10.16, 6.97, 0.72, 7, 29, 0.5, 0.718],
            ["placebo_minus_24m", 0, "host unit", 6.94, 4.1, -1.08, 14.97, 0.09, 7, 29, None, None],
            ["callaway_santanna", 1, "neighbouring units", 2.92, 3.5, -3.88, 9.72, 0.4, 9, 31,
             0.4, 0.809],
        ]),
        bases=_bases([
            {**base, "base": "Kidal", "unit_name": "Kidal", "closure_date": dt.date(2023, 10, 31),
             "cohort_month": month_id(2023, 11), "taken_over_by": "CSP",
             "what_happened": "last personnel left by air and road; CSP took control of the camp",
             "before_12m": 21.0, "after_12m": 205.0},
            {**base, "base": "Mopti/Sevare", "unit_name": "Mopti",
             "closure_date": dt.date(2023, 12, 1), "date_precision": "month",
             "cohort_month": month_id(2024, 1), "what_happened": MOPTI_EVENT,
             "before_12m": 223.0, "after_12m": 151.0},
        ]),
    )  # fmt: skip


def _alerts_and_forecasts(con: object) -> None:
    rows = [
        ("acled_hdx_conflict", "country", "MLI", "2024-12", 2, 321.0, 100.0, "{}"),
        # After the briefing month, or from a forecast made after it: never shown.
        ("acled_hdx_conflict", "country", "MLI", "2025-01", 2, 400.0, 100.0, "{}"),
        ("forecast_exceedance", "country", "MLI", "2025-03", 2, 0.9, 0.5,
         '{"min_fatalities": 25, "origin": "2025-02"}'),
        ("forecast_exceedance", "country", "MLI", "2025-01", 1, 0.6, 0.5,
         '{"min_fatalities": 25, "origin": "2024-12"}'),
    ]  # fmt: skip
    con.executemany(  # type: ignore[attr-defined]
        "INSERT INTO alerts (rule, unit_type, unit_id, period, level, value, threshold, "
        "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    rng = np.random.default_rng(5)
    for origin in (DEC_2024, month_id(2025, 2)):
        draws = rng.poisson(40, (1, 6, 100)).astype(np.int32)
        store_forecast(con, Forecast("negbin", "ged_sb", origin, np.array([MLI]),  # type: ignore[arg-type]
                                     np.arange(1, 7), draws, "test-v2"), unit="cm")  # fmt: skip


def _copy(store: Path, folder: Path, *, new_run: bool) -> Path:
    path = folder / ("new.duckdb" if new_run else "old.duckdb")
    shutil.copy(store, path)
    con = open_store(path)
    for table in ("impact_runs", "impact_effects", "impact_event_study", "impact_bases", "alerts"):
        con.execute(f"DELETE FROM {table}")
    _aggregates(con)
    _old_run(con)
    if new_run:
        _new_run(con)
        _alerts_and_forecasts(con)
    con.close()
    return path


@pytest.fixture(scope="module")
def stores(store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("withdrawal")
    return {"old": _copy(store, folder, new_run=False), "new": _copy(store, folder, new_run=True)}


def _brief(path: Path, month: str | None = None) -> Brief:
    con = open_store(path, read_only=True)
    try:
        return collect_brief(con, "MLI", month or last_complete_month(con, "MLI"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def december(stores: dict[str, Path]) -> tuple[Brief, str, str]:
    brief = _brief(stores["new"])
    # Compared as a reader sees them (the template escapes the apostrophe of "jusqu'à").
    return brief, html.unescape(render_html(brief, "en")), html.unescape(render_html(brief, "fr"))


def test_default_month_is_the_latest_complete_month(stores: dict[str, Path]) -> None:
    con = open_store(stores["new"], read_only=True)
    # Events end in December 2020 (their complete month: November); aggregates in 2024.
    assert latest_complete_month(con, "MLI") == DEC_2024
    assert last_complete_month(con, "MLI") == "2024-12"
    con.close()
    empty = open_store(":memory:")
    assert latest_complete_month(empty, "MLI") is None
    _aggregates(empty)
    empty.execute("DELETE FROM admin_aggregates WHERE month_id > ?", [month_id(2024, 6)])
    assert last_complete_month(empty, "MLI") == "2024-06"


def test_key_numbers_and_areas_come_from_the_aggregates(december: tuple[Brief, str, str]) -> None:
    brief, en, fr = december
    assert brief.month == DEC_2024 and not brief.covered
    assert (brief.key_origin, brief.trend_origin) == ("aggregates", "aggregates")
    deaths = (DEC_2024 % 5) * 2 + 10  # Kidal's and Mopti's
    assert brief.key_numbers.loc["fatalities", "current"] == deaths
    assert brief.key_numbers.loc["events", "current"] == 5
    assert brief.key_numbers.loc["fatalities", "year_ago"] == ((DEC_2024 - 12) % 5) * 2 + 10
    assert np.isnan(brief.key_numbers.loc["state_based", "current"])
    assert brief.areas["name"].tolist() == ["Mopti", "Kidal"]  # most deaths first
    assert brief.regions["name"].tolist() == ["Mopti", "Kidal"]
    year = sum((m % 5) + 10 for m in range(DEC_2024 - 11, DEC_2024 + 1))
    assert brief.areas.loc[0, "fatalities_12m"] == year
    assert brief.trends["month_id"].nunique() == 36
    assert "come from the monthly aggregates of ACLED (HDX)" in en
    assert "political_violence" not in en
    assert "without a split by type of violence or by perpetrator" in en
    assert "name no perpetrator" in en
    assert "<th>Cercle</th>" in en and "<th>Cercle</th>" in fr


def test_currency_line_in_both_languages(december: tuple[Brief, str, str]) -> None:
    brief, en, fr = december
    assert {s.source for s in brief.currency} >= {"acled-hdx", "geopko_frontmap"}
    assert "acled" not in {s.source for s in brief.currency}  # the events were not used
    assert "ACLED (HDX) to December 2024" in en
    assert "ACLED (HDX) jusqu'à décembre 2024" in fr
    assert "geopko_frontmap" not in en and "geopko_frontmap" not in fr


def test_impact_of_the_2023_closures_with_its_bases(december: tuple[Brief, str, str]) -> None:
    brief, en, fr = december
    assert brief.impact is not None and brief.impact.run["event_source"] == "acled-hdx"
    assert brief.withdrawal == (month_id(2023, 8), month_id(2023, 12))  # curated table
    assert "-5.26" in en and "-16.15 to 5.62" in en and "0.718" in en
    assert "2.92" in en and "6.94" in en  # neighbours and placebo
    assert "host unit" in en and "neighbouring units" in en
    # Per-base rows: month-precision dates as months, days as days; takeovers as given.
    for text in ("Mopti/Sevare", "December 2023", "31 October 2023", "CSP", "205", "223"):
        assert text in en, text
    assert "1 December 2023" not in en
    assert "décembre 2023" in fr and "31 octobre 2023" in fr
    assert "1 décembre 2023" not in fr and "1er décembre 2023" not in fr
    assert "0.77" not in en  # the 2014-2019 run is not the withdrawal of 2024-12


def test_closure_texts_are_in_the_readers_language(december: tuple[Brief, str, str]) -> None:
    _, en, fr = december
    table = load_closures().set_index("base")
    for base in ("Kidal", "Mopti/Sévaré"):
        assert table.loc[base, "event"] in en
        assert table.loc[base, "event_fr"] in fr, base
    for column in ("event", "taken_over_by", "note"):
        for english in table[column].dropna():
            if english not in ("CSP", "FAMa"):  # names stay as they are
                assert english not in fr, english
    assert "(en anglais dans la source)" not in fr  # every text has its French
    assert "<td>CSP</td>" in fr


def test_a_mismatched_run_is_not_shown_as_the_withdrawal(stores: dict[str, Path]) -> None:
    brief = _brief(stores["old"], "2023-10")
    assert brief.impact is None and brief.impact_withheld is not None
    assert brief.impact_withheld["reason"] == "short"
    en, fr = render_html(brief, "en"), render_html(brief, "fr")
    assert "0.77" not in en and "Compared with matched areas" not in en
    assert "closures from December 2014 to December 2019" in en
    assert "its data end before the closures of August 2023 to October 2023" in en
    assert "0,77" not in fr
    # With the 2023 run in the store, October 2023 shows it and says its data go on.
    later = _brief(stores["new"], "2023-10")
    assert later.impact is not None and later.impact.run["event_source"] == "acled-hdx"
    assert "later than the month of this briefing" in render_html(later, "en")


def test_why_a_run_is_not_shown() -> None:
    run = {"first_month": 400, "last_month": 490, "closures": [420, 479]}
    assert _why_not(run, [523, 527], 528) == "short"
    assert _why_not({**run, "closures": [530, 531]}, [], 528) == "later"
    assert _why_not({**run, "last_month": 540}, [523, 527], 528) == "other"
    assert _why_not({**run, "last_month": 540, "closures": [523]}, [523, 527], 528) is None
    assert _why_not({**run, "closures": []}, [], 528) is None


def test_no_alert_or_forecast_from_after_the_month(december: tuple[Brief, str, str]) -> None:
    brief = december[0]
    assert sorted((a["rule"], a["period"]) for a in brief.alerts) == [
        ("acled_hdx_conflict", "2024-12"), ("forecast_exceedance", "2025-01")]  # fmt: skip
    assert brief.forecast_run is not None and brief.forecast_run["origin"] == DEC_2024
    assert brief.latest_forecast_origin == month_id(2025, 2)
    assert brief.forecast["month_id"].min() == DEC_2024 + 1


def test_dates_as_an_analyst_writes_them() -> None:
    fr, en = translator("fr"), translator("en")
    assert day_text(dt.date(2026, 12, 1), fr) == "1er décembre 2026"
    assert day_text(dt.date(2026, 12, 1), en) == "1 December 2026"
    assert closure_text(pd.Timestamp("2023-12-01"), "month", fr) == "décembre 2023"
    assert closure_text(pd.Timestamp("2019-12-31"), "year", fr) == "2019"
    assert closure_text(None, "day", fr) == "\u2013"
