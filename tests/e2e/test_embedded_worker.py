"""`milepost worker` (embedded APScheduler) against the sandbox: acceptance to draft invoice in
seconds, payments home by webhook or by poll, and a kill -9 that loses and doubles nothing."""

from __future__ import annotations

import signal
from decimal import Decimal

import pytest
from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.models import JobRunRow
from tests.e2e.payments import pay_in_two
from tests.jobs_harness import books_invoice, stop_process, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("webhooks", [True, False], ids=["webhook", "poll"])
def test_acceptance_becomes_a_draft_and_payments_come_home(make_stack, sqlite_url, webhooks) -> None:
    # With webhooks the poll is an hour away, so only the webhook can bring the payment home.
    stack = make_stack(sqlite_url, sync_seconds=3600 if webhooks else 3)
    connection, realm = stack.connect_quickbooks()
    if webhooks:
        stack.sandbox.control.configure_webhooks(
            "quickbooks", f"{stack.url}/webhooks/quickbooks", window_seconds=0.2, enabled=True)
    worker = stack.spawn("worker", MILEPOST_WORKER__SYNC_SECONDS="3600" if webhooks else "3")

    stack.import_and_accept("ACME-WEB", connection)
    [invoice] = wait_for(stack.invoices, timeout=20)
    assert Decimal(str(books_invoice(stack.sandbox, realm, invoice.platform_id)["TotalAmt"])) == Decimal("10000.00")

    pay_in_two(stack, realm, invoice.platform_id, first="4000.00")

    assert stack.invoices()[0].status == "paid"
    assert stop_process(worker) == 0


def test_kill_9_mid_creation_then_restart_gives_exactly_one_invoice_per_intent(make_stack, sqlite_url) -> None:
    stack = make_stack(sqlite_url)
    connection, realm = stack.connect_quickbooks()
    keys = [f"P{n:02d}" for n in range(8)]
    for key in keys:
        stack.import_and_accept(key, connection)
    stack.sandbox.control.set_latency(quickbooks=0.4)  # slow creates: the kill lands mid-way
    env = {"MILEPOST_RECLAIM_AFTER_SECONDS": "1"}

    first = stack.spawn("worker", **env)
    wait_for(lambda: 0 < len(stack.invoices()) < len(keys), timeout=30, every=0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert "processing" in stack.outbox_statuses() or "pending" in stack.outbox_statuses()

    second = stack.spawn("worker", **env)
    wait_for(lambda: stack.outbox_statuses() == ["done"] * len(keys), timeout=60)
    assert stop_process(second) == 0

    ours = stack.invoices()
    assert len(ours) == len({i.platform_id for i in ours}) == len(keys)
    gateway = stack.context().gateway_for(connection)
    in_books = gateway.query("SELECT * FROM Invoice", "Invoice")  # type: ignore[attr-defined]
    assert sorted(row["DocNumber"] for row in in_books) == sorted({row["DocNumber"] for row in in_books})
    assert len(in_books) == len(keys)
    with session_factory(make_engine(stack.database_url))() as session:
        assert session.scalars(select(JobRunRow.job).where(JobRunRow.job == "drain_outbox")).first()
