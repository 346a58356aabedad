"""Rendering briefings: both languages, non-blank PDF pages, locale formats, honest gaps."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.errors import ReportError, UsageError
from sentinelle.report import collect_brief, render, write_brief
from sentinelle.sources import SOURCES
from sentinelle.steps import no_step
from sentinelle.store import open_store
from tests.report.conftest import ALERT_DEATHS, MONTH, Written

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _pages(pdf: Path, out: Path) -> list[np.ndarray]:
    """The PDF's pages as greyscale arrays, rendered by poppler at 40 dpi."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (Debian poppler-utils) is needed to check the PDF pages")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(out / pdf.stem)], check=True)
    files = sorted(out.glob(f"{pdf.stem}*.png"))
    return [np.asarray(Image.open(f).convert("L"), dtype=float) for f in files]


def test_both_languages_are_written(written: Written) -> None:
    assert sorted(written.paths) == ["en", "fr"]
    for lang, (html, pdf) in written.paths.items():
        assert html.name == f"brief_MLI_{MONTH}_{lang}.html"
        assert pdf.name == f"brief_MLI_{MONTH}_{lang}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        # Self-contained: charts are embedded, nothing is fetched from elsewhere.
        assert "data:image/png;base64," in html.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:|file:|/)", html.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_has_several_pages_none_blank(written: Written, lang: str, tmp_path: Path) -> None:
    pages = _pages(written.paths[lang][1], tmp_path)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        body = page[: int(page.shape[0] * 0.92)]  # above the footer, on every page
        ink = (body < 200).mean()  # share of pixels with text, lines or colour
        assert ink > 0.002, f"page {number} looks blank (ink {ink:.4f})"
        assert body.std() > 5, f"page {number} has no contrast"


def test_french_is_formatted_for_francophone_readers(written: Written) -> None:
    fr = written.html("fr")
    assert "Note de situation : Mali, juin 2020" in fr
    # Babel's French grouping separator is a narrow no-break space: 1 234.
    assert "1\u202f234 décès liés aux conflits en juin 2020" in fr
    for text in ("Chiffres clés", "Civils tués", "violences contre les civils",
                 "mai 2020", "vigilance", "alerte", "Limites."):  # fmt: skip
        assert text in fr, text
    assert "autorités de la transition ont exigé le retrait" in fr  # window reaches 2023


def test_english_has_no_french(written: Written) -> None:
    en = written.html("en")
    assert "Conflict briefing: Mali, June 2020" in en
    assert f"{ALERT_DEATHS:,.0f} conflict fatalities in June 2020" in en
    for french in ("décès", "juin", "Chiffres", "Violences", "vigilance", "Note de situation"):
        assert french not in en, french


def test_a_month_without_data_says_so_and_does_not_crash(store: Path, tmp_path: Path) -> None:
    con = open_store(store, read_only=True)
    brief = collect_brief(con, "MLI", "2024-06")
    con.close()
    assert brief.key_origin is None and brief.events.empty and brief.forecast.empty
    paths = write_brief(brief, tmp_path, ["en", "fr"])
    en = paths["en"][0].read_text(encoding="utf-8")
    fr = paths["fr"][0].read_text(encoding="utf-8")
    assert "No event data for June 2024 in the store; latest event: December 2020" in en
    assert "No events in the 12 months up to June 2024" in en
    assert "the newest forecast uses data up to June 2020" in en
    assert "Aucune donnée d\u2019événement pour juin 2024" in fr
    assert paths["fr"][1].stat().st_size > 0


def test_cli_writes_the_french_briefing(store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "brief", "--country", "MLI", "--month", MONTH, "--lang", "fr",
        "--store", str(store), "--out", str(tmp_path),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"brief_MLI_{MONTH}_fr.html", f"brief_MLI_{MONTH}_fr.pdf"]  # fmt: skip
    bad = CliRunner().invoke(app, ["brief", "--country", "XXX", "--month", MONTH,
                                   "--store", str(store), "--out", str(tmp_path)])  # fmt: skip
    assert bad.exit_code == UsageError.exit_code and "unknown ISO3 country code" in bad.output


@pytest.mark.skipif(not (SHARED / "acled").exists(), reason="shared real data not present")
def test_real_data_mali_june_2020(tmp_path: Path) -> None:
    con = open_store(tmp_path / "real.duckdb")
    for source, relative in (("acled", "acled/acled_hdx_mli_1997-2020.csv"),
                             ("views-cm", "views-cm")):  # fmt: skip
        SOURCES[source].ingest(con, SHARED / relative, None, no_step)
    brief = collect_brief(
        con, "MLI", "2020-06", boundaries=SHARED / "admin/naturalearth_10m_africa_admin0.geojson"
    )
    paths = write_brief(brief, tmp_path / "out")
    con.close()
    assert brief.key_origin == "events" and brief.source == "acled"
    assert brief.key_numbers.loc["events", "current"] > 50  # a violent month in central Mali
    en, fr = paths["en"][0].read_text(), paths["fr"][0].read_text()
    assert "ACLED events" in en and "événements ACLED" in fr
    assert "Sundberg" in en and "Raleigh" in en  # views-cm is UCDP data, ACLED is cited
    for lang in ("en", "fr"):
        assert len(_pages(paths[lang][1], tmp_path)) >= 2


def test_an_unknown_language_is_refused_before_writing(written: Written, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'de'"):
        write_brief(written.brief, tmp_path, ["en", "de"])  # type: ignore[list-item]
    assert list(tmp_path.iterdir()) == []


def test_a_page_that_refers_to_a_file_is_a_report_error(
    written: Written, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = written.html("en").replace("data:image/png;base64,", "file:///etc/hostname#", 1)
    monkeypatch.setattr(render, "render_html", lambda brief, lang: page)
    with pytest.raises(ReportError, match="cannot be rendered"):
        write_brief(written.brief, tmp_path, ["en"])
