"""charge_late_fees: a late-fee draft for each started month an invoice stays overdue.

The billing core computes the fee and its period key (`late_fees.late_fee_due`); the outbox's
unique key is what makes it "never twice for one period": enqueueing the same period again
finds the row already there. The fee is its own draft invoice, created in the same company as
the overdue invoice by drain_outbox. Late-fee invoices themselves do not accrue late fees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.calendar import local_date
from connector.billing.late_fees import late_fee_due, late_fee_intent
from connector.billing.money import Money
from connector.store.db import transaction
from connector.store.models import InvoiceRow, OutboxRow, ProjectRow
from connector.store.repository import BillingRepository
from mappings.facts import OPEN, PARTIALLY_PAID

from .context import JobContext
from .runs import Counts


def charge_late_fees(ctx: JobContext, now: datetime) -> Counts:
    queued = 0
    with transaction(ctx.sessions) as session:
        repo = BillingRepository(session)
        rows = session.execute(
            select(InvoiceRow, OutboxRow.idempotency_key, ProjectRow.key)
            .join(ProjectRow, ProjectRow.id == InvoiceRow.project_id)
            .outerjoin(OutboxRow, OutboxRow.id == InvoiceRow.outbox_id)
            .where(InvoiceRow.status.in_((OPEN, PARTIALLY_PAID)), InvoiceRow.balance > 0,
                   InvoiceRow.due_date.is_not(None))
        ).all()
        for invoice, key, project_key in rows:
            if key and ":late-fee:" in key:
                continue
            project, _ = repo.load(project_key)
            today = local_date(now, project.time_zone)
            reference = invoice.number or invoice.platform_id
            balance = Money(invoice.balance, invoice.currency)
            fee = late_fee_due(project, reference, balance, invoice.due_date, today)  # type: ignore[arg-type]
            if fee is None or _queued(session, fee.period_key):
                continue
            repo.enqueue(late_fee_intent(project, fee, today), invoice.connection_id)
            queued += 1
    return {"queued": queued}


def _queued(session: Session, key: str) -> bool:
    return session.scalars(select(OutboxRow.id).where(OutboxRow.idempotency_key == key)).first() is not None
