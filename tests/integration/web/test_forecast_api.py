"""`GET /api/v1/forecast`: the same figures as `milepost forecast`, bad parameters named."""

from __future__ import annotations

import pytest

from tests.integration.cli import books_history

from .projects import AUTH


@pytest.fixture
def client(app, database_url, tmp_path):  # type: ignore[no-untyped-def]
    books_history.build(books_history.cli(database_url, tmp_path), tmp_path, database_url)
    return app.test_client()


def get(client, query: str):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/forecast{query}", headers=AUTH)


def test_the_forecast_of_one_project_names_what_it_is_made_of(client):
    answer = get(client, "?project=ACME-WEB&weeks=12&at=2026-12-02")
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert data["as_of"] == "2026-12-02"
    assert data["weeks"][0] == {"week": 1, "start": "2026-11-30", "end": "2026-12-06"}
    usd = {w["week"]: w["expected"] for w in data["currencies"]["USD"]["weeks"] if w["expected"] != "0.00"}
    assert usd == {1: "146.91", 3: "370.37", 12: "617.29"}
    assert [(i["source"], i["seq"], i["invoice"], i["amount"], i["expected"]) for i in data["items"]] == [
        ("invoice", 1, "1041", "146.91", "2026-12-01"),
        ("submitted", 2, None, "370.37", "2026-12-17"),
        ("planned", 3, None, "617.29", "2027-02-16"),
    ]
    assert data["drafts"] == []
    assert data["undated"] == []


def test_every_project_by_default_each_currency_apart(client):
    data = get(client, "?at=2026-12-02").get_json()
    assert sorted(data["currencies"]) == ["EUR", "USD"]
    assert len(data["weeks"]) == 12
    assert data["currencies"]["EUR"]["total"]["expected"] == "1234.57"


@pytest.mark.parametrize(("query", "status", "problems"), [
    ("?weeks=0", 400, {("weeks", "out_of_range")}),
    ("?weeks=twelve&at=1-2-3", 400, {("weeks", "out_of_range"), ("at", "iso_date")}),
    ("?at=1999-12-31", 400, {("at", "date_out_of_range")}),
    ("?projects=ACME-WEB", 400, {("projects", "unknown_field")}),
    ("?project=NO-SUCH", 404, {("project", "not_found")}),
])
def test_bad_parameters_are_answered_in_the_error_shape(client, query, status, problems):
    answer = get(client, query)
    assert answer.status_code == status
    assert {(p["field"], p["rule"]) for p in answer.get_json()["errors"]} == problems


def test_no_key_no_forecast(client):
    assert client.get("/api/v1/forecast").status_code == 401
