"""schemathesis against the served document (issue 14, "Must show").

The document is loaded from the app itself (`GET /api/v1/openapi.json`), and every operation
in it is called with cases generated from it, on PostgreSQL (whose types are where bad input
used to turn into 500s), with an API key, a project, an invoice and a payment in the store.
Each answer must be no 5xx (the test client raises any exception the app lets out) and must
keep the document's word: a documented status, the documented content type, headers and body
schema. A few examples per operation keep the run short; MILEPOST_SCHEMATHESIS_EXAMPLES=N
runs more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connector.web import api as _routes  # noqa: F401  (declares every route)
from connector.web.rest.openapi import document
from tests.hostile import AUTH, postgres_app

from .records import billed_and_paid, import_project

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EXAMPLES = int(os.environ.get("MILEPOST_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def served() -> Iterator[Flask]:
    with postgres_app() as (app, _engine):
        client = app.test_client()
        import_project(client, AUTH)
        billed_and_paid(app, client, AUTH)
        yield app


@pytest.fixture(scope="module")
def api_schema(served: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served)


# Each operation with valid input, and (when it takes any) with input the document refuses.
OPERATIONS = [(method.upper(), path, mode)
              for path, methods in document()["paths"].items() for method, operation in methods.items()
              for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
              if mode is GenerationMode.POSITIVE or "parameters" in operation or "requestBody" in operation]


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in OPERATIONS])
def test_every_operation_keeps_to_the_document(api_schema, method, path, mode) -> None:  # type: ignore[no-untyped-def]
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def keeps_to_it(case: Any) -> None:
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    keeps_to_it()
