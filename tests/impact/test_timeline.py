"""Base timelines by source precision: RADPKO months, Geo-PKO years, the automatic choice."""

from __future__ import annotations

import pandas as pd
import pytest

from sentinelle.errors import NoDataError
from sentinelle.geo import month_id
from sentinelle.impact.timeline import (
    base_timeline,
    deployment_coverage,
    load_closures,
    pick_deployment_source,
)
from sentinelle.sources.radpko import ingest_radpko
from sentinelle.store import open_store

NO_CURATION = pd.DataFrame()


def rows(source: str, location: str, months: list[str], mission: str = "X") -> pd.DataFrame:
    """Deployments rows of one site listed in ``months`` ('YYYY-MM'; month 0 if yearly)."""
    yearly = source != "radpko"
    periods = pd.PeriodIndex(months, freq="M")
    frame = pd.DataFrame(
        {
            "source": source, "mission": mission, "location": location, "country": "Mali",
            "latitude": 15.0, "longitude": -1.0, "year": periods.year,
            "month": 0 if yearly else periods.month, "troops": 100.0, "hq": None,
        }
    )  # fmt: skip
    return frame.drop_duplicates(["year", "month"]) if yearly else frame


def monthly() -> pd.DataFrame:
    """'a' listed Jan-Jun 2015; 'b' Mar 2015 - Dec 2016 with a gap in 2015-09..10."""
    b = [str(p) for p in pd.period_range("2015-03", "2016-12", freq="M")]
    b = [m for m in b if m not in ("2015-09", "2015-10")]
    return pd.concat(
        [rows("radpko", "a", [f"2015-0{m}" for m in range(1, 7)]), rows("radpko", "b", b)]
    )


def test_radpko_months_date_openings_and_closures_to_the_month():
    timeline = base_timeline(monthly(), "X", closures=NO_CURATION).set_index("base")
    a, b = timeline.loc["a"], timeline.loc["b"]
    assert (a["status"], a["date_precision"], a["closure_source"]) == (
        "closed", "month", "radpko_months",
    )  # fmt: skip
    # First month no longer listed: July 2015; first full month without it: August.
    assert a["closure_date"] == pd.Timestamp("2015-07-01")
    assert a["cohort_month"] == month_id(2015, 8)
    assert a["citation"] == "RADPKO radpko: not listed from 2015-07 on"
    assert (a["open_month"], a["open_precision"]) == (month_id(2015, 1), "month")
    # Still listed in the mission's last month: open; the gap is not a closure.
    assert b["status"] == "open" and pd.isna(b["cohort_month"])
    assert b["open_month"] == month_id(2015, 3)
    assert set(timeline["deployment_source"]) == {"radpko"}


def test_a_base_listed_to_the_missions_last_month_stays_open_though_the_mission_ends():
    frame = rows("radpko", "a", ["2005-01", "2005-02"], mission="Y")
    timeline = base_timeline(frame, "Y", closures=NO_CURATION)
    assert timeline["status"].tolist() == ["open"]


def test_yearly_sources_keep_year_precision():
    frame = pd.concat(
        [
            rows("radpko_yearly", "a", ["2014-05", "2015-01"]),
            rows("radpko_yearly", "b", ["2016-01"]),
        ]
    )
    timeline = base_timeline(frame, "X", closures=NO_CURATION).set_index("base")
    a = timeline.loc["a"]
    assert (a["date_precision"], a["closure_source"]) == ("year", "radpko_years")
    assert a["closure_date"] == pd.Timestamp("2015-12-31")
    assert a["cohort_month"] == month_id(2016, 1)
    assert (a["open_month"], a["open_precision"]) == (month_id(2014, 1), "year")


def test_auto_picks_per_mission_the_most_precise_source_covering_the_years():
    frontmap = pd.concat(
        [rows("geopko_frontmap", "A", ["2014-01", "2024-01"]),
         rows("geopko_frontmap", "Z", ["2010-01", "2012-01"], mission="Y")]
    )  # fmt: skip
    radpko = rows("radpko", "a", ["2014-03", "2019-01"])
    full = rows("geopko_full", "A", ["2014-01", "2018-01"])
    both = pd.concat([frontmap, radpko, full])
    cover = deployment_coverage(both, "X")
    assert cover["source"].tolist() == ["radpko", "geopko_full", "geopko_frontmap"]
    assert cover["precision"].tolist() == ["month", "year", "year"]
    # Only FrontMap reaches 2024: the others would close every site early.
    assert pick_deployment_source(both, "X") == "geopko_frontmap"
    assert pick_deployment_source(both, "X", years=(2014, 2018)) == "radpko"
    # RADPKO starts in 2014 but MINUSMA-like X has FrontMap rows from January 2014 too.
    assert pick_deployment_source(both, "X", years=(2010, 2017)) == "radpko"
    assert pick_deployment_source(pd.concat([frontmap, full]), "X", years=(2014, 2018)) == (
        "geopko_full"
    )
    assert pick_deployment_source(both, "Y") == "geopko_frontmap"
    timeline = base_timeline(both, "X", years=(2014, 2018), closures=NO_CURATION)
    assert timeline.attrs["deployment_source"] == "radpko"
    assert set(timeline["deployment_source"]) == {"radpko"}
    assert base_timeline(both, "X", source="auto").attrs["deployment_source"] == ("geopko_frontmap")
    with pytest.raises(NoDataError, match="no deployments of mission 'W'"):
        pick_deployment_source(both, "W")


def test_a_source_starting_later_than_another_does_not_cover():
    frame = pd.concat(
        [
            rows("geopko_frontmap", "A", ["2003-01", "2018-01"]),
            rows("radpko", "a", ["2004-09", "2017-01"]),
        ]
    )
    assert pick_deployment_source(frame, "X", years=(2000, 2017)) == "geopko_frontmap"
    assert pick_deployment_source(frame, "X", years=(2005, 2016)) == "radpko"


def test_curated_closures_override_radpko_months_whatever_the_case_of_the_name():
    curated = load_closures()
    kidal = curated[curated["base"] == "Kidal"]
    frame = rows("radpko", "kidal", ["2019-01", "2019-02"], mission="MINUSMA")
    frame = pd.concat([frame, rows("radpko", "gao", ["2019-01", "2019-03"], mission="MINUSMA")])
    timeline = base_timeline(frame, "MINUSMA", closures=kidal).set_index("base")
    assert timeline.loc["kidal", "closure_source"] == "curated"
    assert timeline.loc["kidal", "closure_date"] == pd.Timestamp("2023-10-31")
    assert timeline.loc["kidal", "cohort_month"] == month_id(2023, 11)
    assert timeline.loc["gao", "status"] == "open"


def test_auto_reads_the_store(tmp_path):
    con = open_store(tmp_path / "s.duckdb")
    frame = monthly()
    csv = pd.DataFrame(
        {
            "mission": "X", "country": "Mali", "base": frame["location"],
            "date": [f"{y}-{m:02d}-01" for y, m in zip(frame["year"], frame["month"], strict=True)],
            "latitude": 15.0, "longitude": -1.0, "untrp": 10, "unpol": 1, "unmob": 0,
        }
    )  # fmt: skip
    csv.to_csv(tmp_path / "radpko.csv", index=False)
    ingest_radpko(con, tmp_path / "radpko.csv")
    timeline = base_timeline(con, "X", closures=NO_CURATION).set_index("base")
    assert timeline.attrs["deployment_source"] == "radpko"
    assert timeline.loc["a", "cohort_month"] == month_id(2015, 8)
    con.close()
