"""Reading a JSON request body without letting its nesting decide what happens.

Python's parser recurses once per `[` or `{`, so a body nested 20,000 deep raises
RecursionError (not ValueError) deep inside it; counting the brackets first, outside strings,
refuses such a body before any parser sees it. The size is bounded by Flask's
MAX_CONTENT_LENGTH (create_app), answered 413.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # a schedule is 5 deep; webhooks from QuickBooks and Xero 5
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class BodyRefused(ValueError):
    """The body is not JSON, or is nested deeper than MAX_DEPTH; `rule` names which."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def too_deep(data: bytes, limit: int = MAX_DEPTH) -> bool:
    depth = 0
    for token in _TOKEN.finditer(data):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in (b"]", b"}"):
            depth -= 1
    return False


def read_json(data: bytes, limit: int = MAX_DEPTH) -> Any:
    """The parsed body; BodyRefused when it is nested too deeply or is not JSON."""
    if too_deep(data, limit):
        raise BodyRefused("too_deep", f"the JSON is nested more than {limit} levels deep")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise BodyRefused("json", f"not JSON: {str(error)[:200]}") from error
