"""The fault test: 30% of creates commit and then lose their answer; nothing is billed twice.

The sandbox runs the create, commits it, then drops the connection ("timeout_after_commit"), so
the gateway cannot know whether the invoice exists. 200 intents must still give exactly 200
invoices, each key once: the platform's own idempotency (QuickBooks requestid, Xero
Idempotency-Key) and the lookup by key before a retry both stand between a retry and a
duplicate.
"""

from __future__ import annotations

from collections import Counter

import pytest

from connector.platforms.limits import RateGate
from connector.platforms.quickbooks import QuickBooksGateway
from mappings import quickbooks as qbmap
from mappings import xero as xmap
from mappings.settings import MappingSettings

from .conftest import make_intent, quick_retries

INTENTS = 200
FAULT_RATE = 0.3

pytestmark = pytest.mark.slow


def _fired(sandbox) -> int:
    return sum(rule["fired"] for rule in sandbox.control.faults())


def test_quickbooks_two_hundred_intents_give_two_hundred_invoices(qbo, sandbox) -> None:
    gateway = QuickBooksGateway(
        sandbox.qb, qbo._realm, qbo._tokens, gate=RateGate(), retrying=quick_retries  # type: ignore[arg-type]
    )
    intents = [make_intent(f"milepost:FAULT-QB:{n}:1") for n in range(1, INTENTS + 1)]
    customer = gateway.find_or_create_customer(intents[0].customer)
    settings = gateway.resolve_settings(MappingSettings(sales_item="Services"), intents[0].lines)
    sandbox.control.set_fault("quickbooks", "timeout_after_commit", endpoint="POST invoice", rate=FAULT_RATE, seed=7)

    created = [gateway.create_draft_invoice(intent, customer, settings) for intent in intents]

    fired = _fired(sandbox)
    sandbox.control.clear_faults()
    keys = Counter(
        qbmap.key_from_private_note(row.get("PrivateNote"))
        for row in gateway.query_all("SELECT * FROM Invoice", "Invoice")
    )
    ours = {key: count for key, count in keys.items() if key and key.startswith("milepost:FAULT-QB:")}
    assert fired >= INTENTS * FAULT_RATE / 2  # the fault really struck, many times
    assert len(ours) == INTENTS
    assert set(ours.values()) == {1}
    assert len({c.platform_id for c in created}) == INTENTS


def test_xero_two_hundred_intents_give_two_hundred_invoices(xero, sandbox) -> None:
    sandbox.control.set_rate_limits(False)  # 200 creates would otherwise take Xero's minutes
    intents = [make_intent(f"milepost:FAULT-XO:{n}:1", currency="NZD") for n in range(1, INTENTS + 1)]
    customer = xero.find_or_create_customer(intents[0].customer)
    settings = xero.resolve_settings(MappingSettings(sales_account="200", tax_code="NONE"), intents[0].lines)
    sandbox.control.set_fault("xero", "timeout_after_commit", endpoint="PUT Invoices", rate=FAULT_RATE, seed=11)

    created = [xero.create_draft_invoice(intent, customer, settings) for intent in intents]

    fired = _fired(sandbox)
    sandbox.control.clear_faults()
    invoices = xero._modified_since(
        lambda api, since, page: api.get_invoices(xero._tenant, page=page, page_size=1000), "invoices", "invoice_id", None,
        lambda invoice: invoice).kept
    sandbox.control.set_rate_limits(True)
    keys = Counter(xmap.key_from_reference(invoice.reference) for invoice in invoices)
    ours = {key: count for key, count in keys.items() if key and key.startswith("milepost:FAULT-XO:")}
    assert fired >= INTENTS * FAULT_RATE / 2  # the fault really struck, many times
    assert len(ours) == INTENTS
    assert set(ours.values()) == {1}
    assert len({c.platform_id for c in created}) == INTENTS
