"""What a bookkeeper removes in the books comes home too: the platform wins.

A payment deleted in QuickBooks or Xero is taken back (the milestone steps back from paid), and
an invoice voided or deleted there reopens its milestone to bill again under a new generation.
Every such change is written to the sync log a person reads in the admin app.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from xero_python.accounting import PaymentDelete

from connector.store.models import PaymentRow
from connector.store.repository import BillingRepository
from jobs.runner import run_job, sync_all
from jobs.tables import SyncLogRow
from tests.jobs_harness import schedule_json

KEY = "ACME-WEB"


def sync_log(stack) -> list[str]:
    with stack.reading() as session:
        return list(session.scalars(select(SyncLogRow.message).order_by(SyncLogRow.id)))


def stored_payments(stack) -> list[Decimal]:
    with stack.reading() as session:
        return list(session.scalars(select(PaymentRow.amount).order_by(PaymentRow.id)))


# -- QuickBooks ---------------------------------------------------------------------------------

def test_a_payment_deleted_in_quickbooks_is_taken_back_and_logged(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    control = stack.sandbox.control
    control.record_payment(realm, invoice.platform_id, amount="4000.00")
    second = control.record_payment(realm, invoice.platform_id)
    sync_all(ctx)
    assert stack.first_milestone(KEY).state.value == "paid"

    control.qbo(f"payments/{second['Id']}/delete", realm)
    sync_all(ctx)

    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.paid.amount) == ("partially_paid", Decimal("4000.00"))
    assert stored_payments(stack) == [Decimal("4000.00")]
    [row] = stack.invoices()
    assert (row.status, row.balance) == ("partially_paid", Decimal("6000.00"))
    assert any(f"payment {second['Id']} of 6000.00 USD removed in the books" in m for m in sync_log(stack))


def test_an_invoice_voided_in_quickbooks_reopens_its_milestone_under_a_new_generation(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)

    stack.sandbox.control.void_invoice(realm, invoice.platform_id)
    sync_all(ctx)
    sync_all(ctx)  # reading it again reopens nothing twice

    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.generation, milestone.billed) == ("planned", 2, None)
    assert [row.status for row in stack.invoices()] == ["voided"]
    log = sync_log(stack)
    assert sum("reopened to bill again" in message for message in log) == 1
    assert any("voided in the books" in message for message in log)


def test_a_reopened_milestone_bills_again_with_a_second_invoice(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    sync_all(ctx)  # the change feed's cursor is set: a deletion is seen from now on
    stack.sandbox.control.delete_invoice(realm, invoice.platform_id)
    sync_all(ctx)

    stack.api("POST", f"/projects/{KEY}/milestones/1/accept", {"by": "Dana Lee"})
    run_job(ctx, "drain_outbox")

    old, new = stack.invoices()
    assert (old.status, new.total) == ("deleted", Decimal("10000.00"))
    assert new.platform_id != old.platform_id
    assert stack.first_milestone(KEY).state.value == "invoiced"
    assert any("deleted in the books" in message for message in sync_log(stack))


# -- Xero ---------------------------------------------------------------------------------------

def test_a_payment_deleted_in_xero_is_taken_back_and_logged(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = stack.drafted(KEY, connection)
    control = stack.sandbox.control
    control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    payment = control.xero("payments", tenant, invoice_id=invoice.platform_id)
    sync_all(ctx)
    assert stack.first_milestone(KEY).state.value == "paid"

    payment_id = payment.get("PaymentID") or payment["Payments"][0]["PaymentID"]
    ctx.gateway_for(connection).call(  # type: ignore[attr-defined]
        lambda api: api.delete_payment(tenant, payment_id, PaymentDelete(status="DELETED")))
    sync_all(ctx)

    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.paid) == ("invoiced", None)
    assert stored_payments(stack) == []
    assert any(f"payment {payment_id} of 10000.00 USD removed in the books" in m for m in sync_log(stack))


def test_a_draft_deleted_in_xero_reopens_its_milestone(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = stack.drafted(KEY, connection)

    stack.sandbox.control.xero(f"invoices/{invoice.platform_id}/delete", tenant)
    sync_all(ctx)

    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.generation) == ("planned", 2)
    assert [row.status for row in stack.invoices()] == ["deleted"]
    assert any("reopened to bill again" in message for message in sync_log(stack))


def test_an_invoice_voided_in_the_books_no_longer_credits_or_withholds(stack) -> None:
    """Issue 8, finding 3 (the store's half): the intents later invoices are computed from are
    the live ones; the voided invoice's deposit credit and retainage count no more."""
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    with stack.reading() as session:
        before = [i.idempotency_key for i in BillingRepository(session).queued_intents(KEY)]

    stack.sandbox.control.void_invoice(realm, invoice.platform_id)
    sync_all(ctx)

    with stack.reading() as session:
        after = [i.idempotency_key for i in BillingRepository(session).queued_intents(KEY)]
    assert (before, after) == ([f"milepost:{KEY}:1:1"], [])


def test_a_partial_share_voided_in_the_books_is_unbilled_and_bills_again_under_a_new_key(stack) -> None:
    """Found by the money property test: a 40% share's invoice voided in QuickBooks left the
    partially accepted milestone saying it billed the share. The share is unbilled again, and
    the next acceptance bills it under a new generation."""
    connection, realm = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json(KEY), "connection": connection})
    stack.api("POST", f"/projects/{KEY}/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", f"/projects/{KEY}/milestones/1/partial", {"by": "Dana Lee", "percent": "40"})
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    [share] = stack.invoices()

    stack.sandbox.control.void_invoice(realm, share.platform_id)
    sync_all(ctx)

    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.billed, milestone.generation) == ("partially_accepted", None, 2)
    stack.api("POST", f"/projects/{KEY}/milestones/1/accept", {"by": "Dana Lee"})
    run_job(ctx, "drain_outbox")
    _, whole = stack.invoices()
    assert (whole.total, stack.first_milestone(KEY).billed.amount) == (Decimal("10000.00"), Decimal("10000.00"))
    assert any("is unbilled again" in message for message in sync_log(stack))
