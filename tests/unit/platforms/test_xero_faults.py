"""Xero answers -> Milepost errors -> how many times we ask: the failure table.

The unmodified xero-python runs over a scripted stand-in for its urllib3 pool, so its own
exception translation (RateLimitException, AccountingBadRequestException, ...) is exercised.
"""

from __future__ import annotations

import json

import pytest
import urllib3

from connector.platforms import errors
from connector.platforms.retry import platform_retrying
from connector.platforms.xero import XeroGateway

from .fakes import ACCESS_TOKEN, XERO_ENDPOINTS, PoolManagerStandIn, ScriptedRemote, tokens

ATTEMPTS = 3
TENANT = "tenant-1"
CORRELATION = {"Xero-Correlation-Id": "corr-9", "Content-Type": "application/json"}
VALIDATION = json.dumps({
    "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
    "Elements": [{"ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}]}],
})
DUPLICATE = json.dumps({
    "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
    "Elements": [{"ValidationErrors": [{"Message": "The contact name Acme Corp is already assigned to another contact. The contact name must be unique across all active contacts."}]}],
})
EMPTY_CONTACTS = json.dumps({"Contacts": []})


def gateway(remote: ScriptedRemote, sleeps: list[float] | None = None) -> XeroGateway:
    waits = sleeps if sleeps is not None else []
    return XeroGateway(
        XERO_ENDPOINTS,
        TENANT,
        tokens,
        retrying=lambda: platform_retrying(attempts=ATTEMPTS, sleep=waits.append),
        pool_manager=PoolManagerStandIn(remote),
    )


def read_contacts(gw: XeroGateway) -> list:
    return gw.call(lambda api: api.get_contacts(TENANT, _request_timeout=(1, 1))).contacts


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected", "calls"),
    [
        pytest.param(429, "", {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}, errors.RateLimited, ATTEMPTS, id="minute-limit"),
        pytest.param(429, "", {"X-Rate-Limit-Problem": "concurrent"}, errors.RateLimited, ATTEMPTS, id="concurrent-limit"),
        pytest.param(429, "", {"Retry-After": "43200", "X-Rate-Limit-Problem": "day"}, errors.RateLimited, 1, id="day-limit-fails-fast"),
        pytest.param(500, '{"Message": "An error occurred"}', {}, errors.ServerError, ATTEMPTS, id="500"),
        pytest.param(503, "Service Unavailable", {}, errors.ServerError, ATTEMPTS, id="503"),
        pytest.param(400, VALIDATION, {}, errors.ValidationRejected, 1, id="validation"),
        pytest.param(400, DUPLICATE, {}, errors.Conflict, 1, id="duplicate-contact-name"),
        pytest.param(401, '{"Title": "Unauthorized", "Detail": "TokenExpired"}', {}, errors.AuthError, 1, id="401"),
        pytest.param(403, '{"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"}', {}, errors.AuthError, 1, id="403"),
        pytest.param(404, "The resource you're looking for cannot be found", {}, errors.NotFound, 1, id="404"),
    ],
)
def test_each_answer_becomes_its_error_and_only_transient_ones_are_retried(status, body, headers, expected, calls) -> None:
    remote = ScriptedRemote((status, body, {**CORRELATION, **headers}))

    with pytest.raises(expected) as caught:
        read_contacts(gateway(remote))

    assert remote.count("/Contacts") == calls
    assert caught.value.platform == "xero"
    assert caught.value.request_id == "corr-9"


def test_urllib3_never_retries_behind_our_back() -> None:
    """xero-python's pool would silently retry a 429 three times, sleeping Retry-After each
    time; with our client the first 429 reaches the policy at once."""
    remote = ScriptedRemote((429, "", {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}))
    gw = gateway(remote)

    with pytest.raises(errors.RateLimited):
        read_contacts(gw)

    retries = gw._api.api_client.rest_client.pool_manager.connection_pool_kw["retries"]
    assert retries.total == 0
    assert retries.respect_retry_after_header is False


def test_retry_after_is_honoured_and_the_limit_kind_kept() -> None:
    remote = ScriptedRemote((429, "", {"Retry-After": "4", "X-Rate-Limit-Problem": "minute"}), (200, EMPTY_CONTACTS, {}))
    sleeps: list[float] = []

    read_contacts(gateway(remote, sleeps))

    assert sleeps == [4.0]
    assert remote.count("/Contacts") == 2


def test_validation_messages_are_xeros_own_words() -> None:
    remote = ScriptedRemote((400, VALIDATION, CORRELATION))

    with pytest.raises(errors.ValidationRejected) as caught:
        read_contacts(gateway(remote))

    assert "Account code '999' is not a valid code for this document." in str(caught.value)
    assert caught.value.code == "10"


def test_network_errors_are_retried_and_no_token_leaks() -> None:
    remote = ScriptedRemote(urllib3.exceptions.ProtocolError("Connection aborted."))

    with pytest.raises(errors.NetworkError) as caught:
        read_contacts(gateway(remote))

    assert remote.count("/Contacts") == ATTEMPTS
    assert ACCESS_TOKEN not in str(caught.value)


def test_the_bearer_token_comes_from_custody_on_each_request() -> None:
    seen: list[str] = []

    class Recording(PoolManagerStandIn):
        def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(kwargs["headers"]["Authorization"])
            return super().request(method, url, **kwargs)

    gw = XeroGateway(XERO_ENDPOINTS, TENANT, tokens, pool_manager=Recording(ScriptedRemote((200, EMPTY_CONTACTS, {}))))

    read_contacts(gw)

    assert seen == [f"Bearer {ACCESS_TOKEN}"]
