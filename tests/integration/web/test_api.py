"""The REST API: an API key, JSON in and out, every problem named by field and rule."""

from __future__ import annotations

import pytest

from .projects import AUTH, api, broken_schedule, import_and_submit, milestone, report, schedule


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def fields_of(answer) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(p["field"], p["rule"]) for p in answer.get_json()["errors"]}


def test_without_a_valid_api_key_nothing_is_served(client):
    assert client.get("/api/v1/projects/ACME-WEB/report").status_code == 401
    wrong = client.post("/api/v1/schedules", json=schedule(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert fields_of(wrong) == {("Authorization", "api_key")}
    assert client.get("/api/v1/projects/ACME-WEB/report", headers={"X-API-Key": AUTH["Authorization"][7:]}).status_code == 404


def test_importing_a_schedule_stores_it_and_reports_it(client):
    answer = api(client, "POST", "/schedules", schedule())
    assert answer.status_code == 201
    assert answer.get_json()["key"] == "ACME-WEB"
    assert answer.get_json()["milestones"] == 3
    body = report(client)
    assert body["contract_total"] == "1234.57"
    assert [m["state"] for m in body["milestones"]] == ["planned", "planned", "planned"]


def test_a_broken_schedule_gets_every_problem_by_field_and_rule_and_writes_nothing(client):
    answer = api(client, "POST", "/schedules", broken_schedule())

    assert answer.status_code == 400
    assert fields_of(answer) == {
        ("project.currency", "unknown_currency"),
        ("milestones[1].percent", "percent_over_100"),
        ("milestones[2].approver.email", "approver_without_email"),
    }
    assert api(client, "GET", "/projects/ACME-WEB/report").status_code == 404


def test_a_body_that_is_not_a_json_object_is_refused(client):
    answer = client.post("/api/v1/schedules", data="[1, 2]", headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert fields_of(answer) == {("body", "json_object")}


def test_the_same_schedule_twice_is_a_conflict(client):
    api(client, "POST", "/schedules", schedule())
    again = api(client, "POST", "/schedules", schedule())
    assert again.status_code == 409
    assert fields_of(again) == {("project.key", "duplicate")}


def test_an_import_naming_an_unknown_connection_writes_nothing(client):
    answer = api(client, "POST", "/schedules", {**schedule(), "connection": 42})
    assert answer.status_code == 400
    assert fields_of(answer) == {("connection", "unknown_connection")}
    assert api(client, "GET", "/projects/ACME-WEB/report").status_code == 404


def test_submit_then_accept_bills_the_milestone(client):
    import_and_submit(client)
    answer = api(client, "POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana Lee"})
    assert answer.status_code == 200
    assert answer.get_json()["state"] == "invoice_due"
    assert milestone(client)["billed"] == "246.91"


def test_every_problem_in_a_decision_is_named_and_nothing_changes(client):
    import_and_submit(client)
    answer = api(client, "POST", "/projects/ACME-WEB/milestones/1/partial",
                 {"by": "", "percent": 40.0, "at": "2026-11-20T10:00:00", "evidence": "x.pdf"})

    assert answer.status_code == 400
    assert fields_of(answer) == {
        ("by", "required"), ("percent", "decimal_string"), ("at", "timezone"),
        ("evidence", "string_list"),
    }
    assert milestone(client)["state"] == "submitted"


def test_partial_needs_exactly_one_of_percent_and_amount(client):
    import_and_submit(client)
    neither = api(client, "POST", "/projects/ACME-WEB/milestones/1/partial", {"by": "Dana"})
    both = api(client, "POST", "/projects/ACME-WEB/milestones/1/partial",
               {"by": "Dana", "percent": "40", "amount": "10.00"})
    assert fields_of(neither) == {("percent", "one_of")}
    assert fields_of(both) == {("percent", "one_of")}
    ok = api(client, "POST", "/projects/ACME-WEB/milestones/1/partial", {"by": "Dana", "amount": "100.00"})
    assert ok.status_code == 200
    assert milestone(client)["billed"] == "100.00"


def test_a_rejection_without_a_reason_names_the_reason_field(client):
    import_and_submit(client)
    answer = api(client, "POST", "/projects/ACME-WEB/milestones/1/reject", {"by": "Dana"})
    assert answer.status_code == 400
    assert fields_of(answer) == {("reason", "required")}


def test_a_step_the_lifecycle_refuses_is_a_conflict_and_writes_nothing(client):
    import_and_submit(client)
    api(client, "POST", "/projects/ACME-WEB/milestones/1/reject", {"by": "Dana", "reason": "Not yet"})
    answer = api(client, "POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana"})
    assert answer.status_code == 409
    assert answer.get_json()["errors"][0]["field"] == "state"
    assert milestone(client)["state"] == "rejected"


def test_unknown_projects_milestones_and_actions_are_not_found(client):
    api(client, "POST", "/schedules", schedule())
    assert api(client, "POST", "/projects/NOPE/milestones/1/accept", {"by": "x"}).status_code == 404
    assert api(client, "POST", "/projects/ACME-WEB/milestones/9/accept", {"by": "x"}).status_code == 404
    assert api(client, "POST", "/projects/ACME-WEB/milestones/1/approve", {"by": "x"}).status_code == 404
