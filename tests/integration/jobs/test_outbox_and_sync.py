"""An accepted milestone becomes one draft invoice in the books; payments made there come home."""

from __future__ import annotations

from decimal import Decimal

from jobs.runner import run_job, run_once, sync_all
from tests.jobs_harness import books_invoice


def test_accepted_milestone_becomes_one_draft_invoice_in_quickbooks(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()

    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")  # a second run finds nothing to do

    [invoice] = stack.invoices()
    assert (invoice.platform, invoice.connection_id, invoice.total) == ("quickbooks", connection, Decimal("10000.00"))
    books = books_invoice(stack.sandbox, realm, invoice.platform_id)
    assert Decimal(str(books["TotalAmt"])) == Decimal("10000.00")
    assert stack.outbox_statuses() == ["done"]
    report = stack.api("GET", "/projects/ACME-WEB/report")
    assert "invoiced" in str(report)


def test_partial_then_full_payment_in_the_books_appear_after_a_sync(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()
    run_once(ctx)
    [invoice] = stack.invoices()

    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)
    [partly] = stack.invoices()
    stack.sandbox.control.record_payment(realm, invoice.platform_id)
    sync_all(ctx)
    sync_all(ctx)  # reading the same changes again changes nothing
    [paid] = stack.invoices()

    assert (partly.amount_paid, partly.balance, partly.status) == (Decimal("4000.00"), Decimal("6000.00"), "partially_paid")
    assert (paid.amount_paid, paid.balance, paid.status) == (Decimal("10000.00"), Decimal("0.00"), "paid")
    report = stack.api("GET", "/projects/ACME-WEB/report")
    assert "paid" in {row.get("state") for row in report.get("milestones", report.get("rows", []))}
