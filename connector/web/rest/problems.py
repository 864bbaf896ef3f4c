"""Error answers as RFC 9457 problem details (`application/problem+json`).

Every refusal carries the standard members (`type`, `title`, `status`, `detail`) and the list
Milepost always gave, `errors: [{field, rule, message}]`, naming every problem found, so a
client that read `errors` before reads it still. `type` is `about:blank`: the status says what
kind of problem it is and `title` is its phrase; `detail` is the first problem's message (and
how many more there are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel, Field

from connector.billing.schema import field_name, unknown_field_message

PROBLEM_JSON = "application/problem+json"
Problem = dict[str, str]


class ProblemItem(BaseModel):
    """One problem: the field it is about, the rule it breaks and a message for a person."""

    field: str = Field(description="the field, as `milestones[1].percent`, `body` or `Authorization`")
    rule: str = Field(description="a stable code, as `percent_over_100` or `unknown_field`")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details with every problem found."""

    type: str = Field(default="about:blank", description="about:blank: the status says the kind")
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = Field(min_length=1)


def problem(field: str, rule: str, message: str) -> Problem:
    return {"field": field, "rule": rule, "message": message}


def unknown_fields(body: Mapping[str, Any], known: Iterable[str]) -> list[tuple[str, str, str]]:
    """(field, "unknown_field", message) for each key of a body checked by hand, not a model
    (the inbound hook's envelope, a subscription), worded as the models' refusals are."""
    names = list(known)
    return [(field_name((str(name),)), "unknown_field", unknown_field_message(str(name), names))
            for name in body if name not in names]


def problem_body(status: int, problems: list[Problem]) -> dict[str, object]:
    first = problems[0]["message"] if problems else HTTPStatus(status).phrase
    more = len(problems) - 1
    detail = first if more <= 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "errors": problems}


def problem_response(status: int, *problems: Problem) -> Response:
    """The answer for `problems` (at least one) with `status`."""
    answer = jsonify(problem_body(status, list(problems)))
    answer.status_code = status
    answer.mimetype = PROBLEM_JSON
    return answer
