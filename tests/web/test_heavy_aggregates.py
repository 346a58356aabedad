"""Issue 13 item 11: heavy aggregates are computed once per data version.

The dyad and actor answers are cut from a country's whole ranking, kept per version of
the store file: any number of ``limit`` values costs one scan, each answer is the one
computed from scratch, and an ingest's commit makes the next answer recompute.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from sentinelle.store import open_store
from sentinelle.web import create_app, data
from sentinelle.web.access import MainStore
from tests.web.conftest import build_store, settings_for


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(data, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(data, name, counted)
    return calls


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("heavy") / "store.duckdb"
    build_store(path).close()
    return path


def _add_pair(path: Path, n: int) -> None:
    """``n`` events of a new pair in Mali, written as an ingest would (another connection)."""
    con = open_store(path)
    con.executemany(
        "INSERT INTO events (source, source_event_id, source_version, date_start, date_end, "
        "latitude, longitude, country_iso3, violence_type, side_a, side_b, fatalities_best, "
        "ingest_id) VALUES ('acled', ?, '1', DATE '2020-05-01', DATE '2020-05-01', 15, -2, "
        "'MLI', 'non_state', 'Group A', 'Group B', 1, 1)",
        [[f"NEW{store_id}"] for store_id in range(n)],
    )
    con.close()


def test_dyads_and_actors_cut_from_one_ranking_per_version(store_file, monkeypatch):
    dyad_calls = _counting(monkeypatch, "dyad_ranking")
    actor_calls = _counting(monkeypatch, "actor_ranking")
    client = TestClient(create_app(settings_for(store_file, heavy_rate_limit="1000/minute")))
    reference = open_store(store_file, read_only=True)
    for limit in (1, 2, 3, 60):
        got = client.get("/api/dyads", params={"country": "MLI", "limit": limit})
        assert got.status_code == 200, got.text
        assert got.json() == data.dyad_graph(reference, "MLI", None, "acled", limit)
        actors = client.get("/api/actors", params={"country": "MLI", "limit": limit}).json()
        assert actors == data.actors_table(reference, "MLI", None, "acled", limit)
    reference.close()
    # One ranking each for the four limits (the direct calls above are counted too).
    assert (len(dyad_calls), len(actor_calls)) == (1 + 4, 1 + 4)

    _add_pair(store_file, 50)  # the most events of any pair: first in the ranking
    top = client.get("/api/dyads", params={"country": "MLI", "limit": 1}).json()
    assert [(e["source"], e["target"], e["events"]) for e in top["edges"]] == [
        ("Group A", "Group B", 50)
    ]
    assert len(dyad_calls) == 6  # recomputed for the new version, without a restart


def test_memo_keeps_per_version_and_not_for_a_held_connection(tmp_path):
    store = MainStore(str(tmp_path / "none.duckdb"))
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert store.memo("k", (1,), compute) == store.memo("k", (1,), compute) == 1
    assert store.memo("k", (2,), compute) == 2  # another version
    assert store.memo("other", (2,), compute) == 3
    held = MainStore(":memory:", duckdb.connect())
    assert held.memo("k", (), compute) == 4 and held.memo("k", (), compute) == 5
