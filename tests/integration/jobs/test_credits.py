"""Credits that keep the money right (issue 8, findings 1, 11 and 12), against the sandbox.

What a bookkeeper checks after a credit: the credit note's (memo's) total is the amount
credited, tax included, to the cent; it is allocated (applied) in full to the invoice; the
invoice's balance in the books drops by exactly that; and Milepost's report agrees (no phantom
balance, `credited` shows it, `paid` stays cash).

Xero computes a line's tax on top of (`Exclusive`) or inside (`Inclusive`) its amount, per line,
rounded to cents (developer.xero.com/documentation/api/accounting/types#line-amount-types and
the CreditNotes page: "Total = SubTotal + TotalTax"); the sandbox does the same
(connector/sandbox/xero/lines.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jobs.runner import run_job, sync_all
from tests.jobs_harness import schedule_json

KEY = "ACME-WEB"
TAXED = {"sales_account": "200", "tax_code": "OUTPUT2"}  # 15% GST in the NZ organisation


def xero_records(stack, tenant: str, collection: str) -> list[dict]:
    with stack.sandbox.state.lock:
        return list(stack.sandbox.state.xero.organisation(tenant).all(collection))


def xero_invoice(stack, tenant: str, invoice_id: str) -> dict:
    [books] = [i for i in xero_records(stack, tenant, "Invoices") if i["InvoiceID"] == invoice_id]
    return books


def qbo_table(stack, realm: str, entity: str) -> list[dict]:
    with stack.sandbox.state.lock:
        return list(stack.sandbox.state.quickbooks.company(realm).table(entity).values())


def drafted_with(stack, connection: int, mapping: dict[str, Any] | None = None):
    """Milestone 1 (10,000.00 of 50,000.00) accepted and drafted, booked with `mapping`."""
    schedule = schedule_json(KEY)
    if mapping:
        schedule["project"]["mapping"] = mapping
    stack.api("POST", "/schedules", {**schedule, "connection": connection})
    stack.api("POST", f"/projects/{KEY}/milestones/1/submit",
              {"by": "Sam (studio)", "evidence": ["requirements document"]})
    stack.api("POST", f"/projects/{KEY}/milestones/1/accept", {"by": "Dana Lee"})
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    [invoice] = stack.invoices()
    return ctx, invoice


def report(stack) -> dict:
    return stack.api("GET", f"/projects/{KEY}/report")


def d(value: Any) -> Decimal:
    return Decimal(str(value))


# -- finding 1: a credit's total is the amount credited, tax included ------------------------

def test_issue8_finding1_xero_credit_of_a_taxed_partly_paid_invoice_totals_its_balance_and_leaves_none(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = drafted_with(stack, connection, TAXED)
    control = stack.sandbox.control
    control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    gross = d(xero_invoice(stack, tenant, invoice.platform_id)["Total"])
    assert gross == Decimal("11500.00")  # 10,000.00 + 15% GST, as Xero computed it
    control.xero("payments", tenant, invoice_id=invoice.platform_id, amount="2000.01")
    sync_all(ctx)

    stack.api("POST", f"/projects/{KEY}/milestones/1/void", {"reason": "CO-7: dropped", "by": "Dana Lee"})
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    balance = gross - Decimal("2000.01")
    [note] = xero_records(stack, tenant, "CreditNotes")
    assert d(note["Total"]) == balance  # 9,499.99, not 9,499.99 + GST
    assert d(note["SubTotal"]) + d(note["TotalTax"]) == balance
    assert {line["TaxType"] for line in note["LineItems"]} == {"OUTPUT2"}
    assert [d(a["Amount"]) for a in note["Allocations"]] == [balance]
    assert d(note["RemainingCredit"]) == 0
    assert d(xero_invoice(stack, tenant, invoice.platform_id)["AmountDue"]) == 0
    seen = report(stack)
    assert d(seen["outstanding"]) == 0  # no phantom balance for late fees or pause-work
    assert (d(seen["paid"]), d(seen["credited"])) == (Decimal("2000.01"), balance)
    assert [row.balance for row in stack.invoices()] == [Decimal("0.00")]
