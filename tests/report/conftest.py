"""A small store with everything a briefing reads, and the briefing written from it once.

ACLED events of Mali in the export layout (2019-2020, ingested by the real adapter), a
base of MINUSMA, a country-month panel to the end of 2021, stored country and cell
forecasts made in June 2020, a stored impact run and a few alerts. Rendering the PDFs
takes seconds, so the briefing is written once per test session and shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import Forecast, store_forecast
from sentinelle.geo import convert_code, month_id
from sentinelle.impact import ImpactResult, store_impact
from sentinelle.impact.results import EFFECT_COLUMNS
from sentinelle.report import Brief, collect_brief, write_brief
from sentinelle.sources import SOURCES
from sentinelle.steps import no_step
from sentinelle.store import open_store
from tests.factories import acled_frame, write_acled_csv

MONTH = "2020-06"
MLI = convert_code("MLI", "iso3", "views_id")
NER = convert_code("NER", "iso3", "views_id")
# The value of the country alert: large enough to need a thousands separator.
ALERT_DEATHS = 1234.0


def _panel(con: duckdb.DuckDBPyConnection) -> None:
    """A country-month panel for Mali and Niger, 2018-01 to 2021-12, as ingests record it."""
    months = np.arange(month_id(2018, 1), month_id(2021, 12) + 1)
    rows = [
        {"unit_id": unit, "month_id": m, "ged_sb": 10 + (m % 7), "ged_ns": m % 3, "ged_os": 4}
        for unit in (MLI, NER)
        for m in months
    ]
    con.register("_rows", pd.DataFrame(rows))
    con.execute("CREATE TABLE panel_cm AS SELECT * FROM _rows")
    con.unregister("_rows")
    con.execute(
        "INSERT INTO panels (panel_table, unit, source, first_month, last_month, versions, "
        "ingest_ids, engine, n_units, n_rows, params, built_at) VALUES ('panel_cm', 'cm', "
        "'views-cm', ?, ?, '{}', [], 'ingest', 2, ?, '{}', now())",
        [int(months[0]), int(months[-1]), len(rows)],
    )


def _forecasts(con: duckdb.DuckDBPyConnection) -> None:
    """Country and cell forecasts made with data up to June 2020, 6 months ahead."""
    rng = np.random.default_rng(3)
    origin = month_id(2020, 6)
    horizons = np.arange(1, 7)
    cm = Forecast(
        "negbin", "ged_sb", origin, np.array([MLI, NER]), horizons,
        rng.poisson(30, (2, 6, 200)).astype(np.int32), "test-v1",
    )  # fmt: skip
    store_forecast(con, cm, unit="cm")
    # Cells over central Mali (rows 205-215 are 12.5-18°N, columns 350-364 are 5°W-2.5°E).
    rows, cols = np.meshgrid(np.arange(205, 216), np.arange(350, 365), indexing="ij")
    gids = (rows * 720 + cols + 1).ravel()
    pgm = Forecast(
        "negbin", "ged_sb", origin, gids, horizons[:2],
        rng.poisson(0.8, (gids.size, 2, 50)).astype(np.int32), "test-v1",
    )  # fmt: skip
    store_forecast(con, pgm, unit="pgm")


def _impact(con: duckdb.DuckDBPyConnection) -> None:
    """A MINUSMA run whose window reaches the 2023 withdrawal."""
    effects = pd.DataFrame(
        [
            ["MINUSMA", "civilian_deaths", "callaway_santanna", 0, "0-25 km", 1.25, 0.3,
             0.66, 1.84, 0.01, 12, 80, 1.1, 0.35],
            ["MINUSMA", "civilian_deaths", "did2s", 0, "0-25 km", 1.1, 0.3, 0.5, 1.7, 0.02,
             12, 80, None, None],
            ["MINUSMA", "civilian_deaths", "callaway_santanna", 1, "25-50 km", -0.2, 0.3,
             -0.8, 0.4, 0.5, 9, 80, 0.9, 0.5],
        ],
        columns=EFFECT_COLUMNS,
    )  # fmt: skip
    store_impact(
        con,
        ImpactResult(
            mission="MINUSMA", outcome="civilian_deaths", unit="pgm", radii_km=(25.0, 50.0),
            months=range(month_id(2012, 1), month_id(2023, 12) + 1), timeline=pd.DataFrame(),
            units=gpd.GeoDataFrame(), effects=effects, event_study=pd.DataFrame(),
            event_source="acled",
        ),
    )  # fmt: skip


def _alerts(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ("hdx_conflict", "country", "MLI", "2020-06", 2, ALERT_DEATHS, 300.0, "{}"),
        ("new_area", "admin2", "MLI/Mopti/Bandiagara", "2020-05", 1, 3.0, 1.0, "{}"),
        # Forecast alerts record their forecast's origin (alerts.rules does).
        ("forecast_exceedance", "country", "MLI", "2020-08", 2, 0.8, 0.5,
         '{"min_fatalities": 25, "origin": "2020-06"}'),
        # Too old to be active in June 2020, and another country's.
        ("hdx_conflict", "country", "MLI", "2019-01", 1, 80.0, 50.0, "{}"),
        ("hdx_conflict", "country", "NER", "2020-06", 2, 99.0, 50.0, "{}"),
    ]  # fmt: skip
    con.executemany(
        "INSERT INTO alerts (rule, unit_type, unit_id, period, level, value, threshold, "
        "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the briefing test store (closed; open it read-only)."""
    folder = tmp_path_factory.mktemp("brief_store")
    path = folder / "store.duckdb"
    con = open_store(path)
    frame = acled_frame(600, seed=7)
    SOURCES["acled"].ingest(con, write_acled_csv(frame, folder / "acled.csv"), None, no_step)
    con.execute(
        "INSERT INTO deployments (source, mission, location, country, latitude, longitude, "
        "year, month, troops, ingest_id) VALUES ('geopko_frontmap', 'MINUSMA', 'Gao', 'Mali', "
        "16.27, -0.04, 2019, 0, 1500, 0)"
    )
    _panel(con)
    _forecasts(con)
    _impact(con)
    _alerts(con)
    con.close()
    return path


@dataclass(frozen=True)
class Written:
    """The briefing of :data:`MONTH` and the files written from it."""

    brief: Brief
    paths: dict[str, list[Path]]

    def html(self, lang: str) -> str:
        return self.paths[lang][0].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def written(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Written:
    con = open_store(store, read_only=True)
    brief = collect_brief(con, "MLI", MONTH)
    con.close()
    return Written(brief, write_brief(brief, tmp_path_factory.mktemp("brief")))
