"""The served OpenAPI document: valid OpenAPI 3.1, public, describing every API route with its
scope, bodies, answers and problems; problem details on every refusal; scopes enforced."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from connector.web.rest.openapi import undocumented

from .conftest import AUTH
from .records import api


def test_the_document_is_served_without_a_key_and_is_valid_openapi_3_1(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.get_json()
    validate(document)  # raises on an invalid document
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"bearerKey", "apiKeyHeader"}


def test_every_api_route_is_in_the_document(app):
    assert undocumented(app.url_map.iter_rules()) == []


def test_each_operation_names_its_scope_and_its_problems(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    reads = paths["/api/v1/invoices"]["get"]
    step = paths["/api/v1/projects/{key}/milestones/{seq}/{action}"]["post"]
    assert reads["security"] == [{"bearerKey": ["read"]}, {"apiKeyHeader": ["read"]}]
    assert step["security"] == [{"bearerKey": ["write"]}, {"apiKeyHeader": ["write"]}]
    assert {"application/json", "multipart/form-data"} == set(step["requestBody"]["content"])
    assert {"200", "400", "401", "403", "404", "409", "413"} == set(step["responses"])
    assert step["responses"]["409"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    assert [p["name"] for p in reads["parameters"]] == ["limit", "cursor", "updated_since", "project"]


def test_the_schedule_body_is_the_schedule_files_own_schema(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    project = schemas["ProjectShape"]["properties"]
    assert project["approval_window_days"]["maximum"] == 60
    assert project["key"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
    assert schemas["ScheduleBody"]["additionalProperties"] is False


def test_a_refusal_is_problem_json_carrying_every_problem(client):
    answer = api(client, "POST", "/projects", AUTH, {"project": {"key": "A B", "payment_terms_days": 400}})
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Bad Request", 400)
    assert body["detail"].startswith(body["errors"][0]["message"])
    assert {("project.key", "bad_key"), ("project.payment_terms_days", "too_large")} <= {
        (p["field"], p["rule"]) for p in body["errors"]}


@pytest.mark.parametrize(("path", "status"), [("/nothing-here", 404), ("/projects/A/report", 401)])
def test_routing_and_key_refusals_are_problem_json_too(client, path, status):
    answer = client.get(f"/api/v1{path}")
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["status"] == status
    assert answer.get_json()["errors"]


