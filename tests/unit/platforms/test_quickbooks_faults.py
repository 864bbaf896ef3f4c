"""QuickBooks answers -> Milepost errors -> how many times we ask: the failure table.

Each row is what QuickBooks really sends (status, body, headers), seen through the unmodified
python-quickbooks; the gateway must raise the right error and retry only what can succeed.
"""

from __future__ import annotations

import json

import pytest
import requests

from connector.platforms import errors
from connector.platforms.quickbooks import QuickBooksGateway
from connector.platforms.retry import platform_retrying

from .fakes import (
    ACCESS_TOKEN,
    QB_ENDPOINTS,
    THROTTLE_XML,
    RequestsTransport,
    ScriptedRemote,
    qbo_fault,
    tokens,
)

ATTEMPTS = 3
AUTH_401 = json.dumps({"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                             "detail": "Token expired", "code": "3200"}], "type": "AUTHENTICATION"}})


def gateway(remote: ScriptedRemote, sleeps: list[float] | None = None) -> QuickBooksGateway:
    waits = sleeps if sleeps is not None else []
    return QuickBooksGateway(
        QB_ENDPOINTS,
        "123145",
        tokens,
        retrying=lambda: platform_retrying(attempts=ATTEMPTS, sleep=waits.append),
        transport=RequestsTransport(remote),
    )


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected", "calls"),
    [
        pytest.param(429, THROTTLE_XML, {}, errors.RateLimited, ATTEMPTS, id="xml-throttle"),
        pytest.param(429, qbo_fault("3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429"), {},
                     errors.RateLimited, ATTEMPTS, id="json-throttle-3001"),
        pytest.param(429, '{"message": "too many"}', {}, errors.RateLimited, ATTEMPTS, id="429-no-fault"),
        pytest.param(503, "<html>Service Unavailable</html>", {}, errors.ServerError, ATTEMPTS, id="503-html"),
        pytest.param(500, '{"error": "internal"}', {}, errors.ServerError, ATTEMPTS, id="500-json"),
        pytest.param(400, qbo_fault("6000", "A business validation error has occurred"), {},
                     errors.ValidationRejected, 1, id="validation"),
        pytest.param(400, qbo_fault("2020", "Required param missing, need to supply the required value"), {},
                     errors.ValidationRejected, 1, id="required-param"),
        pytest.param(400, qbo_fault("6240", "Duplicate Name Exists Error"), {}, errors.Conflict, 1, id="duplicate-name"),
        pytest.param(400, qbo_fault("5010", "Stale Object Error"), {}, errors.Conflict, 1, id="stale-synctoken"),
        pytest.param(400, qbo_fault("610", "Object Not Found"), {}, errors.NotFound, 1, id="not-found"),
        pytest.param(401, AUTH_401, {}, errors.AuthError, 1, id="401-token-expired"),
    ],
)
def test_each_answer_becomes_its_error_and_only_transient_ones_are_retried(status, body, headers, expected, calls) -> None:
    remote = ScriptedRemote((status, body, {"intuit_tid": "tid-42", **headers}))

    with pytest.raises(expected) as caught:
        gateway(remote).query("SELECT * FROM Customer", "Customer")

    assert remote.count("/query") == calls
    assert caught.value.platform == "quickbooks"
    assert caught.value.request_id == "tid-42"


def test_network_failures_are_retried_then_reported_as_network_errors() -> None:
    remote = ScriptedRemote(requests.exceptions.ConnectionError("connection refused"))

    with pytest.raises(errors.NetworkError):
        gateway(remote).query("SELECT * FROM Customer", "Customer")

    assert remote.count("/query") == ATTEMPTS


def test_a_throttle_that_clears_is_invisible_to_the_caller() -> None:
    ok = (200, json.dumps({"QueryResponse": {"Customer": [{"Id": "58", "DisplayName": "Acme"}]}}), {})
    remote = ScriptedRemote((429, THROTTLE_XML, {}), ok)

    rows = gateway(remote).query("SELECT * FROM Customer", "Customer")

    assert [row["Id"] for row in rows] == ["58"]
    assert remote.count("/query") == 2


def test_retry_after_from_the_platform_is_honoured() -> None:
    ok = (200, json.dumps({"QueryResponse": {}}), {})
    remote = ScriptedRemote((429, THROTTLE_XML, {"Retry-After": "7"}), ok)
    sleeps: list[float] = []

    gateway(remote, sleeps).query("SELECT * FROM Customer", "Customer")

    assert sleeps == [7.0]


def test_the_platforms_message_code_and_request_id_are_kept_but_never_a_token() -> None:
    body = qbo_fault("6000", "A business validation error has occurred",
                     f"Invalid Reference Id; sent with Bearer {ACCESS_TOKEN} access_token={ACCESS_TOKEN}")
    remote = ScriptedRemote((400, body, {"intuit_tid": "tid-7"}))

    with pytest.raises(errors.ValidationRejected) as caught:
        gateway(remote).query("SELECT * FROM Customer", "Customer")

    shown = str(caught.value)
    assert "A business validation error has occurred" in shown
    assert "code 6000" in shown
    assert "tid-7" in shown
    assert "Invalid Reference Id" in shown
    assert ACCESS_TOKEN not in shown
    assert ACCESS_TOKEN not in repr(caught.value.detail)


def test_every_request_carries_a_timeout() -> None:
    seen: list[object] = []

    class Recording(RequestsTransport):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(kwargs.get("timeout"))
            return super().send(request, **kwargs)

    remote = ScriptedRemote((200, json.dumps({"QueryResponse": {}}), {}))
    gw = QuickBooksGateway(QB_ENDPOINTS, "123145", tokens, transport=Recording(remote))

    gw.query("SELECT * FROM Customer", "Customer")

    assert seen == [QB_ENDPOINTS.timeout_seconds]
