"""Collecting a briefing: numbers from the store, fallbacks and gaps, refused arguments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sentinelle.errors import UsageError
from sentinelle.geo import month_id
from sentinelle.report import collect_brief, render_html
from sentinelle.store import open_store
from tests.report.conftest import MLI, Written


def test_numbers_come_from_the_store(written: Written, store: Path) -> None:
    brief = written.brief
    con = open_store(store, read_only=True)
    events, deaths = con.execute(
        "SELECT count(*), sum(fatalities_best) FROM events "
        "WHERE date_start BETWEEN '2020-06-01' AND '2020-06-30' AND source = 'acled'"
    ).fetchone()  # type: ignore[misc]
    con.close()
    assert (brief.source, brief.key_origin) == ("acled", "events")
    assert brief.key_numbers.loc["events", "current"] == events
    assert brief.key_numbers.loc["fatalities", "current"] == deaths
    assert len(brief.events) == events
    assert brief.trend_origin == "events" and brief.trends["month_id"].nunique() == 18
    assert {"actor", "fatalities"} <= set(brief.actors.columns) and not brief.actors.empty
    # Active alerts: this month's and last month's, the forecast one; not 2019, not Niger.
    assert sorted(a["period"] for a in brief.alerts) == ["2020-05", "2020-06", "2020-08"]
    assert brief.forecast["month_id"].tolist() == list(range(month_id(2020, 7), month_id(2021, 1)))
    assert (brief.forecast["q05"] <= brief.forecast["median"]).all()
    assert brief.risk_unit == "pgm" and brief.risk_month == month_id(2020, 7)
    assert brief.mission == "MINUSMA" and brief.impact is not None
    assert brief.forecast_history["month_id"].max() == month_id(2020, 6)


def test_missing_events_fall_back_to_country_month_totals(store: Path) -> None:
    con = open_store(store, read_only=True)
    brief = collect_brief(con, "MLI", "2021-06")
    con.close()
    assert brief.key_origin == "panel" and not brief.covered
    assert brief.key_numbers.loc["state_based", "current"] == 10 + month_id(2021, 6) % 7
    assert np.isnan(brief.key_numbers.loc["civilian_deaths", "current"])
    html = render_html(brief, "en")
    assert "No event data for June 2021 in the store; latest event: December 2020" in html
    assert "VIEWS country-month totals" in html


def test_an_empty_store_gives_a_briefing_of_gaps() -> None:
    brief = collect_brief(open_store(":memory:"), "NER", "2020-06")
    html = render_html(brief, "fr")
    assert brief.source is None and brief.country_id != MLI
    assert "aucun événement pour ce pays" in html
    assert "Aucune prévision par pays" in html


@pytest.mark.parametrize(("month", "message"), [("2020-6", "YYYY-MM"), ("2020-13", "1..12")])
def test_a_bad_month_is_a_usage_error(month: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        collect_brief(open_store(":memory:"), "MLI", month)


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown ISO3 country code 'XXX'"):
        collect_brief(open_store(":memory:"), "XXX", "2020-06")
