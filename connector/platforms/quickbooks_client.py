"""Building python-quickbooks clients the way a multi-company service needs them.

python-quickbooks has traps for a service like ours (API-NOTES 1.1): its constructor refreshes
tokens when it has no access token, its session has no timeout, it parses amounts as floats
unless told otherwise, and its exceptions forget the HTTP status and `intuit_tid`. So a client
here is built per connection (one per gateway and thread, its session given the current token
before each call), from an access token custody already made fresh,
with `use_decimal=True`, pointed at the configured API URL, and given a `TimedSession` that
sets a timeout on every request and remembers what the last answer's status and ids were.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from quickbooks import QuickBooks

from .answers import REQUEST_ID_HEADERS, answered
from .endpoints import QuickBooksEndpoints


class TimedSession(requests.Session):
    """The session python-quickbooks sends through: a timeout always, and the last answer's
    status, `intuit_tid` and `Retry-After` kept for the fault translator (and each answer
    logged with its `intuit_tid`, `answers.answered`)."""

    def __init__(self, access_token: str, timeout: float) -> None:
        super().__init__()
        self.access_token = access_token  # read by QuickBooks.process_request
        self.timeout = timeout
        self.last_status: int | None = None
        self.last_request_id: str | None = None
        self.last_retry_after: str | None = None
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}  # merge_environment_settings

    def __repr__(self) -> str:
        return f"TimedSession(timeout={self.timeout})"

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        """requests reads the proxy and CA bundle variables from the environment on every request
        (a walk over all of it, several times: more CPU than the rest of the request's own
        work); read here once per host for the life of this session (one drain pass or sync)."""
        target = urlsplit(url.decode() if isinstance(url, bytes) else url or "")
        key = (target.scheme, target.netloc, tuple(sorted((proxies or {}).items())), stream, verify,
               cert if not isinstance(cert, list) else tuple(cert))
        found = self._environment.get(key)
        if found is None:
            found = self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        return {name: dict(value) if isinstance(value, dict) else value for name, value in found.items()}

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        self.last_status = self.last_request_id = self.last_retry_after = None
        started = time.monotonic()
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        self.last_status = response.status_code
        self.last_request_id = response.headers.get(REQUEST_ID_HEADERS["quickbooks"])
        self.last_retry_after = response.headers.get("Retry-After")
        answered("quickbooks", method, url, self.last_status, self.last_request_id, started)
        return response


@dataclass
class _GrantView:
    """What QuickBooks' constructor reads from an intuit-oauth AuthClient, and nothing more: an
    access token is present, so the constructor never refreshes behind custody's back."""

    client_id: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    environment: str = "production"


def build_client(
    endpoints: QuickBooksEndpoints,
    realm_id: str,
    access_token: str,
    session: TimedSession | None = None,
) -> QuickBooks:
    """A client for one company, never the library's global one."""
    client = QuickBooks(
        auth_client=_GrantView(endpoints.client_id, access_token),
        company_id=realm_id,
        minorversion=endpoints.minor_version,
        use_decimal=True,
    )
    client.api_url_v3 = endpoints.api_url
    client.sandbox_api_url_v3 = endpoints.api_url
    client.session = session or TimedSession(access_token, endpoints.timeout_seconds)
    return client


def quote(value: str) -> str:
    """A string literal for QuickBooks' query language (quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def select(entity: str, condition: str = "") -> str:
    """A QuickBooks query; every value inside `condition` must have come through `quote`."""
    where = f" WHERE {condition}" if condition else ""
    return f"SELECT * FROM {entity}{where}"  # noqa: S608 - QuickBooks' query language, not SQL
