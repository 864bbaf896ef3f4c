"""The API's route table: each endpoint declared once, with what the key must allow and what
goes in and out.

`@route(...)` registers a view on the API blueprint and records a `Route`: its method and path,
the scope a key needs (`read` for GETs, `write` for changes, None for the public description),
the pydantic models of its JSON body, multipart form, query and answers, and the problems it
can answer. The key check (`connector.web.api.authenticate`) reads the scope from here, and the
OpenAPI document (`openapi.py`) is built from these records and the models' JSON Schemas, so
what is described is what is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Blueprint, Request
from pydantic import BaseModel

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
PREFIX = "/api/v1"

blueprint = Blueprint("api", __name__, url_prefix=PREFIX)


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # the Flask rule under the prefix: /projects/<key>/milestones/<int:seq>
    scope: Scope | None
    summary: str
    answers: Mapping[int, type[BaseModel] | None]  # None: no body
    tag: str
    body: type[BaseModel] | None = None  # application/json
    form: type[BaseModel] | None = None  # multipart/form-data, besides the JSON body
    query: type[BaseModel] | None = None
    problems: tuple[int, ...] = ()  # beyond those every route of its kind answers
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # path values allowed
    headers: Mapping[int, Mapping[str, str]] = field(default_factory=dict)  # answer headers
    description: str = ""
    operation_id: str = ""

    @property
    def path(self) -> str:
        """The OpenAPI path: /api/v1/projects/{key}/milestones/{seq}."""
        return PREFIX + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    def path_parameters(self) -> list[tuple[str, str]]:
        """(name, converter) of each path value, in order."""
        return [(name, kind or "string") for kind, name in
                re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", self.rule)]

    def statuses(self) -> list[int]:
        """Every status the route answers: its answers and problems, its kind's problems."""
        found = set(self.answers) | set(self.problems)
        if self.scope is not None:
            found |= {401, 403}
        if self.body is not None or self.form is not None:
            found |= {400, 413}
        if self.query is not None:
            found.add(400)
        if self.path_parameters():
            found.add(404)
        return sorted(found)


ROUTES: dict[tuple[str, str], Route] = {}


def route(method: str, rule: str, *, scope: Scope | None, summary: str, tag: str,
          answers: Mapping[int, type[BaseModel] | None], **details: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the view under `method rule` and record its Route (a view may serve several)."""
    if scope is None and method != "GET":
        raise ValueError("only a GET may be public")

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        taken = sum(1 for r in ROUTES.values() if r.operation_id.split("__")[0] == view.__name__)
        operation = view.__name__ + (f"__{taken + 1}" if taken else "")
        declared = Route(method, rule, scope, summary, answers, tag, operation_id=operation, **details)
        ROUTES[(method, PREFIX + rule)] = declared
        blueprint.add_url_rule(rule, view_func=view, methods=[method], endpoint=view.__name__)
        return view

    return register


def route_of(request: Request) -> Route | None:
    """The declared route the request matched (None: an undeclared one, refused)."""
    rule = request.url_rule
    if rule is None:
        return None
    return ROUTES.get((request.method if request.method != "HEAD" else "GET", rule.rule))
