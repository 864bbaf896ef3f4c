"""Description-only line items on Xero invoices, as Milepost's drafts carry them (the memo line).

Xero accepts a line with a Description and nothing else (no item, quantity, price, amount or
account) on an approved invoice; only a line that posts an amount needs an account code.
"""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_python.accounting import Invoices, LineItem
from xero_python.exceptions import AccountingBadRequestException

from tests.integration.sandbox.test_xero_harness import XeroClient, XeroSandbox, xero, xero_spec  # noqa: F401
from tests.integration.sandbox.test_xero_invoices import (
    authorise,
    create,
    draft_invoice,
    new_contact,
    pay,
)

MEMO = "Approval window: 5 business days | Payment terms: Net 30"


@pytest.fixture
def client(xero: XeroSandbox) -> XeroClient:
    return xero.client()


@pytest.fixture
def tenant(xero: XeroSandbox) -> str:
    return xero.tenants[0]


def test_a_draft_with_a_memo_line_can_be_approved_and_paid(client: XeroClient, tenant: str) -> None:
    draft = draft_invoice(new_contact(client, tenant), amount="1000.00")
    draft.line_items.append(LineItem(description=MEMO))
    invoice = create(client, tenant, draft)

    approved = authorise(client, tenant, invoice)
    pay(client, tenant, approved, "1150.00")

    paid = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    assert (approved.status, paid.status, paid.amount_due) == ("AUTHORISED", "PAID", Decimal("0"))
    assert [line.description for line in paid.line_items][-1] == MEMO
    assert paid.total == Decimal("1150.00")  # the memo adds nothing


def test_a_priced_line_without_an_account_code_still_cannot_be_approved(client: XeroClient, tenant: str) -> None:
    draft = draft_invoice(new_contact(client, tenant))
    draft.line_items.append(LineItem(description="Extra hours", quantity=2, unit_amount=Decimal("50")))
    invoice = create(client, tenant, draft)
    change = Invoices(invoices=[type(invoice)(invoice_id=invoice.invoice_id, status="AUTHORISED")])

    with pytest.raises(AccountingBadRequestException) as refused:
        client.accounting.update_invoice(tenant, invoice.invoice_id, change)

    messages = refused.value.error_data["Elements"][0]["ValidationErrors"]
    assert {"Message": "Account code must be specified on every line item."} in messages
