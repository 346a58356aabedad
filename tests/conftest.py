"""Fixtures shared by every test package: one Spark session for the whole run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] Spark session for the whole run (start-up costs 5-10 s)."""
    pytest.importorskip("pyspark", reason="pyspark not installed: pip install sentinelle[spark]")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH: Spark needs Java 17")
    from sentinelle.panel import spark_session

    session = spark_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
