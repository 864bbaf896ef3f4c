"""Voiding a milestone's invoice when a change order or rejection calls for it, through the outbox.

Asked for from the API (or `milepost invoice void`, or the admin page), done by the drain:
an unpaid invoice is voided in the books (a Xero draft deleted), a partly paid one has its
unpaid balance credited; the milestone is voided, every step is in the audit trail, and a
drain that runs again (or a request redelivered after a crash) does nothing more.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from connector.billing.model import AuditEvent
from connector.store.db import transaction
from connector.store.models import OutboxRow
from connector.store.repository import BillingRepository
from jobs.runner import run_job, sync_all

KEY = "ACME-WEB"
REASON = "CO-7: discovery dropped from the contract"


def trail(stack) -> list[AuditEvent]:
    with stack.reading() as session:
        return BillingRepository(session).events(KEY, 1)


def ask_to_void(stack) -> dict:
    return stack.api("POST", f"/projects/{KEY}/milestones/1/void", {"reason": REASON, "by": "Dana Lee"})


def qbo_table(stack, realm: str, entity: str) -> list[dict]:
    with stack.sandbox.state.lock:
        return list(stack.sandbox.state.quickbooks.company(realm).table(entity).values())


def xero_records(stack, tenant: str, collection: str) -> list[dict]:
    with stack.sandbox.state.lock:
        return list(stack.sandbox.state.xero.organisation(tenant).all(collection))


def report_state(stack) -> str:
    [row] = [m for m in stack.api("GET", f"/projects/{KEY}/report")["milestones"] if m["seq"] == 1]
    return str(row["state"])


# -- QuickBooks ---------------------------------------------------------------------------------

def test_an_unpaid_quickbooks_invoice_is_voided_and_the_report_shows_the_milestone_voided(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)

    queued = ask_to_void(stack)
    assert stack.first_milestone(KEY).state.value == "invoiced"  # nothing happens before the drain
    run_job(ctx, "drain_outbox")

    assert queued["idempotency_key"] == f"milepost:{KEY}:1:1:void"
    books = stack.sandbox.control.quickbooks_invoice(realm, invoice.platform_id)
    assert Decimal(str(books["TotalAmt"])) == 0
    assert books["PrivateNote"].startswith("Voided")
    assert stack.first_milestone(KEY).state.value == "voided"
    assert report_state(stack) == "voided"
    assert [row.status for row in stack.invoices()] == ["voided"]
    kinds = [(e.kind, e.reason) for e in trail(stack)]
    assert ("void_requested", REASON) in kinds
    assert ("voided", REASON) in kinds


def test_a_partly_paid_quickbooks_invoice_is_credited_for_its_unpaid_balance(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)
    assert stack.first_milestone(KEY).state.value == "partially_paid"

    ask_to_void(stack)
    run_job(ctx, "drain_outbox")

    [memo] = qbo_table(stack, realm, "CreditMemo")
    assert Decimal(str(memo["TotalAmt"])) == Decimal("6000.00")
    books = stack.sandbox.control.quickbooks_invoice(realm, invoice.platform_id)
    assert Decimal(str(books["Balance"])) == 0
    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.paid.amount) == ("voided", Decimal("4000.00"))
    [voided] = [e for e in trail(stack) if e.kind == "voided"]
    assert (voided.data["action"], voided.data["credited"]) == ("credited", "6000.00")


def test_a_repeated_request_and_a_repeated_drain_void_once(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)

    first, again = ask_to_void(stack), ask_to_void(stack)
    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")

    assert (first["queued"], again["queued"]) == (True, False)
    assert len(qbo_table(stack, realm, "CreditMemo")) == 1
    assert [e.kind for e in trail(stack)].count("voided") == 1


def test_a_void_redelivered_after_a_crash_is_looked_up_and_not_credited_twice(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted(KEY, connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="4000.00")
    sync_all(ctx)
    ask_to_void(stack)
    run_job(ctx, "drain_outbox")

    with transaction(ctx.sessions) as session:  # as if the worker died before recording it
        row = session.scalars(select(OutboxRow).where(OutboxRow.kind == "void")).one()
        row.status = "pending"
    run_job(ctx, "drain_outbox")

    assert len(qbo_table(stack, realm, "CreditMemo")) == 1
    assert stack.first_milestone(KEY).state.value == "voided"


def test_a_change_order_removing_an_invoiced_milestone_names_the_void_command(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    stack.drafted(KEY, connection)

    from connector.billing.change_orders import apply_change_order
    from connector.billing.errors import ChangeOrderRejected
    from connector.billing.model import ChangeOrder
    from connector.store import service

    order = ChangeOrder("CO-7", "Dana Lee", stack.first_milestone(KEY).accepted_at.date(), "drop it", remove=(1,))
    with stack.reading() as session:
        try:
            service.apply_change_order(session, KEY, order, apply_change_order)
        except ChangeOrderRejected as refused:
            message = str(refused)
    assert f'milepost invoice void {KEY} 1 --reason "CO-7"' in message


# -- Xero ---------------------------------------------------------------------------------------

def test_a_xero_draft_is_deleted_since_xero_only_voids_approved_invoices(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = stack.drafted(KEY, connection)

    ask_to_void(stack)
    run_job(ctx, "drain_outbox")

    [books] = [i for i in xero_records(stack, tenant, "Invoices") if i["InvoiceID"] == invoice.platform_id]
    assert books["Status"] == "DELETED"
    assert stack.first_milestone(KEY).state.value == "voided"
    assert [row.status for row in stack.invoices()] == ["deleted"]


def test_an_approved_unpaid_xero_invoice_is_voided(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = stack.drafted(KEY, connection)
    stack.sandbox.control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)

    ask_to_void(stack)
    run_job(ctx, "drain_outbox")

    [books] = [i for i in xero_records(stack, tenant, "Invoices") if i["InvoiceID"] == invoice.platform_id]
    assert books["Status"] == "VOIDED"
    assert report_state(stack) == "voided"


def test_a_partly_paid_xero_invoice_gets_a_credit_note_allocated_once(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx, invoice = stack.drafted(KEY, connection)
    control = stack.sandbox.control
    control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    control.xero("payments", tenant, invoice_id=invoice.platform_id, amount="2500.00")
    sync_all(ctx)

    ask_to_void(stack)
    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")

    [note] = xero_records(stack, tenant, "CreditNotes")
    assert Decimal(str(note["Total"])) == Decimal("7500.00")
    assert [Decimal(str(a["Amount"])) for a in note["Allocations"]] == [Decimal("7500.00")]
    [books] = [i for i in xero_records(stack, tenant, "Invoices") if i["InvoiceID"] == invoice.platform_id]
    assert Decimal(str(books["AmountDue"])) == 0
    assert report_state(stack) == "voided"


# -- the other front doors: the admin page and the command line -------------------------------

def test_the_void_button_needs_the_forms_token_and_a_reason_and_the_trail_names_the_person(stack) -> None:
    from connector.web import create_app

    connection, _ = stack.connect_quickbooks()
    ctx, _ = stack.drafted(KEY, connection)
    from tests.people import signed_in_client

    client = signed_in_client(create_app(stack.settings, environ={}), "bookkeeper",
                              "bo@example.com", name="Bo Keeper")
    with client.session_transaction() as session:
        token = session["csrf"]  # signing in starts a fresh session with a fresh token
    path = f"/admin/projects/{KEY}/milestones/1/void"

    assert "Void invoice" in client.get(f"/admin/projects/{KEY}").get_data(as_text=True)
    assert client.post(path, data={"reason": REASON}).status_code == 400
    client.post(path, data={"reason": "  ", "csrf": token})
    run_job(ctx, "drain_outbox")
    assert stack.first_milestone(KEY).state.value == "invoiced"

    client.post(path, data={"reason": REASON, "csrf": token})
    run_job(ctx, "drain_outbox")
    assert stack.first_milestone(KEY).state.value == "voided"
    assert [e.actor for e in trail(stack) if e.kind in ("void_requested", "voided")] == \
        ["Bo Keeper <bo@example.com>"] * 2


def test_milepost_invoice_void_queues_it_and_reopen_bills_the_milestone_again(stack, capsys) -> None:
    from connector.cli import main

    connection, _ = stack.connect_quickbooks()
    ctx, _ = stack.drafted(KEY, connection)

    code = main(["--database", stack.database_url, "invoice", "void", KEY, "1",
                 "--reason", REASON, "--by", "Sam", "--reopen"])
    run_job(ctx, "drain_outbox")
    stack.api("POST", f"/projects/{KEY}/milestones/1/accept", {"by": "Dana Lee"})
    run_job(ctx, "drain_outbox")

    assert code == 0
    assert f"void of quickbooks invoice {KEY}" in capsys.readouterr().out
    milestone = stack.first_milestone(KEY)
    assert (milestone.state.value, milestone.generation) == ("invoiced", 2)
    assert [row.status for row in stack.invoices()] == ["voided", "draft"]
