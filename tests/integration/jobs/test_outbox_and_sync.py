"""An accepted milestone becomes one draft invoice in the books; payments made there come home."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from connector.billing import lifecycle
from connector.billing.calendar import local_date
from connector.store import service
from connector.store.db import make_engine, session_factory
from connector.store.models import PaymentRow
from connector.store.repository import BillingRepository
from jobs.runner import run_job, run_once, sync_all
from jobs.tables import SyncLogRow
from tests.jobs_harness import books_invoice, schedule_json


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


def test_a_payment_on_a_monthly_invoice_is_shared_between_its_milestones(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})
    now = datetime.now(UTC)
    engine = make_engine(stack.database_url)
    sessions = session_factory(engine)
    for seq, evidence in ((1, "requirements document"), (2, "design files")):
        stack.api("POST", f"/projects/ACME-WEB/milestones/{seq}/submit", {"by": "Sam", "evidence": [evidence]})
        with sessions.begin() as session:  # accepted, left for the month's invoice
            service.transition(session, "ACME-WEB", seq, lambda p, m, _s: lifecycle.accept(p, m, now, "Dana Lee"))
    today = local_date(now, "America/New_York")
    with sessions.begin() as session:
        service.queue_monthly_invoice(session, "ACME-WEB", today.strftime("%Y-%m"), [], today, now, "Sam")
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    [invoice] = stack.invoices()

    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="5000.00")
    sync_all(ctx)
    with sessions() as session:
        _, partly = BillingRepository(session).load("ACME-WEB")
    stack.sandbox.control.record_payment(realm, invoice.platform_id)
    sync_all(ctx)
    with sessions() as session:
        _, paid = BillingRepository(session).load("ACME-WEB")
    engine.dispose()

    assert invoice.total == Decimal("20000.00")
    assert [(m.state.value, m.paid.amount) for m in partly[:2]] == [("partially_paid", Decimal("2500.00"))] * 2
    assert [(m.state.value, m.paid.amount) for m in paid[:2]] == [("paid", Decimal("10000.00"))] * 2


def test_a_first_sync_of_a_busy_company_brings_home_payments_on_milepost_invoices_only(stack) -> None:
    """Issue 15: the first sync reads the company's invoices and payments page by page and keeps
    only Milepost's; the payment on Milepost's invoice still comes home, and the company's other
    invoices and payments leave nothing behind (no row, no payment, no sync log line about them).
    Passes on the old code too: it guards what the filtering must not lose."""
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    [invoice] = stack.invoices()
    stack.sandbox.control.seed_quickbooks(realm, customers=5, invoices=2_500, payments=1_200)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")

    sync_all(ctx)  # the first: no cursor yet, so every invoice and payment by query

    [row] = stack.invoices()
    assert (row.amount_paid, row.status) == (Decimal("4000.00"), "partially_paid")
    assert stack.first_milestone("ACME-WEB").state.value == "partially_paid"
    with stack.reading() as session:
        assert list(session.scalars(select(PaymentRow.amount))) == [Decimal("4000.00")]
        named = set(session.scalars(select(SyncLogRow.invoice_platform_id)))
    assert named <= {"", invoice.platform_id}
