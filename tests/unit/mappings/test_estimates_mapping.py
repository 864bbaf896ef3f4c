"""QuickBooks Estimates and Xero Quotes read as the domain's Estimate, and invoices that point
back to them (issue 12)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from xero_python.accounting import Contact, LineItem, Quote, QuoteStatusCodes

from connector.billing.model import SourceDocument
from connector.sandbox.quickbooks import schema
from mappings import estimates, xero
from mappings.xero import REFERENCE_MAX, key_from_reference, reference_for

from .test_quickbooks_mapping import payload_for

ESTIMATE = {
    "Id": "41", "DocNumber": "1007", "TxnDate": "2026-10-20", "TxnStatus": "Accepted",
    "CustomerRef": {"value": "58", "name": "Amy's Bird Sanctuary"},
    "CurrencyRef": {"value": "USD"}, "TotalAmt": Decimal("1089.00"),
    "TxnTaxDetail": {"TotalTax": Decimal("89.00")}, "BillEmail": {"Address": "bill@birds.example"},
    "Line": [
        {"Amount": Decimal("600.00"), "DetailType": "SalesItemLineDetail", "Description": "Aviary",
         "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}}},
        {"Amount": Decimal("400.00"), "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}}},
        {"Amount": Decimal("1000.00"), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
    ],
}


def test_a_quickbooks_estimate_gives_its_amount_before_tax_its_priced_lines_and_customer() -> None:
    customer = {"Id": "58", "DisplayName": "Amy's Bird Sanctuary", "CompanyName": "Amy's Birds",
                "PrimaryEmailAddr": {"Address": "birds@example.com"}}

    found = estimates.quickbooks_estimate(ESTIMATE, customer, "USD")

    assert found.accepted
    assert found.status == "Accepted"
    assert found.total.amount == Decimal("1000.00")  # 1,089.00 less 89.00 tax
    assert [(line.description, line.amount.amount) for line in found.lines] == [
        ("Aviary", Decimal("600.00")), ("Services", Decimal("400.00"))]
    assert (found.customer_id, found.customer.email, found.customer.company) == (
        "58", "birds@example.com", "Amy's Birds")
    assert found.issued == date(2026, 10, 20)
    assert found.label == "QuickBooks estimate 1007"


def test_a_quickbooks_estimate_not_accepted_says_so_and_falls_back_to_the_bill_email() -> None:
    found = estimates.quickbooks_estimate({**ESTIMATE, "TxnStatus": "Closed"}, None, "USD")

    assert not found.accepted
    assert found.customer.email == "bill@birds.example"
    assert found.customer.name == "Amy's Bird Sanctuary"


def test_a_xero_quote_gives_its_amount_before_tax_and_its_contact() -> None:
    quote = Quote(quote_id="2b4c3e9e-0000-4000-8000-000000000001", quote_number="QU-0042",
                  status=QuoteStatusCodes.SENT, currency_code="NZD", date=date(2026, 11, 2),
                  title="Fit-out", total=Decimal("1150.00"), total_tax=Decimal("150.00"),
                  contact=Contact(contact_id="c-1", name="Quoted Ltd"),
                  line_items=[LineItem(description="Fit-out", line_amount=Decimal("1150.00"))])
    contact = Contact(contact_id="c-1", name="Quoted Ltd", email_address="ap@quoted.example")

    found = estimates.xero_quote(quote, contact)

    assert not found.accepted
    assert found.status == "SENT"
    assert found.total.amount == Decimal("1000.00")
    assert found.currency == "NZD"
    assert (found.customer_id, found.customer.email) == ("c-1", "ap@quoted.example")
    assert found.label == "Xero quote QU-0042"
    assert found.source == SourceDocument("xero", "quote", quote.quote_id, "QU-0042")


def test_an_invoice_from_an_imported_estimate_links_to_it_within_intuits_schema(intent) -> None:
    linked = replace(intent, source=SourceDocument("quickbooks", "estimate", "41", "1007"))

    payload = payload_for(linked)

    assert payload["LinkedTxn"] == [{"TxnId": "41", "TxnType": "Estimate"}]
    assert "LinkedTxn" not in payload_for(intent)
    assert "LinkedTxn" not in payload_for(replace(intent, source=SourceDocument("xero", "quote", "q", "QU-1")))
    schema.check_request("Invoice", json.loads(json.dumps(payload, default=str), parse_float=Decimal))


def test_a_xero_invoice_from_a_quote_starts_its_reference_with_the_quote_number(intent) -> None:
    quoted = replace(intent, source=SourceDocument("xero", "quote", "q-1", "QU-0042"))
    long = replace(quoted, reference="X" * 400)

    assert reference_for(quoted) == "QU-0042 ACME-WEB M2 [milepost:ACME-WEB:2:1]"
    assert key_from_reference(reference_for(quoted)) == "milepost:ACME-WEB:2:1"
    assert reference_for(intent) == "ACME-WEB M2 [milepost:ACME-WEB:2:1]"
    assert len(reference_for(long)) <= REFERENCE_MAX
    assert reference_for(long).startswith("QU-0042 ")
    assert key_from_reference(reference_for(long))
    assert xero.reference_for(replace(intent, source=SourceDocument("quickbooks", "estimate", "41", "1007"))) \
        == "ACME-WEB M2 [milepost:ACME-WEB:2:1]"
