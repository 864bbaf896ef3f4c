"""Every fault a platform can hand us, sorted by what the caller should do about it.

::

    PlatformError(message, code, request_id, platform, detail)
     ├── ConfigurationError        the company lacks an item/account/tax code we were told to use;
     │                             an admin must fix the mapping (the message names the code)
     ├── AuthError                 the access token was refused
     │    └── NeedsReconnect       the refresh token is dead (invalid_grant): an admin reconnects;
     │                             jobs skip the connection instead of crash-looping
     ├── RetriableError            try again later; only these are ever retried (retry.py)
     │    ├── RateLimited          throttled; `retry_after` seconds when the platform said so
     │    │    └── HeldBack        Milepost's own rate gate kept the call back: nothing was sent,
     │    │                        so it costs the caller no attempt; come back later
     │    ├── ServerError          5xx
     │    ├── NetworkError         refused, reset, timed out before a reply
     │    └── OutcomeUnknown       a create whose answer never came: it may have committed, so
     │                             look the key up before trying again
     ├── ValidationRejected        the platform refused the payload; retrying cannot help
     ├── NotFound                  the object is gone
     └── Conflict                  stale SyncToken, duplicate name/number

The message keeps the platform's own words, code and request id (QuickBooks `intuit_tid`, Xero
correlation id) because that is what support asks for; tokens and secrets are scrubbed before a
message is ever built, so an exception can be logged or shown in the admin sync log as it is.
"""

from __future__ import annotations

import re

_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(
        r"(?i)(\b(?:access_token|refresh_token|id_token|client_secret|code|token)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
)


def redact(text: object) -> str:
    """Remove anything that looks like a token or secret from a message meant for people."""
    result = "" if text is None else str(text)
    for pattern in _SECRET_PATTERNS:
        result = pattern.sub(r"\1[redacted]", result)
    return result


class PlatformError(Exception):
    """Root of the tree: a fault from QuickBooks Online or Xero, already made safe to show."""

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        request_id: str | None = None,
        platform: str = "",
        detail: str = "",
    ) -> None:
        self.message = redact(message)
        self.code = None if code is None or code == "" else str(code)
        self.request_id = request_id or None
        self.platform = platform
        self.detail = redact(detail)[:2000]
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.platform or 'platform'}: {self.message}"]
        if self.code:
            parts.append(f"code {self.code}")
        if self.detail and self.detail != self.message:
            parts.append(self.detail)
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return " | ".join(parts)


class ConfigurationError(PlatformError):
    """A code named in the mapping settings does not exist in the company's own lists."""


class AuthError(PlatformError):
    """The platform refused our credentials for this call."""


class NeedsReconnect(AuthError):
    """The grant is gone (invalid_grant); only an admin reconnecting can fix it."""


class RetriableError(PlatformError):
    """A fault that may go away on its own; the retry policy retries only these."""


class RateLimited(RetriableError):
    """Throttled by the platform; `retry_after` is its own advice in seconds, when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class HeldBack(RateLimited):
    """Our own rate gate (limits.py) would not spend the connection's budget now.

    Nothing reached the platform, so this is never the caller's fault: the gate has already
    waited as long as a caller may be held, and the work is put back for a later run rather
    than retried on the spot or counted as a failed attempt.
    """


class ServerError(RetriableError):
    """The platform failed (5xx)."""


class NetworkError(RetriableError):
    """No usable answer arrived: refused, reset or timed out."""


class OutcomeUnknown(RetriableError):
    """A create may or may not have committed; look it up by key before trying again."""


class ValidationRejected(PlatformError):
    """The platform refused the request as invalid; retrying the same request cannot help."""


class NotFound(PlatformError):
    """The object does not exist (any more) on the platform."""


class Conflict(PlatformError):
    """The object changed under us (stale SyncToken) or a unique name/number is taken."""
