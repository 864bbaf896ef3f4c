"""Cursor pages: the query a list takes and the page it answers.

The cursor is opaque to clients: base64url of `{"after": ID}`, the last id of the page just
read (`connector.store.listing` explains why keyset pages stay right while rows are
inserted). A page answers `items`, `next_cursor` and `next` (the URL of the next page, also
sent as `Link: <...>; rel="next"`); both are null on the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, TypeAlias
from urllib.parse import urlencode

from flask import Response, request
from pydantic import AfterValidator, WithJsonSchema

from connector.billing.schema import KEY_PATTERN, key_problem, text_problem, whole_number
from connector.store.listing import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

from ..path_bounds import MAX_ID
from .answers import Answer, send
from .bodies import Body, Instant, checked, refuse
from .problems import Problem, problem

CURSOR = 200


def cursor_for(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def _after(value: Any) -> int | None:
    if value is None:
        return None
    text = str(value)
    try:
        if len(text) > CURSOR:
            raise ValueError(text)
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        after = data["after"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        refuse("bad_cursor", "not a cursor this API gave: start again without one")
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_ID:
        refuse("bad_cursor", "not a cursor this API gave: start again without one")
    return after


def _limit(value: Any) -> int:
    found = whole_number(value, 1, MAX_LIMIT)
    return DEFAULT_LIMIT if found is None else found


def _project(value: Any) -> str | None:
    if value is None:
        return None
    bad = text_problem(str(value), 64) or key_problem(str(value))
    if bad:
        refuse(*bad)
    return str(value)


Limit: TypeAlias = Annotated[Any, AfterValidator(_limit), WithJsonSchema(
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})]
Cursor: TypeAlias = Annotated[Any, AfterValidator(_after), WithJsonSchema(
    {"type": "string", "maxLength": CURSOR, "description": "`next_cursor` of the page before"})]
ProjectKey: TypeAlias = Annotated[Any, AfterValidator(_project), WithJsonSchema(
    {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$", "description": "only this project's"})]


class ListQuery(Body):
    """A page of a list: where to start, how many, and only what changed since when."""

    limit: Limit = None
    cursor: Cursor = None
    updated_since: Annotated[Instant, WithJsonSchema(
        {"type": "string", "format": "date-time",
         "description": "only records changed at or after this instant (with a UTC offset)"})] = None


class ProjectListQuery(ListQuery):
    project: ProjectKey = None


def read_query(model: type[Body]) -> tuple[Body | None, list[Problem]]:
    """The query string as `model` reads it, or every problem (a parameter given twice too)."""
    given = request.args.to_dict(flat=False)
    repeated = [problem(name[:40], "repeated", f"{name[:40]}: give it once") for name, v in given.items() if len(v) > 1]
    parsed, found = checked(model, {name: values[0] for name, values in given.items()})
    if parsed is None or repeated:
        return None, repeated + found
    assert isinstance(parsed, model)
    return parsed, []


def page_request(model: type[ListQuery]) -> tuple[PageRequest | None, list[Problem]]:
    """The page asked for by the query string, or every problem with it."""
    parsed, found = read_query(model)
    if parsed is None:
        return None, found
    assert isinstance(parsed, ListQuery)
    return PageRequest(after=parsed.cursor or 0, limit=parsed.limit or DEFAULT_LIMIT, updated_since=parsed.updated_since,
                       project=getattr(parsed, "project", None)), []


def send_page(model: type[Answer], items: list[Any], last_id: int | None, more: bool) -> Response:
    """The page, with the next page's cursor and URL when more follow."""
    cursor = cursor_for(last_id) if more and last_id is not None else None
    url = None
    if cursor is not None:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        url = f"{request.path}?{urlencode({**args, 'cursor': cursor})}"
    headers = {"Link": f'<{url}>; rel="next"'} if url else {}
    return send(model, {"items": items, "next_cursor": cursor, "next": url}, headers=headers)
