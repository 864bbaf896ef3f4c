"""QuickBooks webhooks from the sandbox: batched change notices, signed over the raw body.

The signature is checked here by an independent HMAC-SHA256 over the exact bytes a tiny local
receiver got, not by the sandbox's own signing function.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .quickbooks_support import new_customer, new_invoice, pay


class Receiver:
    """A webhook endpoint on a free loopback port that keeps every raw delivery."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/quickbooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()
    endpoint.thread.join(timeout=5)


def independent_signature(key: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def test_changes_in_one_window_arrive_in_one_signed_classic_notification(sandbox, qb, qbo_info,
                                                                         receiver):
    sandbox.control.configure_webhooks("quickbooks", receiver.url, window_seconds=60)
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    sandbox.control.flush_webhooks("quickbooks")

    assert len(receiver.deliveries) == 1
    headers, raw = receiver.deliveries[0]
    assert headers["intuit-signature"] == independent_signature(
        qbo_info["webhook_verifier_token"], raw)
    notice = json.loads(raw)["eventNotifications"][0]
    assert notice["realmId"] == qb.company_id
    entities = [(e["name"], e["id"], e["operation"])
                for e in notice["dataChangeEvent"]["entities"]]
    assert entities == [("Customer", customer.Id, "Create"), ("Invoice", invoice.Id, "Create")]


def test_a_payment_notifies_the_payment_and_the_invoice_it_settles(sandbox, qb, receiver):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    sandbox.control.configure_webhooks("quickbooks", receiver.url, window_seconds=60)

    payment = pay(qb, invoice, "100.00")
    sandbox.control.flush_webhooks("quickbooks")

    raw = receiver.deliveries[0][1]
    entities = json.loads(raw)["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Payment", payment.Id, "Create"), ("Invoice", invoice.Id, "Update")]


def test_cloudevents_format_is_an_array_of_typed_events(sandbox, qb, qbo_info, receiver):
    sandbox.control.configure_webhooks("quickbooks", receiver.url, format="cloudevents",
                                       window_seconds=60)
    customer = new_customer(qb, "Harbour Lofts LLC")
    new_invoice(qb, customer, "100.00").delete(qb=qb)

    sandbox.control.flush_webhooks("quickbooks")

    headers, raw = receiver.deliveries[0]
    assert headers["intuit-signature"] == independent_signature(
        qbo_info["webhook_verifier_token"], raw)
    events = json.loads(raw)
    assert [e["type"] for e in events] == [
        "qbo.customer.created.v1", "qbo.invoice.created.v1", "qbo.invoice.deleted.v1"]
    assert {e["intuitaccountid"] for e in events} == {qb.company_id}
    assert all(e["specversion"] == "1.0" for e in events)


def test_with_a_zero_window_each_change_is_delivered_in_the_background(sandbox, qb, receiver):
    sandbox.control.configure_webhooks("quickbooks", receiver.url, window_seconds=0)

    new_customer(qb, "Harbour Lofts LLC")
    receiver.wait_for(1)

    assert len(receiver.deliveries) == 1
    log = sandbox.control.webhook_log("quickbooks")
    assert [(row["url"], row["status"]) for row in log] == [(receiver.url, 200)]


def test_disabled_webhooks_deliver_nothing(sandbox, qb, receiver):
    sandbox.control.configure_webhooks("quickbooks", receiver.url, window_seconds=60,
                                       enabled=False)
    new_customer(qb, "Harbour Lofts LLC")

    assert sandbox.control.flush_webhooks("quickbooks") == []
    assert receiver.deliveries == []
