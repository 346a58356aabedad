"""Data currency (issue 14): how far each source goes, said in EN and FR; a forecast
from after the data refused; the situation of a period covered only by ACLED's HDX
aggregates, and the one-line message for a period nothing covers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.errors import NoDataError
from sentinelle.geo import month_id
from sentinelle.jobs.forecast import run_forecast
from sentinelle.panel import build_panel
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from sentinelle.store.currency import (
    Coverage,
    currency_line,
    data_currency,
    no_data_message,
    panel_currency,
)
from tests.factories import ged_frame, write_ged_csv

runner = CliRunner()


def insert_aggregates(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    """Fixture rows straight into ``admin_aggregates`` (the ingest adapter's table)."""
    frame = pd.DataFrame(rows)
    defaults = {"source": "acled-hdx", "series": "political_violence", "as_of": None,
                "admin_level": 2, "ingest_id": 1}  # fmt: skip
    for column, value in defaults.items():
        frame[column] = (
            frame[column].where(frame[column].notna(), value) if column in frame else value
        )
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    con.register("_fixture", frame)
    con.execute(
        "INSERT INTO admin_aggregates BY NAME SELECT source, series, as_of, iso3, "
        "admin_level::SMALLINT AS admin_level, pcode, name, admin1_pcode, admin1_name, "
        "month_id::INTEGER AS month_id, events::INTEGER AS events, "
        "fatalities::INTEGER AS fatalities, ingest_id::INTEGER AS ingest_id FROM _fixture"
    )
    con.unregister("_fixture")


@pytest.fixture(scope="module")
def ged_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GED events in Mali to December 2019, and a cm panel built on to December 2021."""
    root = tmp_path_factory.mktemp("currency")
    frame = ged_frame(300, seed=5)
    dates = pd.to_datetime(frame["date_start"]).clip(lower="2015-01-01", upper="2019-12-31")
    frame["date_start"] = frame["date_end"] = dates.dt.strftime("%Y-%m-%d 00:00:00.000")
    frame["year"] = dates.dt.year.astype(str)
    path = root / "s.duckdb"
    con = open_store(path)
    ingest_ged(con, write_ged_csv(frame, root / "GEDEvent_v25_1.csv"), version="25.1")
    build_panel(con, "cm", "2015-01", "2021-12", countries=["MLI"])
    con.close()
    return path


def test_panel_currency_stops_at_the_events(ged_store: Path) -> None:
    with duckdb.connect(str(ged_store), read_only=True) as con:
        span = panel_currency(con, "cm")
        assert int(con.execute("SELECT max(month_id) FROM panel_cm").fetchone()[0]) == month_id(
            2021, 12
        )  # fmt: skip
    assert span is not None and span.source == "ged"
    assert span.last_month == month_id(2019, 12)
    assert currency_line([span], "en") == "UCDP GED to December 2019"
    assert currency_line([span], "fr") == "UCDP GED jusqu'à décembre 2019"


def test_forecast_after_the_data_is_refused(ged_store: Path, tmp_path: Path) -> None:
    con = open_store(ged_store)
    try:
        with pytest.raises(NoDataError) as caught:
            run_forecast(con, "2021-06", tmp_path / "f.parquet", model="zero", draws=5)
        message = str(caught.value)
        assert "2021-06" in message and "UCDP GED to December 2019" in message
        assert "--origin 2019-12" in message and "sentinelle ingest ged FILE" in message
        assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == (0,)
        # Without an origin: the last month of data, not the panel's last (zero) month.
        run = run_forecast(con, None, tmp_path / "f.parquet", model="last", draws=5, horizon=2)
        assert run.origin == month_id(2019, 12)
        with pytest.raises(NoDataError) as fr:
            run_forecast(con, "2020-01", tmp_path / "g.parquet", model="zero", lang="fr")
        assert "jusqu'à décembre 2019" in str(fr.value)
    finally:
        con.close()


def test_cli_forecast_past_the_data_exits_non_zero(ged_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.duckdb"
    copy.write_bytes(ged_store.read_bytes())
    with duckdb.connect(str(copy), read_only=True) as con:
        runs = con.execute("SELECT count(*) FROM forecast_runs").fetchone()
    result = runner.invoke(
        app, ["forecast", "--unit", "cm", "--origin", "2026-11", "--model", "zero",
              "--draws", "5", "--out", str(tmp_path / "f.parquet"), "--store", str(copy)],
    )  # fmt: skip
    assert result.exit_code == NoDataError.exit_code, result.output
    assert "2026-11" in result.output and "December 2019" in result.output
    assert "Traceback" not in result.output
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == runs


def test_data_currency_of_every_kind(tmp_path: Path) -> None:
    con = open_store(":memory:")
    insert_aggregates(
        con,
        [{"iso3": "MLI", "pcode": "ML0101", "name": "Kayes", "admin1_pcode": "ML01",
          "admin1_name": "Kayes", "month_id": m, "events": 1, "fatalities": 2}
         for m in range(month_id(2023, 1), month_id(2024, 12) + 1)]
        + [{"iso3": "BFA", "series": "civilian_targeting", "pcode": "BF1300", "name": "Kadiogo",
            "admin1_pcode": "BF13", "admin1_name": "Centre", "month_id": month_id(2024, m),
            "events": 1, "fatalities": 0, "as_of": "2025-04-03"} for m in (1, 2, 3)],
    )  # fmt: skip
    con.execute(
        "INSERT INTO deployments (source, mission, location, country, latitude, longitude, "
        "year, month, ingest_id) VALUES ('geopko_frontmap', 'MINUSMA', 'Gao', 'Mali', 16.3, "
        "-0.04, 2014, 0, 1), ('geopko_frontmap', 'MINUSMA', 'Gao', 'Mali', 16.3, -0.04, "
        "2024, 0, 1)"
    )
    spans = data_currency(con)
    assert [(s.source, s.kind, s.iso3, s.series) for s in spans] == [
        ("acled-hdx", "aggregates", "BFA", "civilian_targeting"),
        ("acled-hdx", "aggregates", "MLI", "political_violence"),
        ("geopko_frontmap", "deployments", None, None),
    ]
    assert spans[0].as_of is not None and spans[0].as_of.isoformat() == "2025-04-03"
    mali = data_currency(con, country="MLI")
    assert currency_line(mali, "en") == "ACLED (HDX) to December 2024; Geo-PKO to 2024"
    assert currency_line(mali, "fr") == "ACLED (HDX) jusqu'à décembre 2024 ; Geo-PKO jusqu'en 2024"
    assert data_currency(con, country="BFA", kinds=["deployments"]) == []
    # Spans of one source ending in different months say which is which.
    both = currency_line(data_currency(con, kinds=["aggregates"]), "en")
    assert both == (
        "ACLED (HDX) to December 2024 (Mali, political violence), "
        "ACLED (HDX) to March 2024 (Burkina Faso, civilian targeting)"
    )


def test_no_data_message_names_sources_months_and_the_ingest() -> None:
    spans = [
        Coverage("acled", "events", month_id(1997, 1), month_id(2020, 10), iso3="MLI"),
        Coverage("acled-hdx", "aggregates", month_id(1997, 1), month_id(2024, 12), iso3="MLI"),
    ]
    en = no_data_message(spans, "2025-01..2025-06", "en", country="MLI")
    assert en == (
        "No data for Mali, January 2025 to June 2025: ACLED covers January 1997 to "
        "October 2020; ACLED (HDX) covers January 1997 to December 2024. Ingest data for "
        "these months: `sentinelle ingest acled-hdx FILE`."
    )
    fr = no_data_message(spans, "2025-01..2025-06", "fr", country="MLI")
    assert fr.startswith("Aucune donnée (Mali) de janvier 2025 à juin 2025 : ACLED couvre")
    assert "`sentinelle ingest acled-hdx FILE`" in fr and "\n" not in fr
    empty = no_data_message([], "2025-01..2025-06", "en")
    assert "the store holds no data" in empty and "sentinelle ingest" in empty


CERCLES = [("ML0101", "Kayes", "ML01", "Kayes"), ("ML0102", "Bafoulabe", "ML01", "Kayes"),
           ("ML0501", "Bandiagara", "ML05", "Mopti")]  # fmt: skip
FIRST, LAST = month_id(2022, 7), month_id(2024, 12)


def _fatalities(pcode: str, m: int) -> int:
    return {"ML0101": 1, "ML0102": 2}.get(pcode, m - FIRST)


@pytest.fixture(scope="module")
def hdx_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mali cercle-months July 2022 - December 2024 of acled-hdx, and no events."""
    path = tmp_path_factory.mktemp("hdx") / "s.duckdb"
    con = open_store(path)
    rows: list[dict[str, object]] = [
        {"iso3": "MLI", "pcode": p, "name": n, "admin1_pcode": a, "admin1_name": an,
         "month_id": m, "events": 1 + m % 3, "fatalities": _fatalities(p, m),
         "as_of": "2025-01-01"}
        for p, n, a, an in CERCLES for m in range(FIRST, LAST + 1)
    ]  # fmt: skip
    # An older version of one cercle-month, superseded by the 2025 file.
    rows.append({**rows[12], "fatalities": 999, "as_of": "2024-01-01"})
    insert_aggregates(con, rows)
    con.close()
    return path


def _sums(months: range) -> dict[str, int]:
    return {p: sum(_fatalities(p, m) for m in months) for p, *_ in CERCLES}


def test_aggregate_situation_against_the_year_before(hdx_store: Path, tmp_path: Path) -> None:
    from sentinelle.jobs.actors import run_situation

    con = open_store(hdx_store)
    try:
        run = run_situation(con, "MLI", "2023-07..2024-06", tmp_path / "out")
    finally:
        con.close()
    sit = run.aggregates
    assert run.picture is None and sit is not None and run.source == "acled-hdx"
    now = _sums(range(month_id(2023, 7), month_id(2024, 6) + 1))
    before = _sums(range(month_id(2022, 7), month_id(2023, 6) + 1))
    units = sit.units.set_index("pcode")
    assert units["fatalities"].to_dict() == now
    assert units["fatalities_year_before"].astype(int).to_dict() == before
    assert sit.top_units["pcode"].tolist()[0] == "ML0501"
    regions = sit.regions.set_index("admin1")
    assert regions.loc["Kayes", "fatalities"] == now["ML0101"] + now["ML0102"]
    assert regions.loc["Mopti", "fatalities_change"] == now["ML0501"] - before["ML0501"]
    assert sit.trend["month"].tolist()[0] == "2023-07" and len(sit.trend) == 12
    assert sit.trend["fatalities"].sum() == sum(now.values())
    assert sit.trend["events_year_before"].sum() == sit.trend["events"].sum()  # m % 3 repeats
    assert run.currency == {"en": "ACLED (HDX) to December 2024",
                            "fr": "ACLED (HDX) jusqu'à décembre 2024"}  # fmt: skip
    names = {p.name for p in run.files}
    for lang in ("en", "fr"):
        assert {f"trend_{lang}.png", f"regions_{lang}.png", f"top_units_{lang}.png",
                f"summary_{lang}.txt"} <= names  # fmt: skip
    csv = pd.read_csv(tmp_path / "out" / "units.csv")
    assert set(csv["data_to"]) == {"2024-12"} and set(csv["source"]) == {"ACLED (HDX)"}
    fr = (tmp_path / "out" / "summary_fr.txt").read_text(encoding="utf-8")
    assert "Bandiagara" in fr and "jusqu'à décembre 2024" in fr and "décès" in fr
    lines = (tmp_path / "out" / "data_currency.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["Data: ACLED (HDX) to December 2024",
                     "Données : ACLED (HDX) jusqu'à décembre 2024"]  # fmt: skip


def test_a_period_half_covered_and_one_not_covered(hdx_store: Path, tmp_path: Path) -> None:
    from sentinelle.jobs.actors import run_situation

    con = open_store(hdx_store)
    try:
        half = run_situation(con, "MLI", "2024-07..2025-06", tmp_path / "half")
        assert half.aggregates is not None and half.aggregates.months_with_data == 6
        with pytest.raises(NoDataError) as caught:
            run_situation(con, "MLI", "2025-01..2025-06", tmp_path / "none", lang="fr")
        assert not (tmp_path / "none").exists()
    finally:
        con.close()
    assert "Only 6 of the 12 months" in (tmp_path / "half" / "summary_en.txt").read_text()
    assert str(caught.value) == (
        "Aucune donnée (Mali) de janvier 2025 à juin 2025 : ACLED (HDX) couvre de juillet "
        "2022 à décembre 2024. Ingérer des données pour ces mois : "
        "`sentinelle ingest acled-hdx FILE`."
    )


def test_cli_situation_on_the_withdrawal_window(hdx_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.duckdb"
    copy.write_bytes(hdx_store.read_bytes())
    out = tmp_path / "sit"
    args = ["situation", "--country", "MLI", "--period", "2023-07..2024-06", "--out", str(out),
            "--store", str(copy)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Data: ACLED (HDX) to December 2024" in result.output
    assert "nothing to show" not in result.output and "Bandiagara" in result.output
    assert (out / "trend_fr.png").stat().st_size > 0
    empty = runner.invoke(app, [*args[:4], "2026-01..2026-06", *args[5:]])
    assert empty.exit_code == NoDataError.exit_code
    assert "ACLED (HDX) covers July 2022 to December 2024" in empty.output
    assert "sentinelle ingest acled-hdx FILE" in empty.output


def test_event_situation_says_how_far_its_data_goes(ged_store: Path, tmp_path: Path) -> None:
    from sentinelle.jobs.actors import run_situation

    with duckdb.connect(str(ged_store), read_only=True) as con:
        run = run_situation(con, "MLI", "2019-01..2019-12", tmp_path / "out")
        with pytest.raises(NoDataError, match="UCDP GED covers January 2015 to December 2019"):
            run_situation(con, "MLI", "2023-07..2024-06", tmp_path / "late")
    assert run.picture is not None and run.source == "ged"
    assert run.currency["en"] == "UCDP GED to December 2019"
    text = (tmp_path / "out" / "data_currency.txt").read_text(encoding="utf-8")
    assert "UCDP GED jusqu'à décembre 2019" in text
    assert set(pd.read_csv(tmp_path / "out" / "trends.csv")["data_to"]) == {"2019-12"}
