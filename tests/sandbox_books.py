"""Bulk bookkeeping in the sandbox's QuickBooks company, for the change-feed tests.

Hundreds of changes are made through the sandbox's own operations (`operations.save`, what its
API and its bookkeeper actions call), under the state's lock, instead of hundreds of HTTP
calls: the books, balances and the CDC feed move exactly as they would, only faster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from quickbooks.objects.base import Ref as QbRef
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.estimate import Estimate

from connector.sandbox.quickbooks.operations import save
from connector.sandbox.state import SandboxState
from mappings.quickbooks import key_from_private_note
from mappings.xero import key_from_reference

OTHER_CUSTOMER = "58"  # a seeded customer that Milepost never bills


def change_other_invoices(state: SandboxState, realm: str, count: int) -> list[str]:
    """`count` invoices Milepost knows nothing about, each created now (a busy bookkeeper)."""
    made = []
    with state.lock:
        company = state.quickbooks.company(realm)
        now = state.clock.now()
        for n in range(count):
            invoice, _ = save(company, "Invoice", {
                "CustomerRef": {"value": OTHER_CUSTOMER},
                "Line": [{"Amount": "25.00", "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": "25.00"}}],
            }, now + timedelta(microseconds=n))
            made.append(str(invoice["Id"]))
    return made


def pay_in_parts(state: SandboxState, realm: str, invoice_ids: list[str], payments: int,
                 amount: str = "1.00") -> list[str]:
    """`payments` customer payments of `amount`, spread over the invoices in turn; their ids."""
    made = []
    with state.lock:
        company = state.quickbooks.company(realm)
        now = state.clock.now()
        for n in range(payments):
            invoice = company.get("Invoice", invoice_ids[n % len(invoice_ids)])
            assert invoice is not None
            payment, _ = save(company, "Payment", {
                "CustomerRef": invoice["CustomerRef"], "TotalAmt": amount,
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            }, now + timedelta(milliseconds=1, microseconds=n))
            made.append(str(payment["Id"]))
    return made


def changed_since(state: SandboxState, realm: str, entity: str, since: datetime) -> int:
    """How many objects of `entity` the sandbox's books changed at or after `since`."""
    with state.lock:
        company = state.quickbooks.company(realm)
        return sum(1 for stamp in company.changed_at.get(entity, {}).values() if stamp >= since.timestamp())


def invoice_keys(state: SandboxState, companies: Iterable[tuple[str, str]]) -> Counter[str | None]:
    """Idempotency key -> how many invoices in the books of these (platform, realm or tenant)
    carry it: more than one is a duplicate."""
    counts = Counter[str | None]()
    with state.lock:
        for platform, company in companies:
            if platform == "quickbooks":
                counts.update(key_from_private_note(i.get("PrivateNote"))
                              for i in state.quickbooks.company(company).table("Invoice").values())
            else:
                counts.update(key_from_reference(i.get("Reference"))
                              for i in state.xero.organisation(company).all("Invoices"))
    return counts

def quickbooks_estimate(gateway: Any, status: str, amounts: list[str], customer: str = OTHER_CUSTOMER,
                        on: str = "2026-11-02") -> dict:
    """An estimate (one line of item 1 per amount) saved through python-quickbooks, on the
    gateway's client, as a bookkeeper would make it; the estimate as QuickBooks answers it."""
    estimate = Estimate()
    estimate.CustomerRef = QbRef()
    estimate.CustomerRef.value = customer
    estimate.TxnDate = on
    estimate.TxnStatus = status
    for number, amount in enumerate(amounts, start=1):
        line = SalesItemLine()
        line.Amount = Decimal(amount)
        line.Description = f"Phase {number}: work as described"
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = QbRef()
        line.SalesItemLineDetail.ItemRef.value = "1"
        line.SalesItemLineDetail.Qty = 1
        line.SalesItemLineDetail.UnitPrice = Decimal(amount)
        estimate.Line.append(line)
    saved = gateway.call(lambda qb: estimate.save(qb=qb))
    return dict(gateway.call(lambda qb: qb.get_single_object("Estimate", saved.Id))["Estimate"])
