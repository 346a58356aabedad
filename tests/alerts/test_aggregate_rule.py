"""The HDX Signals conflict rule on ACLED's HDX subnational aggregates.

Constructed aggregates with known alert months; then the real Mali and Burkina Faso
workbooks, 2021-2024: the alert months found at country and admin-1 level, and for a few
of them the numbers computed again here from the workbook with pandas.
"""

from __future__ import annotations

import calendar
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sentinelle.alerts import RULES, AlertCandidate, evaluate_alerts, read_alerts
from sentinelle.alerts.aggregates import (
    AGGREGATE_RULE,
    HDX_SIGNALS_URL,
    aggregate_alerts,
    aggregate_series,
)
from sentinelle.geo import month_id, month_string
from sentinelle.store import open_store

_COLUMNS = ["source", "series", "as_of", "iso3", "admin_level", "pcode", "name", "admin1_pcode",
            "admin1_name", "month_id", "events", "fatalities", "ingest_id"]  # fmt: skip


def _insert(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    frame = rows.reindex(columns=_COLUMNS)
    con.register("_rows", frame)
    con.execute("INSERT INTO admin_aggregates SELECT * FROM _rows")
    con.unregister("_rows")


def _units(values: dict[tuple[str, str], list[int]], *, level: int = 2, **kw: object):
    """Rows of admin-2 units ``(admin1, pcode) -> fatalities per month from month 1``."""
    frames = [
        pd.DataFrame({
            "pcode": pcode, "name": pcode, "admin1_pcode": f"XX{a1}", "admin1_name": a1,
            "month_id": range(1, len(v) + 1), "fatalities": v, "events": [x // 10 + 1 for x in v],
        })
        for (a1, pcode), v in values.items()
    ]  # fmt: skip
    base = {"source": "acled-hdx", "series": "political_violence", "as_of": None,
            "iso3": "XXX", "admin_level": level, "ingest_id": 1, **kw}  # fmt: skip
    return pd.concat(frames, ignore_index=True).assign(**base)


def _found(alerts: list[AlertCandidate]) -> set[tuple[str, str, str, int]]:
    return {(a.unit_type, a.unit_id, a.period, a.level) for a in alerts}


# --- constructed aggregates ---------------------------------------------------------

# Region A: two cercles; region B: one. Months 1..44.
_A1 = [30] * 12 + [80] + [30] * 23 + [60] + [30] * 7
_A2 = [20] * 12 + [40] + [20] * 23 + [70] + [20, 90] + [20] * 5
_B1 = [10] * 36 + [10, 10, 10, 10, 10, 200, 10, 10]


@pytest.fixture(scope="module")
def constructed() -> duckdb.DuckDBPyConnection:
    con = open_store(":memory:")
    rows = _units({("A", "XX0101"): _A1, ("A", "XX0102"): _A2, ("B", "XX0201"): _B1})
    # A month without a row counts 0: drop region B's month 20 (its value was 10).
    rows = rows[~((rows["pcode"] == "XX0201") & (rows["month_id"] == 20))]
    _insert(con, rows)
    # Another series and another source are not read.
    _insert(con, _units({("A", "XX0101"): [500] * 44}, series="civilian_targeting"))
    _insert(con, _units({("A", "XX0101"): [500] * 44}, source="other"))
    return con


def test_country_and_admin1_series_sum_their_units(constructed) -> None:
    country = aggregate_series(constructed, "country").set_index("month_id")
    assert country.loc[13, "fatalities"] == 80 + 40 + 10
    assert country.loc[20, "fatalities"] == 30 + 20  # region B's missing month is 0
    assert list(country.index) == list(range(1, 45))
    assert (country["units"] == 3).all() and (country["admin_level"] == 2).all()
    admin1 = aggregate_series(constructed, "admin1")
    assert set(admin1["unit_id"]) == {"XXX/A", "XXX/B"}
    a = admin1[admin1["unit_id"] == "XXX/A"].set_index("month_id")
    assert a.loc[37, "fatalities"] == 130 and a.loc[13, "pcode"] == "XXA"


def test_alert_months_of_constructed_aggregates(constructed) -> None:
    found = _found(aggregate_alerts(constructed))
    # Country 60 a month, then 130 at 13 (a 1-year high; 36 months not yet there),
    # 140 at 37 (over the 130 of month 13: level 2), 130 at 39 (under 140), 250 at 42
    # (a 3-year high, but five months after the level 2 of 37: masked). Region A: 120
    # at 13, 130 at 37, 120 at 39. Region B: 10 a month, 200 at 42 (level 2).
    assert found == {
        ("country", "XXX", month_string(13), 1),
        ("country", "XXX", month_string(37), 2),
        ("admin1", "XXX/A", month_string(13), 1),
        ("admin1", "XXX/A", month_string(37), 2),
        ("admin1", "XXX/B", month_string(42), 2),
    }


def test_the_evidence_explains_the_alert(constructed) -> None:
    alerts = {(a.unit_id, a.period): a for a in aggregate_alerts(constructed)}
    a = alerts[("XXX", month_string(37))]
    assert (a.rule, a.value, a.threshold) == (AGGREGATE_RULE, 140.0, 130.0)
    ev = a.evidence
    assert ev["definition_source"] == HDX_SIGNALS_URL
    assert ev["data"] == {"source": "acled-hdx", "series": "political_violence", "as_of": None,
                          "coverage": f"{month_string(1)}..{month_string(44)}",
                          "admin_level_summed": 2, "units_summed": 3}  # fmt: skip
    assert ev["prior_max_36_months"] == 130.0 and ev["prior_max_36_month"] == month_string(13)
    assert ev["prior_max_12_months"] == 60.0
    assert ev["highest_since"] is None  # never more before
    assert len(ev["window"]) == 36 and ev["window"][month_string(13)] == 130
    assert ev["masked_signals"] == [month_string(42)]  # 250, five months later
    assert alerts[("XXX", month_string(13))].evidence["masked_signals"] == []
    assert ev["events"] == 7 + 8 + 2  # events of the month, summed like fatalities


def test_the_rule_is_registered_and_recorded_once(constructed) -> None:
    con = open_store(":memory:")
    _insert(con, constructed.execute("SELECT * FROM admin_aggregates").df())
    assert AGGREGATE_RULE in RULES
    assert evaluate_alerts(con)[AGGREGATE_RULE] == 5
    assert evaluate_alerts(con)[AGGREGATE_RULE] == 0
    stored = read_alerts(
        con, "SELECT a.* FROM alerts a WHERE rule = ? ORDER BY period", [AGGREGATE_RULE]
    )
    assert stored[0].evidence["prior_max_12_month"] == month_string(12)


def test_an_admin1_file_is_preferred_to_summing_admin2() -> None:
    con = open_store(":memory:")
    _insert(con, _units({("A", "XX0101"): [50] * 12 + [150]}))
    admin1 = _units({("A", "XXA"): [50] * 12 + [180]}, level=1).assign(
        name="A", admin1_pcode=None, admin1_name=None)  # fmt: skip
    _insert(con, admin1)
    [a] = [x for x in aggregate_alerts(con) if x.unit_type == "admin1"]
    assert (a.unit_id, a.value, a.evidence["data"]["admin_level_summed"]) == ("XXX/A", 180.0, 1)


# --- the real Mali and Burkina Faso workbooks ---------------------------------------

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "acled-hdx"
WORKBOOKS = {
    "MLI": "mali_acled_political_violence_admin2_month_1997-2024.xlsx",
    "BFA": "burkina-faso_hrp_political_violence_events_and_fatalities_by_month-year_"
    "as-of-03apr2025.xlsx",
}
_MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}


@pytest.fixture(scope="module")
def workbooks() -> dict[str, pd.DataFrame]:
    if not all((DATA / f).exists() for f in WORKBOOKS.values()):
        pytest.skip("shared ACLED (HDX) workbooks not present")
    out = {}
    for iso3, name in WORKBOOKS.items():
        frame = pd.read_excel(DATA / name, sheet_name="Data")
        months = frame["Month"].map(_MONTHS)
        frame["period"] = frame["Year"].astype(str) + "-" + months.map("{:02d}".format)
        out[iso3] = frame
    return out


@pytest.fixture(scope="module")
def real_alerts(workbooks) -> list[AlertCandidate]:
    con = open_store(":memory:")
    for iso3, frame in workbooks.items():
        _insert(con, pd.DataFrame({
            "source": "acled-hdx", "series": "political_violence", "iso3": iso3,
            "admin_level": 2, "pcode": frame["Admin2 Pcode"], "name": frame["Admin2"],
            "admin1_pcode": frame["Admin1 Pcode"], "admin1_name": frame["Admin1"],
            "month_id": month_id(frame["Year"].to_numpy(), frame["Month"].map(_MONTHS).to_numpy()),
            "events": frame["Events"], "fatalities": frame["Fatalities"], "ingest_id": 1,
        }))  # fmt: skip
    return [a for a in aggregate_alerts(con) if "2021-01" <= a.period <= "2024-12"]


def _monthly(frame: pd.DataFrame) -> pd.Series:
    """Fatalities per month, computed here from the workbook rows alone."""
    return frame.groupby("period")["Fatalities"].sum().sort_index()


def test_country_alert_months_2021_2024(real_alerts) -> None:
    country = {(a.unit_id, a.period, a.level, int(a.value))
               for a in real_alerts if a.unit_type == "country"}  # fmt: skip
    assert country == {
        ("MLI", "2022-01", 1, 272), ("MLI", "2022-03", 2, 1152),
        ("MLI", "2023-09", 1, 502), ("MLI", "2024-07", 1, 524),
        ("BFA", "2021-06", 1, 380), ("BFA", "2022-01", 1, 412), ("BFA", "2022-05", 2, 439),
        ("BFA", "2023-02", 2, 801), ("BFA", "2024-05", 1, 1100),
    }  # fmt: skip


def test_admin1_alert_months_2021_2024(real_alerts) -> None:
    admin1 = {(a.unit_id, a.period, a.level) for a in real_alerts if a.unit_type == "admin1"}
    assert admin1 == {
        ("MLI/Gao", "2022-02", 2), ("MLI/Gao", "2022-12", 2), ("MLI/Menaka", "2022-03", 2),
        ("MLI/Mopti", "2022-03", 2), ("MLI/Tombouctou", "2023-11", 2),
        ("MLI/Segou", "2023-12", 2), ("MLI/Kidal", "2024-07", 2),
        ("BFA/Sahel", "2021-06", 1), ("BFA/Sahel", "2021-08", 2),
        ("BFA/Centre-Nord", "2022-07", 2), ("BFA/Est", "2022-05", 2),
        ("BFA/Est", "2023-02", 2), ("BFA/Sahel", "2023-02", 1), ("BFA/Centre-Nord", "2023-03", 2),
        ("BFA/Nord", "2023-03", 2), ("BFA/Centre-Est", "2023-04", 2),
        ("BFA/Boucle du Mouhoun", "2023-05", 2), ("BFA/Sahel", "2023-12", 2),
        ("BFA/Est", "2024-02", 2), ("BFA/Centre-Est", "2024-04", 2),
        ("BFA/Boucle du Mouhoun", "2024-06", 2), ("BFA/Centre-Nord", "2024-08", 2),
        ("BFA/Est", "2024-08", 2),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("iso3", "admin1", "period"),
    [
        ("MLI", None, "2022-03"),  # the March 2022 peak, level 2
        ("MLI", None, "2023-09"),  # a 1-year high under the March 2022 peak: level 1
        ("BFA", None, "2023-02"),  # level 2; March and April 2023 higher but masked
        ("MLI", "Kidal", "2024-07"),  # a region of few deaths, July 2024
    ],
)
def test_alert_numbers_by_hand(real_alerts, workbooks, iso3, admin1, period) -> None:
    frame = workbooks[iso3]
    monthly = _monthly(frame if admin1 is None else frame[frame["Admin1"] == admin1])
    months = list(monthly.index)
    assert len(months) == 28 * 12  # every month of 1997-2024 has its rows, zeros included
    i = months.index(period)
    unit = iso3 if admin1 is None else f"{iso3}/{admin1}"
    [alert] = [a for a in real_alerts if a.unit_id == unit and a.period == period]
    before12, before36 = monthly.iloc[i - 12 : i], monthly.iloc[i - 36 : i]
    value = monthly.iloc[i]
    assert alert.value == value >= 100
    assert alert.evidence["prior_max_12_months"] == before12.max() <= value
    assert alert.evidence["prior_max_12_month"] == before12[before12 == before12.max()].index[-1]
    level2 = value >= before36.max()
    assert alert.level == (2 if level2 else 1)
    assert alert.threshold == (before36.max() if level2 else before12.max())
    window = before36 if level2 else before12
    assert alert.evidence["window"] == {k: int(v) for k, v in window.items()}
    higher = monthly.iloc[:i][monthly.iloc[:i] > value]
    assert alert.evidence["highest_since"] == (higher.index[-1] if len(higher) else None)

    # The signals of the next five months of equal or lower level are masked, and listed.
    def level(j: int) -> int:
        v = monthly.iloc[j]
        return (
            0
            if v < 100
            else 2
            if v >= monthly.iloc[j - 36 : j].max()
            else int(v >= monthly.iloc[j - 12 : j].max())
        )

    masked = [months[j] for j in range(i + 1, i + 6) if 0 < level(j) <= alert.level]
    assert alert.evidence["masked_signals"] == masked


def test_country_sums_match_the_published_yearly_totals(workbooks) -> None:
    """The yearly totals the data README gives for these files (political violence)."""
    totals = {
        iso3: frame.groupby("Year")["Fatalities"].sum().to_dict()
        for iso3, frame in workbooks.items()
    }
    assert [totals["MLI"][y] for y in (2021, 2022, 2023, 2024)] == [1907, 4847, 4326, 4023]
    assert [totals["BFA"][y] for y in (2022, 2023, 2024)] == [4227, 8498, 7522]
