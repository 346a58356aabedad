"""A small store with every table the dashboard reads, and clients signed in by role.

The rows are written with SQL, as the ingesters and analysis stages would leave them:
ACLED-style events in Mali (with ISO3) across 2019-2020, GED-style events (GW code
only), one event in Niger, three MINUSMA-like bases of which one closed at the end of
2017, a country-month and a cell-month forecast, an impact run and two alerts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sentinelle.config import Settings
from sentinelle.store import open_store
from sentinelle.web import create_app

PASSWORD = "correct horse battery staple"
USERS = {"ada": "admin", "ana": "analyst", "vic": "viewer", "root2": "admin"}
MALI_EVENTS = 48  # ACLED rows, 2019-01 .. 2020-12, two a month
GED_EVENTS = 6  # 2020-01 .. 2020-06, one a month

_counter = itertools.count(1)


def _events() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    months = pd.date_range("2019-01-01", "2020-12-01", freq="MS")
    for i in range(MALI_EVENTS):
        start = months[i // 2] + pd.Timedelta(days=int(rng.integers(0, 27)))
        rows.append(
            {
                "source": "acled", "source_event_id": f"MLI{i}", "date_start": start,
                "latitude": float(rng.uniform(12, 18)), "longitude": float(rng.uniform(-8, 1)),
                "country_iso3": "MLI", "country_gwno": None, "country_name": "Mali",
                "admin1": ["Mopti", "Gao", "Timbuktu"][i % 3],
                "violence_type": ["state_based", "non_state", "one_sided"][i % 3],
                "side_a": "JNIM" if i % 2 else "Military Forces of Mali (2013-)",
                "side_b": "Civilians (Mali)" if i % 3 == 2 else "ISGS",
                "fatalities_best": int(rng.integers(0, 30)),
            }
        )  # fmt: skip
    for i in range(GED_EVENTS):
        rows.append(
            {
                "source": "ged", "source_event_id": str(900 + i),
                "date_start": pd.Timestamp(2020, i + 1, 10), "latitude": 15.0 + i / 10,
                "longitude": -2.0, "country_iso3": None, "country_gwno": 432,
                "country_name": "Mali", "admin1": "Mopti region", "violence_type": "state_based",
                "side_a": "Government of Mali", "side_b": "JNIM", "fatalities_best": 5,
            }
        )  # fmt: skip
    rows.append(
        {
            "source": "acled", "source_event_id": "NER1", "date_start": pd.Timestamp(2020, 3, 1),
            "latitude": 14.0, "longitude": 2.0, "country_iso3": "NER", "country_gwno": None,
            "country_name": "Niger", "admin1": "Tillaberi", "violence_type": "one_sided",
            "side_a": "ISGS", "side_b": "Civilians (Niger)", "fatalities_best": 12,
        }
    )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["date_end"] = frame["date_start"]
    frame["source_version"] = "test"
    frame["ingest_id"] = 1
    frame["civilian_deaths"] = np.where(
        frame["violence_type"] == "one_sided", frame["fatalities_best"], 0
    )
    return frame


def _deployments() -> pd.DataFrame:
    rows = []
    for base, lat, lon, years in (
        ("Alpha Camp", 16.27, -0.04, range(2014, 2020)),  # open to the end of the data
        ("Bravo Camp", 14.49, -4.19, range(2014, 2020)),
        ("Charlie Camp", 18.44, 1.41, range(2015, 2018)),  # gone from the 2018 map
    ):
        for year in years:
            rows.append(
                {
                    "source": "geopko_frontmap", "mission": "MINUSMA", "location": base,
                    "country": "Mali", "latitude": lat, "longitude": lon, "year": year,
                    "month": 0, "troops": 500.0, "hq": 0, "ingest_id": 2,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    name = f"_rows{next(_counter)}"
    con.register(name, frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    con.unregister(name)


def _forecasts(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(5)
    months = range(493, 499)  # 2021-01 .. 2021-06
    for unit, units in (("cm", [50, 78]), ("pgm", [153000, 150832, 155883])):
        row = con.execute(
            "INSERT INTO forecast_runs (model, target, unit, origin, first_month, last_month, "
            "n_units, n_draws, data_version, meta) VALUES ('gbm', 'ged_sb', ?, 492, 493, 498, "
            "?, 100, 'test', '{\"note\": \"fixture\"}') RETURNING run_id",
            [unit, len(units)],
        ).fetchone()
        assert row is not None
        draws = pd.DataFrame(
            [
                {"run_id": row[0], "month_id": m, "unit_id": u, "draw": d,
                 "outcome": int(rng.negative_binomial(1, 0.04 if k == 0 else 0.5))}
                for m in months for k, u in enumerate(units) for d in range(100)
            ]
        )  # fmt: skip
        _insert(con, "forecast_draws", draws)


def _impact_and_alerts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO impact_runs (mission, outcome, unit, radii_km, first_month, last_month, "
        "event_source, notes, runtime_s) VALUES ('MINUSMA', 'civilian_deaths', 'pgm', "
        "[25.0, 50.0], 409, 528, 'acled', ['fixture run'], 1.5)"
    )
    con.execute(
        "INSERT INTO impact_effects VALUES "
        "(1, 'callaway_santanna', 0, '0-25 km', 0.8, 0.3, 0.2, 1.4, 0.01, 5, 120, 1.1, 0.4),"
        "(1, 'did2s', 1, '25-50 km', 'NaN', NULL, NULL, NULL, NULL, 5, 120, NULL, NULL)"
    )
    con.execute(
        "INSERT INTO impact_event_study VALUES (1, 'did2s', 0, -1, 0.0, 0.1, -0.2, 0.2),"
        "(1, 'did2s', 0, 0, 0.5, 0.2, 0.1, 0.9)"
    )
    con.execute(
        "INSERT INTO alerts (rule, unit_type, unit_id, period, level, value, threshold, evidence) "
        "VALUES ('hdx_conflict', 'country', 'MLI', '2020-06', 2, 120, 50, '{\"floor\": 50}'),"
        "('hdx_conflict', 'admin1', 'NER/Tillaberi', '2020-03', 1, 12, 10, NULL)"
    )


def build_store(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A store at ``path`` holding the fixture rows and the users of :data:`USERS`.

    The users are in the main store's own ``users`` table, as stores made before the
    web store kept them: every app copies them into its web store when it starts.
    """
    con = open_store(path)
    _insert(con, "events", _events())
    _insert(con, "deployments", _deployments())
    _forecasts(con)
    _impact_and_alerts(con)
    hashed = PasswordHasher().hash(PASSWORD)
    con.executemany(
        "INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)",
        [[name, hashed, role] for name, role in USERS.items()],
    )
    return con


def settings_for(path: Path | str, **overrides: object) -> Settings:
    """Test settings: generous rate limits unless a test sets its own."""
    values: dict[str, object] = {
        "store": path, "secret_key": "test-secret-" + "x" * 32,
        "login_rate_limit": "1000/minute", "write_rate_limit": "1000/minute",
    }  # fmt: skip
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="package")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The fixture store, shared by the package's tests (tests add reports, not events)."""
    con = build_store(tmp_path_factory.mktemp("web") / "store.duckdb")
    yield con
    con.close()


@pytest.fixture
def app(store: duckdb.DuckDBPyConnection) -> FastAPI:
    """A fresh app (own cache, rate-limit counters, web store) over the shared store."""
    return create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A signed-out client whose browser prefers English (a page without a preference
    is French: the assertions here read the English pages)."""
    return TestClient(app, headers={"Accept-Language": "en"})


def csrf(client: TestClient) -> dict[str, str]:
    """The header carrying the client's session CSRF token."""
    return {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}


def sign_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign ``client`` in as ``username``; return the header for its writes."""
    response = client.post(
        "/api/login", json={"username": username, "password": PASSWORD}, headers=csrf(client)
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def incident(**changes: object) -> dict[str, object]:
    """A valid incident report body."""
    body: dict[str, object] = {
        "event_date": str(dt.date(2020, 6, 14)), "latitude": 14.35, "longitude": -3.6,
        "country_iso3": "MLI", "location_name": "Ogossagou", "actors": ["Dan Na Ambassagou"],
        "violence_type": "one_sided", "fatalities": 12, "civilian_deaths": 12,
        "source": "Field call with a community leader", "confidence": "medium",
    }  # fmt: skip
    return {**body, **changes}


# Debian's Chromium for the browser tests, and the flags that keep it off the network.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Base URL of ``app`` served by uvicorn in a thread on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
