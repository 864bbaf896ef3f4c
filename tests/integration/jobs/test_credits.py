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

from connector.store.models import OutboxRow
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


# -- finding 11: a credit of part of an invoice --------------------------------------------------

def credit(stack, seq: int = 1, **body: Any):
    import requests

    from tests.jobs_harness import API_KEY

    return requests.post(f"{stack.url}/api/v1/projects/{KEY}/milestones/{seq}/credit", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {API_KEY}"})


def row_of(seen: dict, seq: int = 1) -> dict:
    [row] = [m for m in seen["milestones"] if m["seq"] == seq]
    return row


def test_issue8_finding11_milepost_invoice_credit_issues_a_xero_credit_note_of_exactly_the_amount(stack, capsys) -> None:
    from connector.cli import main

    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = drafted_with(stack, connection, TAXED)
    stack.sandbox.control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    sync_all(ctx)

    code = main(["--database", stack.database_url, "invoice", "credit", KEY, "1", "--amount", "1150.00",
                 "--reason", "Two templates dropped", "--ref", "CO-2", "--by", "Sam"])
    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    assert code == 0
    assert f"milepost:{KEY}:1:1:credit-1" in capsys.readouterr().out
    [note] = xero_records(stack, tenant, "CreditNotes")
    books = xero_invoice(stack, tenant, invoice.platform_id)
    assert (d(note["Total"]), d(note["SubTotal"]), d(note["TotalTax"])) == (
        Decimal("1150.00"), Decimal("1000.00"), Decimal("150.00"))
    assert note["LineAmountTypes"] == books["LineAmountTypes"] == "Exclusive"
    assert [line["TaxType"] for line in note["LineItems"]] == ["OUTPUT2"]
    assert "CO-2" in note["LineItems"][0]["Description"]
    assert [d(a["Amount"]) for a in note["Allocations"]] == [Decimal("1150.00")]
    assert d(books["AmountDue"]) == Decimal("10350.00")
    seen = report(stack)
    assert (d(seen["credited"]), d(seen["outstanding"]), d(seen["paid"])) == (
        Decimal("1150.00"), Decimal("10350.00"), Decimal("0.00"))
    row = row_of(seen)
    assert (d(row["invoiced"]), d(row["credited"]), d(row["billed"])) == (
        Decimal("10000.00"), Decimal("1000.00"), Decimal("9000.00"))
    assert d(seen["contract_total"]) == Decimal("49000.00")  # the rest of the schedule keeps its values
    assert d(row_of(seen, 2)["invoiced"]) == 0


def test_issue8_finding11_a_quickbooks_credit_memo_is_applied_in_full_and_issued_once(stack) -> None:
    from sqlalchemy import select

    from connector.store.db import transaction

    connection, realm = stack.connect_quickbooks()
    ctx, invoice = drafted_with(stack, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)

    answer = credit(stack, amount="2500.00", reason="Discount agreed", by="Dana Lee")
    run_job(ctx, "drain_outbox")
    with transaction(ctx.sessions) as session:  # as if the worker died before recording it
        row = session.scalars(select(OutboxRow).where(OutboxRow.kind == "credit")).one()
        row.status = "pending"
    run_job(ctx, "drain_outbox")
    assert [row.balance for row in stack.invoices()] == [Decimal("3500.00")]  # before any sync
    sync_all(ctx)

    assert answer.status_code == 202, answer.text
    assert answer.json()["idempotency_key"] == f"milepost:{KEY}:1:1:credit-1"
    [memo] = qbo_table(stack, realm, "CreditMemo")
    assert d(memo["TotalAmt"]) == Decimal("2500.00")
    assert d(memo["RemainingCredit"]) == 0
    books = stack.sandbox.control.quickbooks_invoice(realm, invoice.platform_id)
    assert d(books["Balance"]) == Decimal("3500.00")
    seen = report(stack)
    assert (d(seen["paid"]), d(seen["credited"]), d(seen["outstanding"])) == (
        Decimal("4000.00"), Decimal("2500.00"), Decimal("3500.00"))
    row = row_of(seen)
    assert (d(row["invoiced"]), d(row["credited"]), d(row["billed"])) == (
        Decimal("10000.00"), Decimal("2500.00"), Decimal("7500.00"))


def test_issue8_finding11_a_refused_credit_names_the_field_and_rule_and_writes_nothing(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = drafted_with(stack, connection)
    with stack.reading() as session:
        before = len(session.query(OutboxRow).all())

    refusals = {
        ("amount", "positive"): credit(stack, amount="0", reason="x"),
        ("amount", "minor_unit"): credit(stack, amount="10.005", reason="x"),
        ("amount", "above_balance"): credit(stack, amount="10000.01", reason="x"),
        ("amount", "decimal_string"): credit(stack, amount=12.5, reason="x"),
        ("reason", "required"): credit(stack, amount="10.00", reason=" "),
        ("seq", "not_invoiced"): credit(stack, seq=2, amount="10.00", reason="x"),
    }

    for (field, rule), answer in refusals.items():
        assert answer.status_code in (400, 409), answer.text
        assert {(p["field"], p["rule"]) for p in answer.json()["errors"]} == {(field, rule)}
    with stack.reading() as session:
        assert len(session.query(OutboxRow).all()) == before
    assert stack.first_milestone(KEY).billed.amount == Decimal("10000.00")
    assert qbo_table(stack, realm, "CreditMemo") == []


def test_issue8_finding11_the_admin_credit_form_needs_the_forms_token(stack) -> None:
    from connector.web import create_app

    connection, realm = stack.connect_quickbooks()
    ctx, _ = drafted_with(stack, connection)
    from tests.people import signed_in_client

    client = signed_in_client(create_app(stack.settings, environ={}))
    with client.session_transaction() as session:
        token = session["csrf"]
    path = f"/admin/projects/{KEY}/milestones/1/credit"

    page = client.get(f"/admin/projects/{KEY}").get_data(as_text=True)
    assert path in page
    assert client.post(path, data={"amount": "100.00", "reason": "goodwill"}).status_code == 400
    refused = client.post(path, data={"amount": "-5", "reason": "goodwill", "csrf": token}, follow_redirects=True)
    assert "amount: the amount must be above zero, got -5 [positive]" in refused.get_data(as_text=True)
    client.post(path, data={"amount": "100.00", "reason": "goodwill", "ref": "CO-4", "csrf": token})
    run_job(ctx, "drain_outbox")

    [memo] = qbo_table(stack, realm, "CreditMemo")
    assert d(memo["TotalAmt"]) == Decimal("100.00")
    assert stack.first_milestone(KEY).billed.amount == Decimal("9900.00")


# -- finding 12: a change order lowering an invoiced milestone credits the difference -----------

def change_order(stack, *sets: str, ref: str = "CO-3", date: str = "2026-12-14") -> int:
    from connector.cli import main

    argv = ["--database", stack.database_url, "change-order", KEY, "--ref", ref, "--approver", "Dana Lee",
            "--date", date, "--reason", "Two templates dropped"]
    for item in sets:
        argv += ["--set", item]
    return main(argv)


def test_issue8_finding12_a_change_order_lowering_an_invoiced_quickbooks_milestone_credits_the_difference(stack, capsys) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = drafted_with(stack, connection)

    code = change_order(stack, "1.amount=8000.00", "2.deliverable=Wireframes for 10 templates")
    run_job(ctx, "drain_outbox")
    stack.api("POST", f"/projects/{KEY}/milestones/2/submit", {"by": "Sam", "evidence": ["design files"]})
    stack.api("POST", f"/projects/{KEY}/milestones/2/accept", {"by": "Dana Lee"})
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    assert code == 0
    assert "credit of 2000.00 USD on quickbooks invoice" in capsys.readouterr().out
    [memo] = qbo_table(stack, realm, "CreditMemo")
    assert d(memo["TotalAmt"]) == Decimal("2000.00")
    assert "CO-3" in memo["Line"][0]["Description"]
    books = stack.sandbox.control.quickbooks_invoice(realm, invoice.platform_id)
    assert d(books["Balance"]) == Decimal("8000.00")
    seen = report(stack)
    assert d(seen["contract_total"]) == Decimal("48000.00")
    row = row_of(seen)
    assert (d(row["invoiced"]), d(row["credited"]), d(row["billed"])) == (
        Decimal("10000.00"), Decimal("2000.00"), Decimal("8000.00"))
    assert d(row_of(seen, 2)["billed"]) == Decimal("10000.00")  # the rest of the schedule keeps its values
    second = next(i for i in qbo_table(stack, realm, "Invoice") if i["Id"] != invoice.platform_id)
    described = second["Line"][0]["Description"]
    assert "as amended by CO-3 of 2026-12-14" in described
    assert "Wireframes for 10 templates" in described


def test_issue8_finding12_a_change_order_lowering_an_invoiced_xero_milestone_credits_it_with_its_tax(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = drafted_with(stack, connection, TAXED)
    stack.sandbox.control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    sync_all(ctx)

    assert change_order(stack, "1.amount=8000.00") == 0
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    [note] = xero_records(stack, tenant, "CreditNotes")
    assert (d(note["SubTotal"]), d(note["TotalTax"]), d(note["Total"])) == (
        Decimal("2000.00"), Decimal("300.00"), Decimal("2300.00"))
    assert [d(a["Amount"]) for a in note["Allocations"]] == [Decimal("2300.00")]
    assert d(xero_invoice(stack, tenant, invoice.platform_id)["AmountDue"]) == Decimal("9200.00")
    seen = report(stack)
    assert (d(seen["credited"]), d(seen["outstanding"])) == (Decimal("2300.00"), Decimal("9200.00"))
    assert d(row_of(seen)["billed"]) == Decimal("8000.00")


def test_a_change_order_whose_credit_would_exceed_what_is_owed_is_refused_whole(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = drafted_with(stack, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="9000.00")
    sync_all(ctx)

    code = change_order(stack, "1.amount=8000.00")  # 2,000.00 off, but only 1,000.00 is owed

    assert code == 1
    seen = report(stack)
    assert (d(seen["contract_total"]), d(row_of(seen)["billed"])) == (Decimal("50000.00"), Decimal("10000.00"))
    with stack.reading() as session:
        assert [r.kind for r in session.query(OutboxRow).all()] == ["invoice"]


def test_a_credited_invoice_voided_later_leaves_the_milestone_billing_and_crediting_nothing(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = drafted_with(stack, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)
    assert credit(stack, amount="1000.00", reason="Discount agreed").status_code == 202
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    stack.api("POST", f"/projects/{KEY}/milestones/1/void", {"reason": "CO-9: dropped"})
    run_job(ctx, "drain_outbox")
    sync_all(ctx)

    memos = qbo_table(stack, realm, "CreditMemo")
    assert sorted(d(m["TotalAmt"]) for m in memos) == [Decimal("1000.00"), Decimal("5000.00")]
    assert d(stack.sandbox.control.quickbooks_invoice(realm, invoice.platform_id)["Balance"]) == 0
    seen = report(stack)
    row = row_of(seen)
    assert (row["state"], d(row["credited"]), d(row["billed"])) == ("voided", Decimal("0.00"), Decimal("0.00"))
    assert (d(seen["paid"]), d(seen["outstanding"])) == (Decimal("4000.00"), Decimal("0.00"))
