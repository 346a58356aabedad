"""The command line in an 80-column terminal: tables fit, headings are whole, missing
values and booleans read as words, default periods are recent, libraries stay quiet."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.cli._common import QUIET_LOGGERS, fit_widths, frame_table
from tests.factories import acled_frame, write_acled_csv

runner = CliRunner()
NARROW = {"COLUMNS": "80"}
# Words a reader should never see for a missing value or a boolean.
_RAW = re.compile(r"\b(None|False|True|nan|NaN|NaT|unmatched)\b")


@pytest.fixture(scope="module")
def acled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A store with 400 ACLED events of Mali (2019-2020), and the last event month."""
    folder = tmp_path_factory.mktemp("terminal")
    frame = acled_frame(400, seed=3)
    path = write_acled_csv(frame, folder / "acled_mali.csv")
    store = folder / "s.duckdb"
    result = runner.invoke(app, ["ingest", "acled", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    yield store, max(frame["event_date"])[:7]


def _lines_fit(output: str, width: int = 80) -> None:
    long = [line for line in output.splitlines() if len(line) > width]
    assert not long, f"{len(long)} lines wider than {width}: {long[:3]}"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_actors_fit_80_columns_over_the_last_12_months(
    acled_store: tuple[Path, str], tmp_path: Path, lang: str
) -> None:
    store, last = acled_store
    result = runner.invoke(
        app,
        ["--lang", lang, "actors", "--country", "MLI", "--source", "acled",
         "--store", str(store), "--out", str(tmp_path)],
        env=NARROW,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    _lines_fit(result.output)
    assert not _RAW.search(result.output), _RAW.search(result.output)
    year, month = (int(p) for p in last.split("-"))
    first = f"{year - 1}-{month + 1:02d}" if month < 12 else f"{year}-01"
    assert f"{first}..{last}" in result.output  # the last 12 months, not 2019-01
    words = set(result.output.split())  # a heading may wrap, word by word, never cut
    expected = (
        ("Actor", "Fatalities", "Civilians killed", "Events")
        if lang == "en"
        else ("Acteur", "Décès", "Civils tués", "Événements")
    )
    for heading in expected:
        assert set(heading.split()) <= words, heading
    assert "…" not in result.output  # nothing cut off
    # Civilians are targets: they are not ranked among the actors.
    ranking = result.output.split("Who fights whom" if lang == "en" else "Qui affronte qui")[0]
    assert "Civilians (Mali)" not in ranking
    activity = pd.read_csv(tmp_path / "activity.csv")
    assert set(activity["period"].astype(str)) <= {str(year - 1), str(year)}


def test_an_explicit_period_is_kept(acled_store: tuple[Path, str], tmp_path: Path) -> None:
    store, _ = acled_store
    result = runner.invoke(
        app,
        ["actors", "--period", "2019-01..2019-06", "--source", "acled", "--store", str(store),
         "--out", str(tmp_path)],
        env=NARROW,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "last 12 months" not in result.output
    assert set(pd.read_csv(tmp_path / "activity.csv")["period"]) == {2019}


@pytest.mark.parametrize(
    ("lang", "headings"),
    [
        ("en", ["source", "versions", "rows", "deleted", "quarantined", "span", "last", "ingest"]),
        ("fr", ["source", "lignes", "supprimées", "quarantaine", "période", "dernier", "import"]),
    ],
)
def test_status_is_readable_in_80_columns(
    acled_store: tuple[Path, str], lang: str, headings: list[str]
) -> None:
    store, _ = acled_store
    result = runner.invoke(app, ["--lang", lang, "status", "--store", str(store)], env=NARROW)
    assert result.exit_code == 0, result.output
    _lines_fit(result.output)
    assert "…" not in result.output
    header = result.output.split("─")[0].split()
    for heading in headings:
        assert heading in header, (heading, header)
    assert "acled" in result.output and "400" in result.output
    assert not _RAW.search(result.output)


def test_tables_write_missing_values_and_booleans_in_words() -> None:
    frame = pd.DataFrame(
        {
            "actor": ["JNIM", None, "Dan Na Ambassagou"],
            "actor_type": ["jihadist", None, "unmatched"],
            "matched": [True, False, np.bool_(True)],
            "fatalities": [12345, 0, 3],
            "civilian_deaths": [np.nan, 1.5, 2.0],
        }
    )
    for lang, yes, no in (("en", "yes", "no"), ("fr", "oui", "non")):
        table, dropped = frame_table(frame, "t", width=80, lang=lang)  # type: ignore[arg-type]
        cells = [list(column.cells) for column in table.columns]
        text = " ".join(str(c) for column in cells for c in column)
        assert not _RAW.search(text) and dropped == []
        assert [str(c) for c in cells[2]] == [yes, no, yes]
        assert str(cells[0][1]) == "—" and str(cells[4][0]) == "—" and str(cells[1][2]) == "—"
    en_numbers = [str(c) for c in frame_table(frame, "t", width=80, lang="en")[0].columns[3].cells]
    assert en_numbers == ["12,345", "0", "3"]


def test_a_table_too_wide_leaves_out_its_last_columns_and_says_so() -> None:
    frame = pd.DataFrame({f"column_{i}": ["a fairly long value"] for i in range(12)})
    table, dropped = frame_table(frame, "wide", width=80, lang="en")
    assert dropped and dropped[-1] == "column 11"
    assert len(table.columns) + len(dropped) == 12
    widths = fit_widths(["a", "b"], [["word " * 10, "1,234"]], [False, True], 30)
    assert widths is not None and sum(widths) <= 30 and widths[1] == 5
    assert fit_widths(["a"], [["x" * 10]], [True], 5) is None  # a number is never cut


def test_libraries_info_logging_is_silenced_unless_verbose(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As in the main job: pyfixest calls ``basicConfig(level=INFO)`` on import, then a
    briefing is rendered by WeasyPrint; none of their INFO lines reach the terminal."""
    import weasyprint

    from sentinelle.cli import ingest as ingest_command
    from sentinelle.store import open_store

    root = logging.getLogger()
    # A fresh process: no handler on the root logger (pytest's own are put back after).
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)

    def job_like_the_main_job(*_: object, **__: object) -> None:
        logging.basicConfig(level=logging.INFO)  # what importing pyfixest does
        weasyprint.HTML(string="<p>Bamako, 1<sup>er</sup> décembre</p>").write_pdf(
            tmp_path / "x.pdf"
        )
        logging.getLogger("fontTools.subset").info("Retaining 12 glyphs")
        logging.getLogger("sentinelle.test").warning("a warning still shows")

    store = str(tmp_path / "s.duckdb")
    open_store(store).close()
    # `status` stands for any job: its rendering is replaced by the main job's noise.
    monkeypatch.setattr(ingest_command, "print_status", job_like_the_main_job)
    quiet = runner.invoke(app, ["status", "--store", store])
    assert quiet.exit_code == 0, quiet.output
    assert "weasyprint" not in quiet.output and "fontTools" not in quiet.output
    assert "INFO" not in quiet.output and "a warning still shows" in quiet.output
    assert root.level == logging.WARNING
    assert all(logging.getLogger(name).level == logging.WARNING for name in QUIET_LOGGERS)
    loud = runner.invoke(app, ["--verbose", "status", "--store", store])
    assert loud.exit_code == 0, loud.output
    assert "weasyprint" in loud.output and "Retaining 12 glyphs" in loud.output
    runner.invoke(app, ["status", "--store", store])  # leave the loggers quiet again
