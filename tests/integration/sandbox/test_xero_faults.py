"""Limits, injected faults and webhooks of the Xero sandbox, as the real SDK experiences them."""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3
from xero_python.accounting import Contact, Contacts, Invoice, Invoices, LineItem
from xero_python.exceptions import HTTPStatusException, RateLimitException

from tests.integration.sandbox.test_xero_harness import (  # noqa: F401 - fixtures
    XeroClient,
    XeroSandbox,
    xero,
    xero_spec,
)


def a_contact(name: str) -> Contacts:
    return Contacts(contacts=[Contact(name=name)])


def test_every_answer_carries_the_remaining_limits(xero: XeroSandbox) -> None:
    client = xero.client()

    client.accounting.get_contacts(xero.tenants[0])
    first = client.headers()
    client.accounting.get_contacts(xero.tenants[0])
    second = client.headers()

    assert int(first["X-MinLimit-Remaining"]) - int(second["X-MinLimit-Remaining"]) == 1
    assert int(first["X-DayLimit-Remaining"]) - int(second["X-DayLimit-Remaining"]) == 1
    assert int(second["X-AppMinLimit-Remaining"]) < 10_000


def test_the_61st_call_in_a_minute_is_a_rate_limit_exception(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.freeze_clock()
    for _ in range(60):
        client.accounting.get_items(xero.tenants[0])

    with pytest.raises(RateLimitException) as raised:
        client.accounting.get_items(xero.tenants[0])

    assert raised.value.status == 429
    assert raised.value.rate_limit == "minute"
    assert 0 < int(raised.value.headers["Retry-After"]) <= 60
    assert client.accounting.get_items(xero.tenants[1]).items, "the other tenant has its own budget"
    xero.control.advance_clock(61)
    assert client.accounting.get_items(xero.tenants[0]).items


def test_an_injected_429_reaches_the_sdk_as_a_rate_limit_exception(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.set_fault("xero", "429", endpoint="GET Contacts", count=1)

    with pytest.raises(RateLimitException):
        client.accounting.get_contacts(xero.tenants[0])

    assert client.accounting.get_contacts(xero.tenants[0]).contacts


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_reach_the_sdk_with_their_status(xero: XeroSandbox, status: int) -> None:
    client = xero.client()
    xero.control.set_fault("xero", str(status), company=xero.tenants[0], endpoint="PUT Contacts")

    with pytest.raises(HTTPStatusException) as raised:
        client.accounting.create_contacts(xero.tenants[0], a_contact("Never Made Ltd"))

    assert raised.value.status == status
    assert client.accounting.get_contacts(xero.tenants[0], where='Name=="Never Made Ltd"').contacts == []


def test_timeout_after_commit_writes_and_a_keyed_retry_gets_the_first_answer(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.set_fault("xero", "timeout_after_commit", endpoint="PUT Contacts", count=1)

    with pytest.raises(urllib3.exceptions.HTTPError):
        client.accounting.create_contacts(xero.tenants[0], a_contact("Lost Answer Ltd"),
                                          idempotency_key="milepost:lost:1")
    retry = client.accounting.create_contacts(xero.tenants[0], a_contact("Lost Answer Ltd"),
                                              idempotency_key="milepost:lost:1")

    found = client.accounting.get_contacts(xero.tenants[0], where='Name=="Lost Answer Ltd"')
    assert [c.contact_id for c in found.contacts] == [retry.contacts[0].contact_id]


class Receiver:
    """A webhook endpoint that checks signatures the way Xero asks a receiver to."""

    def __init__(self, key: str) -> None:
        self.key = key.encode()
        self.bodies: list[bytes] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                expected = base64.b64encode(hmac.new(receiver.key, raw, hashlib.sha256).digest())
                good = hmac.compare_digest(expected, self.headers["x-xero-signature"].encode())
                if good:
                    receiver.bodies.append(raw)
                    receiver.arrived.set()
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/xero"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(xero: XeroSandbox) -> Iterator[Receiver]:
    with Receiver(xero.info["webhook_key"]) as running:
        yield running


def test_intent_to_receive_passes_a_receiver_that_checks_signatures(xero: XeroSandbox,
                                                                   receiver: Receiver) -> None:
    check = xero.control._call("POST", "/xero/webhooks/intent", {"url": receiver.url})

    assert check["passed"] is True
    assert [r["status"] for r in check["rounds"]] == [200, 401, 200, 401]


def test_an_invoice_change_is_posted_signed_with_the_webhook_key(xero: XeroSandbox,
                                                                  receiver: Receiver) -> None:
    # A window no test outlasts: events go out only when flushed, and a flush posts before it
    # answers. (With a zero window a timer thread raced the flush: the contact's event could
    # land after `bodies.clear()`, or set `arrived` before the invoice's event came.)
    xero.control.configure_webhooks("xero", receiver.url, window_seconds=600)
    client = xero.client()
    contact = client.accounting.create_contacts(xero.tenants[0], a_contact("Hook Ltd")).contacts[0]
    xero.control.flush_webhooks("xero")
    receiver.bodies.clear()
    receiver.arrived.clear()

    invoice = client.accounting.create_invoices(xero.tenants[0], Invoices(invoices=[Invoice(
        type="ACCREC", contact=Contact(contact_id=contact.contact_id), date=date(2026, 11, 2),
        line_items=[LineItem(description="M1", quantity=1, unit_amount=Decimal("10"),
                             account_code="200")])])).invoices[0]
    xero.control.flush_webhooks("xero")

    assert receiver.arrived.wait(5)
    events = [e for body in receiver.bodies for e in json.loads(body)["events"]]
    assert {(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events} == {
        ("INVOICE", "CREATE", invoice.invoice_id)}
    assert events[0]["tenantId"] == xero.tenants[0]
    assert all(row["status"] == 200 for row in xero.control.webhook_log("xero"))
