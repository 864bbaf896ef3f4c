"""Intent -> Xero Invoice, and Xero objects -> facts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from xero_python.accounting import (
    Allocation,
    CreditNote,
    Invoice,
    Payment,
)
from xero_python.api_client.serializer import serialize

from mappings import xero
from mappings.facts import DRAFT, OPEN, PAID, PARTIALLY_PAID
from mappings.settings import CompanyLists, MappingSettings, Ref, resolve_settings

from .conftest import usd

BOOKS = CompanyLists(
    items=(Ref("i-1", "WEB"),),
    accounts=(Ref("a-200", "200"),),
    tax_codes=(Ref("OUTPUT", "OUTPUT"),),
    tracking=(("Region", ("North", "South")),),
)
SETTINGS = MappingSettings(sales_account="200", tax_code="OUTPUT", tracking=(("region", "north"),))


def model_for(intent) -> Invoice:
    resolved = resolve_settings(SETTINGS, BOOKS, intent.lines, require_account=True)
    return xero.invoice_model(intent, "c-123", resolved)


def test_the_invoice_is_a_draft_receivable_with_the_key_in_its_reference(intent) -> None:
    invoice = model_for(intent)

    assert (invoice.type, invoice.status) == ("ACCREC", "DRAFT")
    assert invoice.reference == "ACME-WEB M2 [milepost:ACME-WEB:2:1]"
    assert xero.key_from_reference(invoice.reference) == "milepost:ACME-WEB:2:1"
    assert invoice.contact.contact_id == "c-123"
    assert (invoice.date, invoice.due_date) == (date(2026, 11, 2), date(2026, 12, 2))
    assert invoice.currency_code.value == "USD"


def test_lines_keep_the_intents_wording_account_tax_and_tracking(intent) -> None:
    *lines, memo = model_for(intent).line_items

    assert [line.description for line in lines] == [
        "M2 Design approved: wireframes and visual design",
        "Retainage withheld (10%)",
        "Stock photography (3 images)",
    ]
    assert {line.account_code for line in lines} == {"200"}
    assert {line.tax_type for line in lines} == {"OUTPUT"}
    assert [(t.name, t.option) for t in lines[0].tracking] == [("Region", "North")]
    assert sum((line.line_amount for line in lines), Decimal(0)) == Decimal("1211.11")
    assert all(line.quantity * line.unit_amount == line.line_amount for line in lines)
    assert (memo.description, memo.line_amount, memo.account_code) == ("Accepted by Pat Lee on 2026-10-30", None, None)


def test_the_sdk_puts_the_draft_on_the_wire_with_the_cents_intact(intent) -> None:
    # xero-python turns Decimal into a JSON number; the shortest repr keeps every cent.
    wire = json.loads(json.dumps(serialize(model_for(intent))), parse_float=Decimal)

    assert wire["Status"] == "DRAFT"
    assert wire["Type"] == "ACCREC"
    assert [line.get("LineAmount") for line in wire["LineItems"]] == [
        Decimal("1234.57"), Decimal("-123.46"), Decimal("100.0"), None  # the memo line has no amount
    ]


def test_a_key_is_read_back_only_when_bracketed() -> None:
    assert xero.key_from_reference("ACME-WEB M2 [milepost:ACME-WEB:2:10]") == "milepost:ACME-WEB:2:10"
    assert xero.key_from_reference("milepost:ACME-WEB:2:1 typed by hand") is None


def _invoice(status: str, paid: str, due: str) -> Invoice:
    return Invoice(
        invoice_id="inv-1", invoice_number="INV-0042", status=status, currency_code="USD",
        total=Decimal("1000.00"), amount_paid=Decimal(paid), amount_due=Decimal(due),
        reference="ACME-WEB M2 [milepost:ACME-WEB:2:1]",
    )


def test_invoice_status_follows_xero_status_and_amounts() -> None:
    assert xero.invoice_fact(_invoice("DRAFT", "0", "1000.00")).status == DRAFT
    assert xero.invoice_fact(_invoice("AUTHORISED", "0", "1000.00")).status == OPEN
    partly = xero.invoice_fact(_invoice("AUTHORISED", "400.00", "600.00"))
    assert (partly.status, partly.amount_paid, partly.balance) == (PARTIALLY_PAID, usd("400.00"), usd("600.00"))
    assert partly.idempotency_key == "milepost:ACME-WEB:2:1"
    assert xero.invoice_fact(_invoice("PAID", "1000.00", "0")).status == PAID


def test_payments_and_credit_notes_become_facts() -> None:
    payment = Payment(
        payment_id="p-1", invoice=Invoice(invoice_id="inv-1", currency_code="USD"),
        date=date(2026, 11, 20), amount=Decimal("400.00"), status="AUTHORISED",
    )
    note = CreditNote(
        credit_note_id="cn-1", credit_note_number="CN-7", status="AUTHORISED", currency_code="USD",
        total=Decimal("50.00"),
        allocations=[Allocation(invoice=Invoice(invoice_id="inv-1"), amount=Decimal("50.00"), date=date(2026, 11, 21))],
    )

    fact = xero.payment_fact(payment)
    credit = xero.credit_note_fact(note)

    assert fact is not None
    assert (fact.invoice_platform_id, fact.amount, fact.on, fact.deleted) == ("inv-1", usd("400.00"), date(2026, 11, 20), False)
    assert credit.applied_to == (("inv-1", usd("50.00")),)
