"""Subnational hotspots in the briefing: units with the highest expected deaths next
month and over the next 12 months, from a stored forecast by cercle (else by region).

The briefing store of ``conftest`` is copied and given cercle-month aggregates of Mali
to December 2024 and small stored forecasts (40 draws) on the ACLED HDX source: by
cercle for Mali made in December 2024 (the one to show), by cercle made in February
2025 (after the briefing month: never shown), by cercle for Burkina Faso (another
country), and by region for Mali made in June 2024 (shown only when no cercle forecast
fits the month).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import Forecast, store_forecast
from sentinelle.forecast.subnational import unit_meta
from sentinelle.geo import month_id
from sentinelle.i18n import translator
from sentinelle.report import Brief, collect_brief, render_html
from sentinelle.report.charts import draw_charts
from sentinelle.report.collect import TOP_HOTSPOTS
from sentinelle.store import open_store
from tests.report.conftest import MONTH

DEC_2024 = month_id(2024, 12)
JUN_2024 = month_id(2024, 6)
DRAWS = 40
# Cercles (P-code, name as in the OCHA boundary file, region as ACLED writes it on HDX).
CERCLES = [
    ("ML0504", "Bandiagara", "Mopti"),
    ("ML0802", "Kidal", "Kidal"),
    ("ML0403", "Niono", "Ségou"),
    ("ML0601", "Tombouctou", "Tombouctou"),
    ("ML0101", "Kayes", "Kayes"),
    ("ML0102", "Bafoulabé", "Kayes"),
    ("ML0103", "Diéma", "Kayes"),  # every draw zero: no hotspot
]


def _aggregates(con: object) -> None:
    rows = [
        ("acled-hdx", "political_violence", None, "MLI", 2, pcode, name, pcode[:4], region, m,
         1, 3, 99)
        for m in range(month_id(2022, 1), DEC_2024 + 1)
        for pcode, name, region in CERCLES
    ]  # fmt: skip
    con.executemany(  # type: ignore[attr-defined]
        "INSERT INTO admin_aggregates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def _cercle_draws() -> np.ndarray:
    """Draws (unit, horizon, draw): Kidal leads next month, Bandiagara over the year."""
    rng = np.random.default_rng(11)
    means = np.zeros((len(CERCLES), 12))
    means[0] = [5] + [60] * 11  # Bandiagara: quiet next month, then most deaths
    means[1] = [40] + [4] * 11  # Kidal: most deaths next month
    means[2:6] = np.array([[20], [10], [3], [1]])
    return rng.poisson(means[..., None], (len(CERCLES), 12, DRAWS)).astype(np.int32)


def _meta(country: str, units: list[tuple[str, str]]) -> dict[str, str]:
    panel = pd.DataFrame(
        {
            "unit_id": np.arange(1, len(units) + 1),
            "unit_code": [u[0] for u in units],
            "unit_name": [u[1] for u in units],
        }
    )
    return {"source": "acled-hdx", "countries": country, **unit_meta(panel)}


def _forecast(origin: int, draws: np.ndarray, meta: dict[str, str]) -> Forecast:
    ids = np.arange(1, draws.shape[0] + 1)
    horizons = np.arange(1, draws.shape[1] + 1)
    # One data version per country, as panels of two countries have: a run of the same
    # model, level, origin and version replaces the stored one.
    version = f"hdx-test-{meta['countries']}"
    return Forecast("negbin", "fatalities", origin, ids, horizons, draws, version, meta)


def _forecasts(con: object) -> None:
    cercles = [(c, n) for c, n, _ in CERCLES]
    store_forecast(con, _forecast(DEC_2024, _cercle_draws(), _meta("MLI", cercles)), "admin2")  # type: ignore[arg-type]
    # Made later, or for another country: huge numbers that must never show.
    huge = np.full((len(CERCLES), 12, DRAWS), 99999, dtype=np.int32)
    store_forecast(con, _forecast(month_id(2025, 2), huge, _meta("MLI", cercles)), "admin2")  # type: ignore[arg-type]
    store_forecast(con, _forecast(DEC_2024, huge[:2], _meta("BFA", cercles[:2])), "admin2")  # type: ignore[arg-type]
    regions = np.full((2, 12, DRAWS), 7, dtype=np.int32)
    regions[1] = 70
    meta = _meta("MLI", [("ML05", "Mopti"), ("ML08", "Kidal")])
    store_forecast(con, _forecast(JUN_2024, regions, meta), "admin1")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hotspot_store(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hotspots") / "store.duckdb"
    shutil.copy(store, path)
    con = open_store(path)
    _aggregates(con)
    _forecasts(con)
    con.close()
    return path


def _brief(path: Path, month: str) -> Brief:
    con = open_store(path, read_only=True)
    try:
        return collect_brief(con, "MLI", month)
    finally:
        con.close()


@pytest.fixture(scope="module")
def december(hotspot_store: Path) -> tuple[Brief, str, str]:
    brief = _brief(hotspot_store, "2024-12")
    return brief, html.unescape(render_html(brief, "en")), html.unescape(render_html(brief, "fr"))


def _expected(first: int, last: int) -> pd.DataFrame:
    """Mean, median and 90% interval of each cercle's deaths over horizons first..last."""
    totals = _cercle_draws()[:, first - 1 : last].sum(axis=1).astype(float)
    return pd.DataFrame(
        {
            "unit_name": [n for _, n, _ in CERCLES],
            "mean": totals.mean(axis=1),
            "median": np.quantile(totals, 0.5, axis=1),
            "q05": np.quantile(totals, 0.05, axis=1),
            "q95": np.quantile(totals, 0.95, axis=1),
        }
    )


def test_hotspots_come_from_the_forecast_made_up_to_the_month(
    december: tuple[Brief, str, str],
) -> None:
    brief = december[0]
    found = brief.hotspots
    assert found is not None and found.unit == "admin2"
    assert (
        int(found.run["origin"]) == DEC_2024 and json.loads(found.run["meta"])["countries"] == "MLI"
    )
    assert brief.hotspot_latest_origin == month_id(2025, 2)
    assert found.month == DEC_2024 + 1 and found.months == (DEC_2024 + 1, DEC_2024 + 12)
    for frame, (first, last) in ((found.next_month, (1, 1)), (found.year, (1, 12))):
        expected = _expected(first, last)
        expected = expected[expected["mean"] > 0].sort_values("mean", ascending=False)
        expected = expected.head(TOP_HOTSPOTS).reset_index(drop=True)
        assert frame["unit_name"].tolist() == expected["unit_name"].tolist()
        for column in ("mean", "median", "q05", "q95"):
            np.testing.assert_allclose(frame[column], expected[column], atol=1e-9)
        assert (frame["mean"] < 99999).all()
    assert found.next_month["unit_name"].iloc[0] == "Kidal"
    assert found.year["unit_name"].iloc[0] == "Bandiagara"
    assert found.year["admin1_name"].iloc[0] == "Mopti"
    assert "Diéma" not in set(found.year["unit_name"])  # no deaths in any draw
    assert len(found.year) == TOP_HOTSPOTS
    assert {s.source for s in found.currency} == {"acled-hdx"}
    assert "acled-hdx" in {s.source for s in brief.currency}


def test_hotspots_in_the_readers_language(december: tuple[Brief, str, str]) -> None:
    brief, en, fr = december
    t = translator("fr")
    kidal = brief.hotspots.next_month.iloc[0]  # type: ignore[union-attr]
    year = brief.hotspots.year.iloc[0]  # type: ignore[union-attr]
    assert "Highest expected deaths in January 2025: Kidal cercle (Kidal region)" in en
    assert "Highest expected deaths over January 2025 \u2013 December 2025: Bandiagara cercle" in en
    assert "Décès attendus les plus nombreux en janvier 2025\u00a0: cercle de Kidal" in fr
    assert (
        "sur la période janvier 2025 \u2013 décembre 2025\u00a0: "
        "cercle de Bandiagara (région de Mopti)" in fr
    )
    interval = f"IC à 90\u00a0%\u00a0: {t.number(year['q05'])} à {t.number(year['q95'])}"
    assert f"moyenne {t.number(year['mean'], 1)} ({interval})" in fr
    assert f"médiane {t.number(kidal['median'])}" in fr
    assert "données jusqu\u2019à décembre 2024" in fr and "tirages par zone et par mois" in fr
    assert "ACLED (HDX) jusqu'à décembre 2024" in fr
    assert "<th>Cercle</th><th>Région</th>" in fr
    # The later forecast's and Burkina Faso's numbers never show.
    for text in (en, fr):
        assert "99999" not in text and "99,999" not in text and "99\u202f999" not in text
    assert (
        "Where most deaths are expected" in en and "Zones où sont attendus le plus de décès" in fr
    )


def test_hotspot_chart_is_drawn(december: tuple[Brief, str, str]) -> None:
    brief = december[0]
    charts = draw_charts(brief, translator("fr"))
    assert charts["hotspots"] is not None and charts["hotspots"].startswith("data:image/png")
    assert 'alt="Zones où sont attendus le plus de décès"' in december[2]


def test_the_region_forecast_when_no_cercle_forecast_fits(hotspot_store: Path) -> None:
    # August 2024: the cercle forecasts use later data; the region one (June 2024) fits.
    brief = _brief(hotspot_store, "2024-08")
    found = brief.hotspots
    assert found is not None and found.unit == "admin1" and int(found.run["origin"]) == JUN_2024
    assert found.next_month["unit_name"].tolist() == ["Kidal", "Mopti"]
    # 12 months after August 2024 run past the forecast's last month (June 2025).
    assert found.months == (month_id(2024, 9), month_id(2025, 6))
    assert found.year["mean"].tolist() == [70.0 * 10, 7.0 * 10]
    fr = html.unescape(render_html(brief, "fr"))
    assert "en septembre 2024\u00a0: région de Kidal, médiane 70" in fr
    assert '<th>Région</th><th class="n">Médiane</th>' in fr


def test_a_later_forecast_only_says_what_to_run(hotspot_store: Path) -> None:
    # June 2024 is before every cercle forecast, and the region one covers only after it.
    brief = _brief(hotspot_store, "2024-05")
    assert brief.hotspots is None and brief.hotspot_latest_origin == month_id(2025, 2)
    en = html.unescape(render_html(brief, "en"))
    assert "No forecast by area made with data up to May 2024" in en
    assert "the newest uses data up to February 2025" in en
    assert (
        "sentinelle forecast --unit admin2 --source acled-hdx --country MLI --origin 2024-05" in en
    )


def test_without_a_subnational_forecast_the_briefing_says_what_to_run(store: Path) -> None:
    brief = _brief(store, MONTH)
    assert brief.hotspots is None and brief.hotspot_latest_origin is None
    fr = html.unescape(render_html(brief, "fr"))
    assert "Aucune prévision par zone (cercle, province ou région) de ce pays (Mali)" in fr
    assert "sentinelle forecast --unit admin2 --source acled-hdx --country MLI" in fr
    assert draw_charts(brief, translator("fr"))["hotspots"] is None
