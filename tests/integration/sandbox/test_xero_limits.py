"""The Xero sandbox's day and concurrency limits per organisation, as the real SDK meets them."""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

import threading

import pytest
import requests
from xero_python.exceptions import RateLimitException

from tests.integration.sandbox.test_xero_harness import (  # noqa: F401 - fixtures
    XeroSandbox,
    xero,
    xero_spec,
)

DAY_LIMIT, PER_MINUTE, CONCURRENT_LIMIT = 5000, 50, 5


def test_the_5001st_call_in_a_day_is_a_day_limit_exception(xero: XeroSandbox) -> None:
    """5,000 raw calls (fast) spread 50 a minute over 100 sandbox minutes, then the SDK's."""
    tenant = xero.tenants[0]
    url = xero.info["api_base"] + "/Organisation"
    xero.control.freeze_clock()
    session = requests.Session()
    day_remaining: list[int] = []
    for minute in range(DAY_LIMIT // PER_MINUTE):
        if minute % 20 == 0:  # an access token lives 30 sandbox minutes
            token = xero.authorize()
            session.headers.update({"Authorization": f"Bearer {token['access_token']}",
                                    "xero-tenant-id": tenant, "Accept": "application/json"})
        for _ in range(PER_MINUTE):
            answer = session.get(url, timeout=10)
            assert answer.status_code == 200, answer.text
            day_remaining.append(int(answer.headers["X-DayLimit-Remaining"]))
        assert int(answer.headers["X-MinLimit-Remaining"]) == 60 - PER_MINUTE
        xero.control.advance_clock(60)

    assert day_remaining == list(range(DAY_LIMIT - 1, -1, -1)), "counts down by one a call"

    client = xero.client()
    with pytest.raises(RateLimitException) as raised:
        client.accounting.get_organisations(tenant)

    assert raised.value.status == 429
    assert raised.value.rate_limit == "day"
    assert raised.value.headers["X-Rate-Limit-Problem"] == "day"
    assert raised.value.headers["X-DayLimit-Remaining"] == "0"
    elapsed = DAY_LIMIT // PER_MINUTE * 60
    assert abs(int(raised.value.headers["Retry-After"]) - (86_400 - elapsed)) <= 1
    assert client.accounting.get_organisations(xero.tenants[1]).organisations, \
        "the other organisation has its own day"

    xero.control.advance_clock(int(raised.value.headers["Retry-After"]))
    client = xero.client()  # the old token outlived its 30 minutes
    assert client.accounting.get_organisations(tenant).organisations
    assert int(client.headers()["X-DayLimit-Remaining"]) == PER_MINUTE - 1, \
        "the first minute's calls left the window; the rest still count"
    session.close()


def test_a_sixth_request_in_flight_is_a_concurrent_limit_exception(xero: XeroSandbox) -> None:
    tenant = xero.tenants[0]
    token = xero.authorize()
    clients = [xero.client(token) for _ in range(CONCURRENT_LIMIT + 1)]
    xero.control.set_latency(xero=1500)
    start = threading.Barrier(len(clients))
    outcomes: list[object] = [None] * len(clients)

    def call(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = clients[index].accounting.get_organisations(tenant)
        except RateLimitException as refused:
            outcomes[index] = refused

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = [o for o in outcomes if isinstance(o, RateLimitException)]
    served = [o for o in outcomes if o is not None and not isinstance(o, RateLimitException)]
    assert len(refused) >= 1, outcomes
    assert len(served) >= 1, outcomes
    for refusal in refused:
        assert refusal.status == 429
        assert refusal.rate_limit == "concurrent"
        assert refusal.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert int(refusal.headers["Retry-After"]) >= 1

    xero.control.set_latency(xero=0)
    assert clients[0].accounting.get_organisations(tenant).organisations, "the slots came back"
    assert clients[0].accounting.get_organisations(xero.tenants[1]).organisations
