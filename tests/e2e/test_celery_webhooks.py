"""Scale-out mode, webhooks on: `milepost clock` + `milepost worker --celery` on PostgreSQL and
Redis, with the poll an hour away, so only QuickBooks' signed webhook can bring a payment home.

The clock is the shipped one (`milepost clock`): a webhook marks the connection "sync
requested" and the clock enqueues its sync, again as soon as the last one sent has run. The
generous timeouts are for a busy machine, not for the clock: nothing here measures speed.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.e2e.payments import pay_in_two
from tests.jobs_harness import books_invoice, stop_process, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_celery_workers_bring_payments_home_after_a_webhook(make_stack, postgres_url) -> None:
    broker = f"redis://127.0.0.1:6379/{(uuid.uuid4().int % 8) + 8}"
    stack = make_stack(postgres_url, sync_seconds=3600, broker_url=broker)
    connection, realm = stack.connect_quickbooks()
    stack.sandbox.control.configure_webhooks(
        "quickbooks", f"{stack.url}/webhooks/quickbooks", window_seconds=0.2, enabled=True)
    env = {"MILEPOST_WORKER__SYNC_SECONDS": "3600", "MILEPOST_WORKER__BROKER_URL": broker}
    worker = stack.spawn("worker", "--celery", "--concurrency", "2", **env)
    clock = stack.spawn("clock", **env)

    stack.import_and_accept("ACME-WEB", connection)
    [invoice] = wait_for(stack.invoices, timeout=40)
    assert Decimal(str(books_invoice(stack.sandbox, realm, invoice.platform_id)["TotalAmt"])) == Decimal("10000.00")

    pay_in_two(stack, realm, invoice.platform_id, first="4000.00", timeout=75)

    answers = [d["status"] for d in stack.sandbox.control.webhook_log("quickbooks")
               if d["url"].startswith(stack.url)]
    assert set(answers) == {200}  # the payments came by webhook, each acknowledged
    assert stop_process(clock) == 0
    assert stop_process(worker) in (0, None)
