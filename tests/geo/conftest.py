"""Fixtures shared by the geo tests: access to the read-only real data in ../shared/data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def shared_file() -> Callable[[str], Path]:
    """Return a function giving the path of a real data file, skipping the test if absent."""

    def get(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.exists():
            pytest.skip(f"real data file {path} is not available")
        return path

    return get
