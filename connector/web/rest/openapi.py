"""The OpenAPI 3.1 document, built from the route table and the models' JSON Schemas.

Nothing here is written by hand but prose: each operation comes from a `Route` (method, path,
scope, summary), its request body from the pydantic model that checks it (`bodies`), its
answers from the models every answer is built through (`answers`), its errors from the
problem model (`problems`), its query parameters from the query model (`paging`). Served at
`GET /api/v1/openapi.json`; built once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.routing import Rule

from connector.billing.schema import KEY_PATTERN

from ..path_bounds import MAX_ID
from .problems import PROBLEM_JSON, ProblemDetails
from .routes import PREFIX, ROUTES, Route

REF = "#/components/schemas/{model}"
Refs = dict[Any, Any]  # (model, mode) -> {"$ref": ...}
SECURITY_SCHEMES = {
    "bearerKey": {"type": "http", "scheme": "bearer",
                  "description": "an API key: `Authorization: Bearer KEY`"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "the same API key in `X-API-Key`"},
}
DESCRIPTION = (
    "Milestone billing for QuickBooks Online and Xero: schedules, milestone steps with evidence, "
    "voids and credits, and read access to projects, milestones, invoices, payments and history. "
    "Authenticate with an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`); each "
    "operation names the scope it needs (`read` or `write`) in its security requirement. Amounts "
    "are decimal strings. Every refusal is `application/problem+json` (RFC 9457) whose `errors` "
    "lists each problem as field, rule and message. Lists are cursor pages: pass `next_cursor` "
    "back as `cursor` (or follow `next`), and `updated_since` to read only what changed."
)
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 400: "The input breaks a rule; nothing was written",
               401: "No valid API key", 403: "The key lacks the scope this needs",
               404: "No such record (or a path naming nothing storable)",
               409: "The record's state does not allow this; nothing was written",
               413: "The body is too large"}
ANSWER_HEADERS: dict[str, dict[str, Any]] = {
    "Link": {"description": 'the next page: `<URL>; rel="next"` (absent on the last page)',
             "schema": {"type": "string"}},
    "Location": {"description": "the new record's URL", "schema": {"type": "string"}},
    "WWW-Authenticate": {"schema": {"type": "string"}},
}


def _version() -> str:
    try:
        return version("milepost")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        return "0"


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ProblemDetails, "serialization"): None}
    for r in ROUTES.values():
        for model in (r.body, r.form):
            if model is not None:
                found[(model, "validation")] = None
        for answer in r.answers.values():
            if answer is not None:
                found[(answer, "serialization")] = None
    return list(found)


def _clean(schema: Any) -> Any:
    """Drop `default: null` where the type does not allow null (a field left out is absent)."""
    if isinstance(schema, dict):
        out = {k: _clean(v) for k, v in schema.items()}
        if "default" in out and out["default"] is None and out.get("type") not in (None, "null"):
            types = out["type"] if isinstance(out.get("type"), list) else [out.get("type")]
            if "null" not in types:
                del out["default"]
        return out
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


def _path_parameter(route: Route, name: str, kind: str) -> dict[str, Any]:
    if name in route.enums:
        schema: dict[str, Any] = {"type": "string", "enum": list(route.enums[name])}
    elif kind == "int":
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    elif name == "key":
        schema = {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"}
    else:
        schema = {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(route: Route) -> list[dict[str, Any]]:
    if route.query is None:
        return []
    schema = _clean(route.query.model_json_schema())
    return [{"name": name, "in": "query", "required": False,
             "schema": {k: v for k, v in prop.items() if k != "title"}}
            for name, prop in schema.get("properties", {}).items()]


def _responses(route: Route, refs: Refs) -> dict[str, Any]:
    problem = {PROBLEM_JSON: {"schema": refs[(ProblemDetails, "serialization")]}}
    out: dict[str, Any] = {}
    for status in route.statuses():
        answer: dict[str, Any] = {"description": STATUS_TEXT.get(status, "")}
        if status in route.answers:
            model = route.answers[status]
            if model is not None:
                answer["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
            named = route.headers.get(status, {})
            if named:
                answer["headers"] = {h: {**ANSWER_HEADERS[h], "description": text} for h, text in named.items()}
        else:
            answer["content"] = problem
            if status == 401:
                answer["headers"] = {"WWW-Authenticate": ANSWER_HEADERS["WWW-Authenticate"]}
        out[str(status)] = answer
    return out


def _operation(route: Route, refs: Refs) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id, "summary": route.summary, "tags": [route.tag],
        "parameters": [*(_path_parameter(route, n, k) for n, k in route.path_parameters()),
                       *_query_parameters(route)],
        "responses": _responses(route, refs),
        "security": [] if route.scope is None else [{name: [route.scope]} for name in SECURITY_SCHEMES],
    }
    if route.description:
        operation["description"] = route.description
    content: dict[str, Any] = {}
    if route.body is not None:
        content["application/json"] = {"schema": refs[(route.body, "validation")]}
    if route.form is not None:
        content["multipart/form-data"] = {"schema": refs[(route.form, "validation")]}
    if content:
        operation["requestBody"] = {"required": True, "content": content}
    if not operation["parameters"]:
        del operation["parameters"]
    return operation


@functools.cache
def document() -> dict[str, Any]:
    """The whole document (the same object every call: do not change it)."""
    refs, definitions = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES.values():
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Milepost API", "version": _version(), "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": _clean(definitions.get("$defs", {})),
                       "securitySchemes": SECURITY_SCHEMES},
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "tags": [{"name": t} for t in dict.fromkeys(r.tag for r in ROUTES.values())],
    }


def undocumented(rules: Iterable[Rule]) -> list[str]:
    """`METHOD /rule` of each API rule the table does not declare (so the document lacks it)."""
    missing = []
    for rule in rules:
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in ROUTES:
                missing.append(f"{method} {rule.rule}")
    return missing
