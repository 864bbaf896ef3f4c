"""The one place xero-python faults become Milepost's error tree.

xero-python raises `ApiException` subclasses carrying the HTTP status and headers: 429 is a
`RateLimitException` whose `rate_limit` says which limit (minute, day, concurrent) and whose
`Retry-After` header says how long; 400 is an `AccountingBadRequestException` whose `error_data`
holds Xero's ValidationErrors. Transport failures come straight from urllib3.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import urllib3
from xero_python import exceptions as xe

from .errors import (
    AuthError,
    Conflict,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    ServerError,
    ValidationRejected,
)

PLATFORM = "xero"
_DUPLICATE_WORDS = ("already assigned", "already exists", "must be unique", "duplicate")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = _header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _validation_messages(body: Any) -> list[str]:
    """Collect Xero's ValidationErrors from a 400 body, whatever level they sit at."""
    if not isinstance(body, dict):
        return []
    found = [str(e.get("Message")) for e in body.get("ValidationErrors") or [] if e.get("Message")]
    for element in body.get("Elements") or []:
        found.extend(_validation_messages(element))
    return found


def _body(exc: xe.ApiException) -> Any:
    raw = exc.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


def translate_xero_error(exc: BaseException, *, creating: bool = False) -> PlatformError:
    """Turn an SDK or transport exception into the matching PlatformError.

    `creating` marks a create that may have reached Xero: a lost answer or a 5xx then becomes
    OutcomeUnknown, so the caller looks the Reference up before trying again.
    """
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        connect = isinstance(exc, urllib3.exceptions.NewConnectionError) or (
            isinstance(exc, urllib3.exceptions.MaxRetryError)
            and isinstance(exc.reason, urllib3.exceptions.NewConnectionError)
        )
        kind = OutcomeUnknown if creating and not connect else NetworkError
        return kind(f"no answer from Xero: {type(exc).__name__}", platform=PLATFORM)
    if isinstance(exc, xe.AccessTokenExpiredError):
        return AuthError("access token expired", platform=PLATFORM)
    if not isinstance(exc, xe.ApiException):
        return PlatformError(f"unexpected failure: {type(exc).__name__}", platform=PLATFORM)
    return _from_status(exc, creating)


def _from_status(exc: xe.ApiException, creating: bool) -> PlatformError:
    headers = exc.headers
    status = int(getattr(exc.http_resp, "status", None) or exc.status or 0)
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "request_id": _header(headers, "Xero-Correlation-Id"),
    }
    body = _body(exc)
    if status == 429 or isinstance(exc, xe.RateLimitException):
        problem = _header(headers, "X-Rate-Limit-Problem")
        return RateLimited(
            f"rate limit reached ({problem or 'unspecified'})",
            retry_after=_retry_after(headers),
            code=problem,
            **common,
        )
    message, code = _message_and_code(body, status)
    if status in (401, 403):
        return AuthError(message, code=code, **common)
    if status == 404:
        return NotFound(message, code=code, **common)
    if status >= 500:
        kind = OutcomeUnknown if creating else ServerError
        return kind(f"Xero answered {status}: {message}", code=code, **common)
    if status == 409 or any(word in message.lower() for word in _DUPLICATE_WORDS):
        return Conflict(message, code=code, **common)
    return ValidationRejected(message, code=code, **common)


def _message_and_code(body: Any, status: int) -> tuple[str, str]:
    if isinstance(body, dict):
        details = _validation_messages(body)
        base = str(body.get("Message") or body.get("Detail") or body.get("Title") or "")
        message = "; ".join(details) or base or f"HTTP {status}"
        code = str(body.get("ErrorNumber") or body.get("Type") or status)
        return message, code
    text = str(body or "").strip()
    return (text[:300] or f"HTTP {status}"), str(status)
