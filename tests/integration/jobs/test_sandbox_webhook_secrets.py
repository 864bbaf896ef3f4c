"""Issue 10, finding 15: `MILEPOST_SANDBOX_URL` alone is enough for the sandbox's webhooks.

The sandbox signs its QuickBooks deliveries with its verifier token and its Xero ones with its
webhook key (`intuit-signature` / `x-xero-signature`: base64 HMAC-SHA256 of the raw body, per
https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks and
https://developer.xero.com/documentation/guides/webhooks/overview/). Milepost pointed at the
sandbox by that one setting used to know neither secret, so the first signed delivery was
refused with 401 and the change was lost until the next scheduled sync.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from connector.config import load_settings
from connector.platforms.custody import TokenCipher
from connector.store.db import make_engine, migrate
from jobs.runner import run_job
from jobs.tables import SyncStateRow, WebhookEventRow
from tests.jobs_harness import Stack


@pytest.fixture
def configured_by_url_only(sandbox, sqlite_url, tmp_path, monkeypatch) -> Iterator[Stack]:
    """Milepost configured as an operator would for the sandbox: its URL and a token key."""
    monkeypatch.chdir(tmp_path)  # no milepost.toml
    sandbox.control.reset()
    key = TokenCipher.generate_key()
    settings = load_settings(environ={"MILEPOST_SANDBOX_URL": sandbox.url,
                                      "MILEPOST_DATABASE_URL": sqlite_url,
                                      "MILEPOST_TOKEN_KEYS": key})
    assert (settings.quickbooks.webhook_verifier_token, settings.xero.webhook_key) == (None, None)
    engine = make_engine(sqlite_url)
    migrate(engine)
    engine.dispose()
    stack = Stack(sandbox, sqlite_url, settings, key)
    stack.start_web()
    try:
        yield stack
    finally:
        stack.stop()


def taken(stack: Stack, connection_id: int) -> tuple[int, bool]:
    """(events recorded for the connection, whether a sync of it was requested), once the
    worker's `process_webhooks` has read the stored deliveries (issue 9: receivers only store)."""
    run_job(stack.context(), "process_webhooks")
    with stack.reading() as session:
        events = session.scalar(select(func.count()).select_from(WebhookEventRow)
                                .where(WebhookEventRow.connection_id == connection_id))
        state = session.get(SyncStateRow, connection_id)
    return int(events or 0), state is not None and state.requested_at is not None


def test_the_sandboxs_first_signed_quickbooks_delivery_is_accepted(configured_by_url_only) -> None:
    stack = configured_by_url_only
    connection_id, realm = stack.connect_quickbooks()
    invoice = stack.sandbox.control.seed_quickbooks(realm, customers=1, invoices=1)["invoices"]
    stack.sandbox.control.configure_webhooks("quickbooks", f"{stack.url}/webhooks/quickbooks",
                                             window_seconds=60)

    stack.sandbox.control.void_invoice(realm, invoice["first_id"])  # the bookkeeper's change
    [delivery] = stack.sandbox.control.flush_webhooks("quickbooks")

    assert delivery["status"] == 200
    assert taken(stack, connection_id) == (1, True)


def test_the_sandboxs_xero_intent_check_and_first_delivery_are_accepted(configured_by_url_only) -> None:
    stack = configured_by_url_only
    [(connection_id, tenant), *_] = stack.connect_xero()
    invoice = stack.sandbox.control.seed_xero(tenant, contacts=1, invoices=1)["invoices"]
    url = f"{stack.url}/webhooks/xero"

    check = stack.sandbox.control.xero_intent_to_receive(url)
    stack.sandbox.control.configure_webhooks("xero", url, window_seconds=60)
    stack.sandbox.control.xero_void_invoice(tenant, invoice["first_id"])
    [delivery] = stack.sandbox.control.flush_webhooks("xero")

    assert check["passed"] is True, check["rounds"]
    assert delivery["status"] == 200
    assert taken(stack, connection_id) == (1, True)
