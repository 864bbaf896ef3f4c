"""charge_late_fees: a late fee for each started month an invoice stays overdue.

The billing core computes the fee and its period key (`late_fees.late_fees_due`, one per started month, missed months
included); the period
key is what makes it "never twice for one period": it is the outbox key of a fee billed as its
own draft, and the unique key of a fee waiting for the next invoice. Per project policy
(`late_fee.as`): "invoice" (default) queues its own draft, created in the same company as the
overdue invoice by drain_outbox; "line" records the fee (`store.late_fee_lines`) and the
project's next invoice intent carries it as a line. Late-fee invoices do not accrue late fees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.calendar import local_date
from connector.billing.late_fees import late_fee_intent, late_fees_due
from connector.billing.money import Money
from connector.store import late_fee_lines
from connector.store.db import transaction
from connector.store.models import InvoiceRow, OutboxRow, ProjectRow
from connector.store.repository import BillingRepository
from mappings.facts import OPEN, PARTIALLY_PAID

from .context import JobContext
from .runs import Tally, one_item


def charge_late_fees(ctx: JobContext, now: datetime) -> Tally:
    """Queue each overdue invoice's fee for the period: its own draft (`queued`), or, for a
    policy of `as = "line"`, a fee waiting for the project's next invoice (`waiting`). Each
    invoice in its own transaction: one that cannot be charged (`failed`, with its project and
    number in the run) leaves the others charged."""
    tally = Tally(queued=0, waiting=0, failed=0)
    with ctx.sessions() as session:
        overdue = session.execute(
            select(InvoiceRow.id, InvoiceRow.number, InvoiceRow.platform_id, ProjectRow.key)
            .join(ProjectRow, ProjectRow.id == InvoiceRow.project_id)
            .outerjoin(OutboxRow, OutboxRow.id == InvoiceRow.outbox_id)
            .where(InvoiceRow.status.in_((OPEN, PARTIALLY_PAID)), InvoiceRow.balance > 0,
                   InvoiceRow.due_date.is_not(None),
                   OutboxRow.idempotency_key.is_(None) | OutboxRow.idempotency_key.not_like("%:late-fee:%"))
            .order_by(InvoiceRow.id)
        ).all()
    for invoice_id, number, platform_id, project_key in overdue:
        with one_item(tally, f"{project_key} invoice {number or platform_id}"):
            with transaction(ctx.sessions) as session:
                queued, waiting = _charge(session, invoice_id, project_key, now)
            tally["queued"] += queued
            tally["waiting"] += waiting
    return tally


def _charge(session: Session, invoice_id: int, project_key: str, now: datetime) -> tuple[int, int]:
    """One overdue invoice's fees for every started period not yet charged: how many were
    queued as drafts and how many wait for the project's next invoice."""
    invoice = session.get(InvoiceRow, invoice_id)
    if invoice is None or invoice.due_date is None:
        return 0, 0
    repo = BillingRepository(session)
    project, _ = repo.load(project_key)
    today = local_date(now, project.time_zone)
    reference = invoice.number or invoice.platform_id
    balance = Money(invoice.balance, invoice.currency)
    queued = waiting = 0
    for fee in late_fees_due(project, reference, balance, invoice.due_date, today):
        if late_fee_lines.period_charged(session, fee.period_key):
            continue
        if project.late_fee.as_separate_invoice:
            repo.enqueue(late_fee_intent(project, fee, today), invoice.connection_id)
            queued += 1
        elif late_fee_lines.owe(session, project_key, fee, now):
            waiting += 1
    return queued, waiting
