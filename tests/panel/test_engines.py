"""The engine registry: a plug-in engine registered at run time builds the panel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import pytest

from sentinelle.errors import UnknownNameError
from sentinelle.panel import ENGINES, build_panel, get_engine, read_panel
from sentinelle.panel.engines import run_duckdb
from sentinelle.store.panels import panel_record
from tests.panel.conftest import add_events


def test_an_engine_registered_at_run_time_builds_the_panel(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_events(
        con, [{"id": 1, "start": dt.date(2015, 3, 2), "lat": 15.25, "lon": -2.25, "best": 5}]
    )
    calls: list[tuple[str, tuple[str, ...]]] = []

    def recording(
        con: duckdb.DuckDBPyConnection,
        steps: Sequence[tuple[str, str]],
        table: str,
        inputs: Sequence[str],
        spark: Any,
    ) -> None:
        calls.append((table, tuple(inputs)))
        run_duckdb(con, steps, table, inputs, spark)

    ENGINES.register("recording", recording)
    try:
        report = build_panel(con, "cm", "2015-01", "2015-06", countries=["MLI"], engine="recording")
    finally:
        ENGINES.unregister("recording")
    assert [table for table, _ in calls] == ["panel_cm"]
    assert calls[0][1]  # the prepared input tables were handed over
    assert report.engine == "recording"
    assert panel_record(con, "panel_cm")["engine"] == "recording"  # type: ignore[index]
    assert read_panel(con, "cm")["ged_sb"].sum() == 5


def test_an_unknown_engine_names_the_valid_ones(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(
        UnknownNameError, match="unknown panel engine 'dask'; choose from: duckdb, spark"
    ):
        build_panel(con, "cm", "2015-01", "2015-06", engine="dask")
    assert get_engine("spark") is ENGINES["spark"]
