"""A project's history as the CLI (`milepost history`) and the project page show it: the audit
trail with the invoice or credit each event led to (`connector.billing.history` says how)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.history import HistoryEntry, InvoiceRef, project_history

from .models import InvoiceRow
from .outbox import DONE, INVOICE
from .repository import BillingRepository


def history_for(session: Session, key: str, seq: int | None = None) -> list[HistoryEntry]:
    """Every audit event of the project (or of milestone `seq`), oldest first; ProjectNotFound
    or MilestoneNotFound when there is no such project or milestone."""
    repo = BillingRepository(session)
    project = repo.project_row(key)
    if seq is not None:
        repo.milestone_row(project, seq)
    rows = [row for row in repo.outbox(key) if row.kind == INVOICE]
    made = {invoice.outbox_id: invoice for invoice in session.scalars(
        select(InvoiceRow).where(InvoiceRow.project_id == project.id, InvoiceRow.outbox_id.is_not(None))
        .order_by(InvoiceRow.id))}
    invoices = {row.idempotency_key: InvoiceRef(made[row.id].number or made[row.id].platform_id,
                                                made[row.id].platform, made[row.id].status)
                for row in rows if row.id in made}
    queued = {row.idempotency_key: row.status for row in rows if row.id not in made and row.status != DONE}
    entries = project_history(repo.events(key), invoices, queued)
    return [e for e in entries if seq is None or e.event.seq == seq]
