"""Periods of the actors API and page: a year or a month range; otherwise words (issue 16)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("period", "same_as"), [("2019", "2019-01..2019-12"), ("2019-07", "2019-07..2019-07")]
)
def test_a_year_or_a_month_is_a_period(client: TestClient, period: str, same_as: str) -> None:
    short = client.get("/api/actors", params={"country": "MLI", "period": period})
    full = client.get("/api/actors", params={"country": "MLI", "period": same_as})
    assert short.status_code == 200, short.text
    assert short.json() == full.json() and short.json()
    dyads = client.get("/api/dyads", params={"country": "MLI", "period": period})
    assert dyads.status_code == 200 and dyads.json()["edges"]


def test_civilians_are_not_ranked_among_actors(client: TestClient) -> None:
    rows = client.get("/api/actors", params={"country": "MLI"}).json()
    assert rows and all(r["actor_type"] != "civilians" for r in rows)
    assert "Civilians" not in {r["actor"] for r in rows}


@pytest.mark.parametrize("period", ["abc", "2019-13", "20190", "2019..2020..2021"])
def test_other_periods_are_refused_saying_what_is_expected(client: TestClient, period: str) -> None:
    response = client.get("/api/actors", params={"country": "MLI", "period": period})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == "period"
    expected = "expected a year (2023), a month (2023-07) or a period (2023-07..2024-06)"
    assert expected in error["msg"]
    assert "pattern" not in response.text and "^(" not in response.text  # no regex dump


def test_the_page_refuses_a_period_in_the_readers_language(client: TestClient) -> None:
    page = client.get(
        "/actors", params={"country": "MLI", "period": "abc"}, headers={"Accept-Language": "fr"}
    )
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="fr"' in page.text and "2023-07..2024-06" in page.text
    assert "^(" not in page.text
    assert client.get("/actors", params={"country": "MLI", "period": "2019"}).status_code == 200


def test_the_api_says_it_in_the_readers_language(client: TestClient) -> None:
    response = client.get(
        "/api/actors",
        params={"country": "MLI", "period": "abc"},
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["msg"].startswith("attendu : une année (2023), un mois (2023-07)")
