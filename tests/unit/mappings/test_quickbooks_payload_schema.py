"""What Milepost sends QuickBooks conforms to Intuit's V3 schema (issue 10).

The sandbox now refuses bodies that break the schema the way QuickBooks does (code 2010), so
every payload ``mappings.quickbooks`` builds is checked against the same reader of Intuit's
XSDs here, without a server: a field name, type or enumeration QuickBooks would refuse fails
this test before it fails in production.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connector.sandbox.quickbooks import schema
from connector.sandbox.quickbooks.errors import QBOError
from mappings import quickbooks as qb

from .conftest import usd
from .test_quickbooks_mapping import payload_for


def _on_the_wire(payload: dict) -> dict:
    """The JSON the client puts on the wire (Decimals as numbers)."""
    return json.loads(json.dumps(payload, default=str), parse_float=Decimal)


def test_the_invoice_milepost_sends_conforms(intent) -> None:
    schema.check_request("Invoice", _on_the_wire(payload_for(intent)))


def test_the_customer_milepost_creates_conforms(intent) -> None:
    schema.check_request("Customer", _on_the_wire(qb.customer_payload(intent.customer, "Acme Corp")))


def test_credit_memos_and_their_application_conform(intent) -> None:
    invoice = {"Id": "130", **_on_the_wire(payload_for(intent))}
    memo = qb.credit_memo_payload(invoice, usd("100.00"), "Scope reduced", "milepost:credit:1")
    application = qb.credit_application_payload(invoice, "77", usd("100.00"))

    schema.check_request("CreditMemo", _on_the_wire(memo))
    schema.check_request("Payment", _on_the_wire(application))


def test_the_check_would_catch_a_misspelt_field(intent) -> None:
    payload = _on_the_wire(payload_for(intent))
    payload["Line"][0]["SalesItemLineDetail"]["UnitPirce"] = 1

    with pytest.raises(QBOError) as refused:
        schema.check_request("Invoice", payload)
    assert refused.value.code == "2010"
    assert refused.value.element == "Line.SalesItemLineDetail.UnitPirce"
