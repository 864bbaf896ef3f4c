"""Fake remotes for unit tests: plain functions of the request, behind the SDKs' own transports.

The SDKs run unmodified; only the socket is replaced, so their parsing of statuses, bodies and
headers (and their quirks) is what the tests exercise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import urllib3

from connector.platforms.custody import TokenSet
from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints

ACCESS_TOKEN = "AT-very-secret-access-token"
REFRESH_TOKEN = "RT-very-secret-refresh-token"

Answer = tuple[int, str, dict[str, str]] | BaseException


def tokens() -> TokenSet:
    return TokenSet(
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        access_expires_at=datetime.now(UTC) + timedelta(hours=1),
        scope=("accounting.transactions",),
    )


QB_ENDPOINTS = QuickBooksEndpoints(
    api_url="https://qb.test/v3",
    token_url="https://qb.test/token",
    revoke_url="https://qb.test/revoke",
    client_id="client",
    client_secret="client-secret-value",
)
XERO_ENDPOINTS = XeroEndpoints(
    api_url="https://xero.test/api.xro/2.0",
    identity_url="https://xero.test",
    token_url="https://xero.test/connect/token",
    revoke_url="https://xero.test/connect/revocation",
    client_id="client",
    client_secret="client-secret-value",
)


class ScriptedRemote:
    """Answers requests from a script; the last answer repeats. `route` may pick per request."""

    def __init__(self, *answers: Answer, route: Callable[[str, str], Answer | None] | None = None) -> None:
        self.answers = list(answers)
        self.route = route
        self.calls: list[tuple[str, str]] = []

    def next_answer(self, method: str, url: str) -> Answer:
        self.calls.append((method, url))
        if self.route is not None and (routed := self.route(method, url)) is not None:
            return routed
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def count(self, fragment: str = "") -> int:
        return sum(1 for _, url in self.calls if fragment in url)


class RequestsTransport(requests.adapters.BaseAdapter):
    """A requests adapter (python-quickbooks) backed by a ScriptedRemote."""

    def __init__(self, remote: ScriptedRemote) -> None:
        super().__init__()
        self.remote = remote

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        answer = self.remote.next_answer(str(request.method), str(request.url))
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = body.encode()
        response.headers.update(headers)
        response.request = request
        response.url = str(request.url)
        return response

    def close(self) -> None:
        pass


class PoolManagerStandIn:
    """Replaces xero-python's urllib3 PoolManager; answers from a ScriptedRemote."""

    def __init__(self, remote: ScriptedRemote) -> None:
        self.remote = remote
        self.connection_pool_kw: dict[str, Any] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> urllib3.HTTPResponse:
        answer = self.remote.next_answer(method, url)
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = answer
        return urllib3.HTTPResponse(
            body=body.encode(), status=status, headers=headers, reason="scripted", preload_content=True
        )


def qbo_fault(code: str, message: str, detail: str = "", kind: str = "ValidationFault") -> str:
    return json.dumps(
        {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind}}
    )


THROTTLE_XML = (
    '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
    "errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try again "
    "later</Detail></Error></Fault></IntuitResponse>"
)
