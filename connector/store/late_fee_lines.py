"""Late fees charged as a line on the project's next invoice (`late_fee.as = "line"`).

`charge_late_fees` records each period's fee here once (`owe`): the period key is unique, and a
period already billed as its own draft (an outbox row with that key) is never owed again. When
the project's next invoice intent is queued (`service`), every fee still waiting becomes a
`late_fee` line on it and the intent's key is recorded against the fee (`add_waiting_fees`), in
the same transaction, so a fee reaches exactly one invoice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.late_fees import LateFee
from connector.billing.model import InvoiceIntent, InvoiceLine
from connector.billing.money import Money

from .models import LateFeeChargeRow, OutboxRow
from .repository import BillingRepository


def period_charged(session: Session, period_key: str) -> bool:
    """True once the period's fee is owed, on a line, or queued as its own draft."""
    owed = session.scalars(select(LateFeeChargeRow.id).where(LateFeeChargeRow.period_key == period_key)).first()
    queued = session.scalars(select(OutboxRow.id).where(OutboxRow.idempotency_key == period_key)).first()
    return owed is not None or queued is not None


def owe(session: Session, project_key: str, fee: LateFee, at: datetime) -> bool:
    """Record the period's fee for the next invoice; False if the period was charged already."""
    if period_charged(session, fee.period_key):
        return False
    project_id = BillingRepository(session).project_row(project_key).id
    session.add(LateFeeChargeRow(
        project_id=project_id, period_key=fee.period_key, amount=fee.amount.amount,
        currency=fee.amount.currency, description=fee.description, charged_at=at,
    ))
    session.flush()
    return True


def waiting(session: Session, project_key: str) -> list[LateFeeChargeRow]:
    """The project's fees not yet on an invoice, oldest first."""
    project_id = BillingRepository(session).project_row(project_key).id
    return list(session.scalars(
        select(LateFeeChargeRow)
        .where(LateFeeChargeRow.project_id == project_id, LateFeeChargeRow.intent_key.is_(None))
        .order_by(LateFeeChargeRow.id)
    ))


def add_waiting_fees(session: Session, intent: InvoiceIntent, at: datetime) -> InvoiceIntent:
    """The intent with a `late_fee` line per waiting fee; each fee records the intent's key."""
    fees = [fee for fee in waiting(session, intent.project_key) if fee.currency == intent.currency]
    if not fees:
        return intent
    lines = [InvoiceLine(fee.description, Money(fee.amount, fee.currency), "late_fee") for fee in fees]
    for fee in fees:
        fee.intent_key, fee.billed_at = intent.idempotency_key, at
    session.flush()
    return replace(intent, lines=intent.lines + tuple(lines))
