"""Milepost against the stricter QuickBooks sandbox (issue 10): what it relied on leniency for.

A customer whose name holds a colon, a description longer than a line takes, a memo long
enough to push the key out of PrivateNote, an invoice in a currency the customer is not in:
each is billed, or refused clearly with QuickBooks' words. (Evidence QuickBooks will not keep
is refused when it is recorded: mappings.attachments, tests/integration/invoicing.)
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from connector.billing.model import Customer, InvoiceLine
from connector.billing.money import Money
from connector.platforms.errors import ValidationRejected
from mappings.settings import MappingSettings

from .conftest import make_intent

SETTINGS = MappingSettings(sales_item="Services", terms="Net 30", kind_items=(("retainage", "Retainage"),))


def _invoices(qbo) -> list[dict]:
    return qbo.query("SELECT * FROM Invoice", "Invoice")


def _draft(qbo, intent, attachments=()):
    customer = qbo.find_or_create_customer(intent.customer)
    return qbo.create_draft_invoice(intent, customer, qbo.resolve_settings(SETTINGS, intent.lines),
                                    attachments)


# QuickBooks refuses ":" , tab and new line in a DisplayName (fault 2040; Intuit's Customer
# reference, business rules).
def test_a_customer_whose_name_has_a_colon_is_billed_under_a_name_quickbooks_takes(qbo) -> None:
    customer = Customer(name="Dana Reyes", email="ap@west.example", company="Acme: West\tCoast")
    intent = make_intent("milepost:ACME-WEST:2:1", customer=customer)

    created = _draft(qbo, intent)
    again = qbo.find_or_create_customer(Customer(name="Dana Reyes", email="", company="Acme: West\tCoast"))

    stored = qbo.get_invoice(created.platform_id)
    assert stored["CustomerRef"]["name"] == "Acme - West Coast"
    assert again.id == stored["CustomerRef"]["value"]  # found again by name: no second customer
    assert len(qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Acme - West Coast'", "Customer")) == 1


# A line Description holds at most 4,000 characters (Intuit's Invoice reference; fault 2050).
def test_a_description_longer_than_a_line_takes_is_carried_whole_over_several_lines(qbo) -> None:
    words = " ".join(f"word{n}" for n in range(1500))  # about 11,000 characters
    intent = dataclasses.replace(make_intent("milepost:LONG-DESC:2:1"), lines=(
        InvoiceLine(words, Money(Decimal("500.00"), "USD")),))

    created = _draft(qbo, intent)

    lines = [line for line in qbo.get_invoice(created.platform_id)["Line"]
             if line["DetailType"] in ("SalesItemLineDetail", "DescriptionOnly")]
    assert all(len(line.get("Description", "")) <= 4000 for line in lines)
    assert lines[0]["DetailType"] == "SalesItemLineDetail"
    assert len(lines) >= 3
    assert " ".join(line["Description"] for line in lines) == words
    assert created.total == Money(Decimal("500.00"), "USD")


def test_a_long_memo_never_pushes_the_key_out_of_the_private_note(qbo) -> None:
    intent = dataclasses.replace(make_intent("milepost:LONG-MEMO:2:1"), memo="Scope notes. " * 400)

    created = _draft(qbo, intent)

    found = qbo.find_invoice_by_key("milepost:LONG-MEMO:2:1")
    assert found is not None
    assert found.platform_id == created.platform_id


# A customer has one currency and its invoices are in it (Intuit, "Multicurrency for US
# companies"); QuickBooks refuses the invoice instead of booking it in the customer's.
def test_an_invoice_in_another_currency_than_the_customer_is_refused_with_quickbooks_words(qbo) -> None:
    before = len(_invoices(qbo))

    with pytest.raises(ValidationRejected) as refused:
        _draft(qbo, make_intent("milepost:EURO:2:1", currency="EUR"))

    assert refused.value.code == "6000"
    assert "EUR" in str(refused.value)
    assert "USD" in str(refused.value)
    assert len(_invoices(qbo)) == before
