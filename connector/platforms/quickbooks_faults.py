"""The one place python-quickbooks faults become Milepost's error tree.

python-quickbooks drops the HTTP status and headers, so the session that made the request
(`quickbooks_client.TimedSession`) remembers the last status and `intuit_tid`, and the gateway
passes them in. Throttling hides in three shapes: a 10000 "Error reading json response" with an
XML ThrottleExceeded body, a 10000 "status code '429'", and a JSON Fault with code 3001 that the
SDK files as a ValidationException.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from quickbooks import exceptions as qbe

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

PLATFORM = "quickbooks"
_THROTTLE = re.compile(r"ThrottleExceeded|statusCode=429|status code '429'|errorCode=003001")
_STATUS_IN_MESSAGE = re.compile(r"status code '(\d{3})'")
_CONFLICT_CODES = {"5010", "6140", "6240"}  # stale SyncToken, duplicate DocNumber, duplicate name


def _parse_retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def translate_quickbooks_error(
    exc: BaseException,
    *,
    status: int | None = None,
    request_id: str | None = None,
    retry_after: str | None = None,
    creating: bool = False,
) -> PlatformError:
    """Turn an SDK or transport exception into the matching PlatformError.

    `creating` marks a create whose request may have reached QuickBooks: a lost answer then
    becomes OutcomeUnknown, so the caller looks the key up before trying again.
    """
    common: dict[str, Any] = {"request_id": request_id, "platform": PLATFORM}
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return NetworkError(f"could not reach QuickBooks: {type(exc).__name__}", **common)
    if isinstance(exc, requests.exceptions.RequestException):
        kind: type[PlatformError] = OutcomeUnknown if creating else NetworkError
        return kind(f"no answer from QuickBooks: {type(exc).__name__}", **common)
    if not isinstance(exc, qbe.QuickbooksException):
        return PlatformError(f"unexpected failure: {type(exc).__name__}", **common)

    code = str(exc.error_code) if exc.error_code not in (None, "") else None
    message, detail = str(exc.message or ""), str(exc.detail or "")
    text = f"{message} {detail}"
    args: dict[str, Any] = {"code": code, "detail": detail, **common}
    if _THROTTLE.search(text) or code == "3001" or status == 429:
        return RateLimited(
            _short(message, "ThrottleExceeded"), retry_after=_parse_retry_after(retry_after), **args
        )
    if isinstance(exc, qbe.AuthorizationException) or status in (401, 403):
        return AuthError(_short(message, "authentication failed"), **args)
    http_status = status or _status_from_message(message)
    if http_status is not None and http_status >= 500:
        server_kind: type[PlatformError] = OutcomeUnknown if creating else ServerError
        return server_kind(f"QuickBooks answered {http_status}", **args)
    if isinstance(exc, qbe.ObjectNotFoundException):
        return NotFound(message, **args)
    if code in _CONFLICT_CODES:
        return Conflict(message, **args)
    if isinstance(exc, qbe.ValidationException | qbe.GeneralException | qbe.UnsupportedException):
        return ValidationRejected(message, **args)
    if code == "10000" and http_status is None:
        return ServerError(_short(message, "unreadable answer"), **args)
    return ValidationRejected(message, **args)


def _status_from_message(message: str) -> int | None:
    match = _STATUS_IN_MESSAGE.search(message)
    return int(match.group(1)) if match else None


def _short(message: str, fallback: str) -> str:
    """The SDK pastes whole response bodies into messages; keep the first meaningful words."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first[:300] or fallback
