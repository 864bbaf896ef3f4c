"""Scale-out mode: `milepost clock` + `milepost worker --celery` on PostgreSQL and Redis.

The clock is the shipped one (`milepost clock`): it sends a due connection's sync again as
soon as the last one it sent has run, so with a 1 s poll interval each payment comes home
within a clock tick or two, not after a flat 30 s guard per connection.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.e2e.payments import seen, wait_for_state
from tests.jobs_harness import books_invoice, books_payments, stop_process, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_celery_workers_create_the_draft_and_bring_payments_home_by_poll(make_stack, postgres_url) -> None:
    broker = f"redis://127.0.0.1:6379/{(uuid.uuid4().int % 8) + 8}"
    stack = make_stack(postgres_url, sync_seconds=1, broker_url=broker)
    connection, realm = stack.connect_quickbooks()
    env = {"MILEPOST_WORKER__SYNC_SECONDS": "1", "MILEPOST_WORKER__BROKER_URL": broker}
    worker = stack.spawn("worker", "--celery", "--concurrency", "2", **env)
    clock = stack.spawn("clock", **env)

    stack.import_and_accept("ACME-WEB", connection)
    [invoice] = wait_for(stack.invoices, timeout=40)
    assert Decimal(str(books_invoice(stack.sandbox, realm, invoice.platform_id)["TotalAmt"])) == Decimal("10000.00")

    billed = seen(stack)
    assert (billed.state, billed.paid, billed.outstanding) == ("invoiced", 0, Decimal("10000.00"))
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    wait_for(lambda: stack.invoices()[0].amount_paid == Decimal("4000.00"), timeout=40)
    partly = wait_for_state(stack, "partially_paid")
    assert partly.paid == sum(books_payments(stack.sandbox, realm, invoice.platform_id)) == Decimal("4000.00")
    assert partly.outstanding == billed.outstanding - partly.paid
    stack.sandbox.control.record_payment(realm, invoice.platform_id)
    wait_for(lambda: stack.invoices()[0].status == "paid", timeout=40)

    paid = wait_for_state(stack, "paid")
    assert paid.paid == sum(books_payments(stack.sandbox, realm, invoice.platform_id)) == Decimal("10000.00")
    assert paid.outstanding == 0
    assert stop_process(clock) == 0
    assert stop_process(worker) in (0, None)
