"""Xero's error answers, each in the exact shape the real service sends.

A handler raises `XeroError`; the API layer renders it. Validation failures carry Xero's
`ValidationException` body (ErrorNumber 10) with one element per rejected item, which is what
xero-python turns into `AccountingBadRequestException`.
"""

from __future__ import annotations

import uuid
from typing import Any


class XeroError(Exception):
    """An answer other than 200, with the status, body and extra headers Xero would send."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"Xero answered {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """The RFC 7807-style body Xero's gateway uses for 401/403/429/5xx."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> XeroError:
    """Missing, unknown, expired (`TokenExpired`) or revoked access token."""
    return XeroError(401, problem(401, "Unauthorized", detail),
                     {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'})


def forbidden() -> XeroError:
    """A missing tenant header, or a tenant the token was never connected to."""
    return XeroError(403, problem(403, "Forbidden", "AuthenticationUnsuccessful"))


def insufficient_scope() -> XeroError:
    """A token whose consent lacks every scope the operation lists: Xero's gateway answers 403
    with `AuthorizationUnsuccessful` and says why in WWW-Authenticate (RFC 6750 section 3.1)."""
    return XeroError(403, problem(403, "Forbidden", "AuthorizationUnsuccessful"),
                     {"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


def not_found() -> XeroError:
    return XeroError(404, "The resource you're looking for cannot be found")


def validation_body(elements: list[dict[str, Any]], message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": message or "A validation exception occurred",
    }
    if elements:
        body["Elements"] = elements
    return body


def validation(messages: list[str], element: dict[str, Any] | None = None) -> XeroError:
    """One rejected item (or request) with its messages."""
    item = dict(element or {})
    item["ValidationErrors"] = [{"Message": text} for text in messages]
    return XeroError(400, validation_body([item]))


def bad_request(message: str) -> XeroError:
    """A request Xero refuses before looking at items (bad filter, bad paging...)."""
    return XeroError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})
