"""Values in URL paths are refused before any view or query sees them.

A project key or token with a NUL, or a milestone number beyond PostgreSQL's `integer`, cannot
name anything stored; sent to the database they are errors (500), not answers. Such a path is
404 Not Found, like any other name that is not there.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort

from connector.billing.schema import text_problem

MAX_ID = 2**31 - 1  # PostgreSQL integer: ids and sequence numbers
MAX_SEGMENT = 2000  # portal tokens are the longest segment (a few hundred characters)


def refuse_unstorable(endpoint: str | None, values: dict[str, Any] | None) -> None:
    for value in (values or {}).values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)
        if isinstance(value, str) and text_problem(value, MAX_SEGMENT):
            abort(404)


def register(app: Flask) -> None:
    app.url_value_preprocessor(refuse_unstorable)
