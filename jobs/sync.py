"""sync_connection: what the books say now, brought home: statuses, payments, bookkeeper edits.

One connection is synced by one worker at a time (`ctx.locks`). The change feed is read from
the stored cursor (QuickBooks CDC, Xero If-Modified-Since, both behind `changes_since`), the
facts are applied in one transaction, and the cursor advances in that same transaction, so a
crash re-reads rather than skips. Facts carry platform ids, so reading one twice changes
nothing: a payment is stored once per (invoice, platform payment id).

The platform wins: an invoice a bookkeeper edited takes the platform's total; a payment deleted
or voided there is removed here and its milestone steps back (paid -> partially paid or
invoiced); an invoice deleted or voided there reopens the milestones it billed, which then bill
again under a new generation once they are billable again (an on-acceptance milestone is
accepted again). Each such change is written to the sync log, which the admin app shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.billing import lifecycle, voiding
from connector.billing.errors import BillingError, IllegalTransition
from connector.billing.model import AuditEvent, Milestone, MilestoneState, Project
from connector.billing.money import Money, allocate, quantize
from connector.platforms.errors import HeldBack, NeedsReconnect
from connector.platforms.gateway import ChangeBatch
from connector.store import service, webhook_events
from connector.store.db import transaction
from connector.store.models import (
    InvoiceMilestoneRow,
    InvoiceRow,
    MilestoneRow,
    PaymentRow,
    ProjectRow,
)
from mappings.facts import DELETED, VOIDED, InvoiceStatusFact, PaymentFact

from .connections import sync_state
from .context import JobContext
from .runs import Counts, Skip
from .tables import SyncLogRow


def sync_connection(ctx: JobContext, connection_id: int, now: datetime) -> Counts:
    """Read the connection's changes since its cursor and apply them; Skip when busy."""
    with ctx.locks.hold(connection_id, "sync") as mine:
        if not mine:
            raise Skip(f"connection {connection_id} is being synced by another worker")
        with transaction(ctx.sessions) as session:
            cursor = sync_state(session, connection_id).cursor
            ours = set(session.scalars(select(InvoiceRow.platform_id)
                                       .where(InvoiceRow.connection_id == connection_id)))
        try:
            batch = ctx.gateway_for(connection_id).changes_since(cursor, ours)
        except (NeedsReconnect, HeldBack) as error:
            raise Skip(str(error)) from None  # a spent rate budget is not an error: due again soon
        with transaction(ctx.sessions) as session:
            counts = apply_changes(session, connection_id, batch, now)
            state = sync_state(session, connection_id)
            state.cursor = batch.next_cursor or state.cursor
            state.last_synced_at = now
        return counts


def apply_changes(session: Session, connection_id: int, batch: ChangeBatch, now: datetime) -> Counts:
    counts = {"invoices": 0, "payments": 0, "edited": 0, "removed": 0, "payments_removed": 0,
              "reopened": 0}
    invoices = _our_invoices(session, connection_id, batch)
    closed: list[InvoiceRow] = []  # voided or deleted in the books by this batch
    for fact in batch.invoices:
        row = invoices.get(fact.platform_id)
        previous_total = row.total if row is not None else None
        if row is not None and row.status not in _CLOSED and fact.status in _CLOSED:
            closed.append(row)
        if row is not None and _apply_invoice(session, row, fact):
            counts["invoices"] += 1
            counts["edited"] += int(_log_edit(session, connection_id, row, fact, previous_total))
    for payment in batch.payments:
        row = invoices.get(payment.invoice_platform_id)
        if row is not None and payment.deleted:
            counts["payments_removed"] += _take_back(session, connection_id, row, payment.platform_id, now)
        elif row is not None and _apply_payment(session, row, payment, now):
            counts["payments"] += 1
    for gone in batch.deletions:
        if gone.entity == "Payment":
            for row in _paid_by(session, connection_id, gone.platform_id):
                counts["payments_removed"] += _take_back(session, connection_id, row, gone.platform_id, now)
        row = invoices.get(gone.platform_id) if gone.entity == "Invoice" else None
        if row is not None and row.status != DELETED:
            if row.status not in _CLOSED:
                closed.append(row)
            row.status = DELETED
            _log(session, connection_id, row, "deleted in the books by a bookkeeper")
            counts["removed"] += 1
    for row in closed:
        counts["reopened"] += reopen_milestones(session, connection_id, row, now)
    return counts


_CLOSED = (VOIDED, DELETED)
_BILLED_BY_IT = (MilestoneState.INVOICE_DUE, MilestoneState.INVOICED)


def reopen_milestones(session: Session, connection_id: int, row: InvoiceRow, now: datetime) -> int:
    """An invoice voided or deleted in the books no longer bills its milestones: each one it
    was the latest invoice of is voided and reopened, to bill again under a new generation
    (a new idempotency key, so the dead invoice is never found and reused). A milestone that
    moved on (paid, or billed again since) is left alone and the log says so."""
    reopened = 0
    for (key, seq), share in _milestone_links(session, row):
        label = f"milestone {key} M{seq}"
        partial = _state_of(session, key, seq) is MilestoneState.PARTIALLY_ACCEPTED
        if not partial and _latest_invoice_id(session, key, seq) != row.id:
            continue  # billed again since: this invoice is history
        try:
            service.transition(session, key, seq, _void_and_reopen(now, row.status, share))
        except BillingError as refused:
            _log(session, connection_id, row, f"{label} kept as it is ({refused})")
            continue
        _log(session, connection_id, row,
             f"{label}: its share of {quantize(share, row.currency)} is unbilled again, to bill under a "
             "new generation; the books win" if partial else
             f"{label} reopened to bill again under a new generation; the books win")
        reopened += 1
    return reopened


def _state_of(session: Session, key: str, seq: int) -> MilestoneState | None:
    state = session.scalar(
        select(MilestoneRow.state).join(ProjectRow, ProjectRow.id == MilestoneRow.project_id)
        .where(ProjectRow.key == key, MilestoneRow.seq == seq))
    return MilestoneState(state) if state else None


def _void_and_reopen(now: datetime, status: str, share: Decimal) -> service.Step:
    reason = f"invoice {status} in the books"

    def step(p: Project, m: Milestone, _s: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        if m.state is MilestoneState.PARTIALLY_ACCEPTED:
            return voiding.share_voided(p, m, Money(share, p.currency), now, "platform", reason)
        if m.state not in _BILLED_BY_IT:
            raise IllegalTransition(m.seq, m.state.value, MilestoneState.PLANNED.value,
                                    "only an invoiced milestone is reopened by the books")
        voided, _ = lifecycle.void(p, m, now, "platform", reason)
        return lifecycle.reopen(p, voided, now, "platform", reason)
    return step


def _latest_invoice_id(session: Session, key: str, seq: int) -> int | None:
    return session.scalar(
        select(func.max(InvoiceMilestoneRow.invoice_id))
        .join(MilestoneRow, MilestoneRow.id == InvoiceMilestoneRow.milestone_id)
        .join(ProjectRow, ProjectRow.id == MilestoneRow.project_id)
        .where(ProjectRow.key == key, MilestoneRow.seq == seq)
    )


def _take_back(session: Session, connection_id: int, row: InvoiceRow, platform_id: str, now: datetime) -> int:
    """A stored payment deleted or voided in the books is removed and its milestones step back
    (paid -> partially paid or invoiced); the sync log says so. 1 if there was one, else 0."""
    stored = session.scalars(
        select(PaymentRow).where(PaymentRow.invoice_id == row.id, PaymentRow.platform_id == platform_id)
    ).first()
    if stored is None:
        return 0
    amount = stored.amount
    session.delete(stored)
    session.flush()
    paid = sum(session.scalars(select(PaymentRow.amount).where(PaymentRow.invoice_id == row.id)))
    balance = Money(row.total - paid, row.currency)
    for (key, seq), share in _payment_shares(session, row, amount):
        try:
            service.transition(session, key, seq, _take_back_step(share, balance, now, platform_id))
        except BillingError:
            continue  # the milestone never counted it (voided meanwhile): nothing to take back
    _log(session, connection_id, row,
         f"payment {platform_id} of {quantize(amount, row.currency)} {row.currency} removed in the "
         "books; the books win")
    return 1


def _take_back_step(amount: Decimal, balance: Money, now: datetime, reference: str) -> service.Step:
    def step(p: Project, m: Milestone, _s: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        return lifecycle.take_back_payment(p, m, Money(amount, p.currency), now,
                                           invoice_balance=balance, reference=reference)
    return step


def _our_invoices(session: Session, connection_id: int, batch: ChangeBatch) -> dict[str, InvoiceRow]:
    """The connection's invoices the batch speaks of, by platform id: only those are loaded, so
    a sync of a connection with years of invoices holds a handful of rows, not all of them."""
    named = sorted({fact.platform_id for fact in batch.invoices}
                   | {payment.invoice_platform_id for payment in batch.payments}
                   | {gone.platform_id for gone in batch.deletions if gone.entity == "Invoice"})
    rows: dict[str, InvoiceRow] = {}
    for start in range(0, len(named), _IN_CHUNK):
        rows.update((row.platform_id, row) for row in session.scalars(
            select(InvoiceRow).where(InvoiceRow.connection_id == connection_id,
                                     InvoiceRow.platform_id.in_(named[start:start + _IN_CHUNK]))))
    return rows


_IN_CHUNK = 500  # ids in one IN (...): well under every backend's limit on bound parameters


def _paid_by(session: Session, connection_id: int, payment_platform_id: str) -> list[InvoiceRow]:
    """The connection's invoices holding a stored payment with that platform id (a deleted
    payment names no invoice), in the order they were stored."""
    return list(session.scalars(
        select(InvoiceRow).join(PaymentRow, PaymentRow.invoice_id == InvoiceRow.id)
        .where(InvoiceRow.connection_id == connection_id, PaymentRow.platform_id == payment_platform_id)
        .order_by(InvoiceRow.id)))


def _apply_invoice(session: Session, row: InvoiceRow, fact: InvoiceStatusFact) -> bool:
    """The books' figures win; but a void (QuickBooks zeroes a voided invoice's total) keeps
    what the invoice billed, so a report as of a moment before the void still shows it."""
    before = (row.status, row.total, row.amount_paid, row.balance, row.number)
    closing = fact.status in _CLOSED and fact.total.amount == 0
    row.status, row.total = fact.status, row.total if closing else fact.total.amount
    row.amount_paid, row.balance = fact.amount_paid.amount, fact.balance.amount
    row.number = fact.number or row.number
    return before != (row.status, row.total, row.amount_paid, row.balance, row.number)


def _log_edit(
    session: Session, connection_id: int, row: InvoiceRow, fact: InvoiceStatusFact, previous: object
) -> bool:
    if fact.status in (VOIDED, DELETED):
        _log(session, connection_id, row, f"{fact.status} in the books by a bookkeeper")
        return True
    if previous != fact.total.amount:
        _log(session, connection_id, row,
             f"total changed in the books from {previous} to {fact.total.amount}; the books win")
        return True
    return False


def _log(session: Session, connection_id: int, row: InvoiceRow, what: str) -> None:
    label = row.number or row.platform_id
    session.add(SyncLogRow(connection_id=connection_id, invoice_platform_id=row.platform_id,
                           message=f"invoice {label}: {what}"))


def _apply_payment(session: Session, row: InvoiceRow, fact: PaymentFact, now: datetime) -> bool:
    """Store a new payment once, queue `payment.received` for subscribers, and move the
    invoice's milestone to partially paid or paid."""
    if fact.deleted:
        return False
    seen = session.scalars(
        select(PaymentRow.id).where(PaymentRow.invoice_id == row.id, PaymentRow.platform_id == fact.platform_id)
    ).first()
    if seen is not None:
        return False
    payment = PaymentRow(invoice_id=row.id, platform_id=fact.platform_id, on=fact.on,
                         amount=fact.amount.amount, method=fact.method)
    session.add(payment)
    session.flush()
    webhook_events.payment_received(session, row, payment, now)
    paid = sum(session.scalars(select(PaymentRow.amount).where(PaymentRow.invoice_id == row.id)))
    balance = Money(row.total - paid, row.currency)
    for (key, seq), share in _payment_shares(session, row, fact.amount.amount):
        try:
            service.transition(session, key, seq, _payment_step(share, balance, now, fact.platform_id))
        except BillingError:
            continue  # the milestone cannot take it (voided meanwhile): the payment is still kept
    return True


def _payment_step(amount: Decimal, balance: Money, now: datetime, reference: str) -> service.Step:
    def step(p: Project, m: Milestone, _s: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        return lifecycle.record_payment(p, m, Money(amount, p.currency), now, invoice_balance=balance,
                                        reference=reference)
    return step


def _payment_shares(session: Session, row: InvoiceRow, amount: Decimal) -> list[tuple[tuple[str, int], Decimal]]:
    """A payment on an invoice for several milestones (a monthly one) is split between them in
    proportion to what the invoice bills for each, so no milestone counts the whole payment."""
    links = _milestone_links(session, row)
    if len(links) <= 1:
        return [(milestone, amount) for milestone, _ in links]
    shares = allocate(Money(amount, row.currency), [billed for _, billed in links])
    return [(milestone, share.amount) for (milestone, _), share in zip(links, shares, strict=True)
            if share.amount > 0]


def _milestone_links(session: Session, row: InvoiceRow) -> list[tuple[tuple[str, int], Decimal]]:
    """The milestones an invoice bills, with what it bills for each, in schedule order."""
    return [
        ((key, seq), amount)
        for key, seq, amount in session.execute(
            select(ProjectRow.key, MilestoneRow.seq, InvoiceMilestoneRow.amount)
            .join(MilestoneRow, MilestoneRow.project_id == ProjectRow.id)
            .join(InvoiceMilestoneRow, InvoiceMilestoneRow.milestone_id == MilestoneRow.id)
            .where(InvoiceMilestoneRow.invoice_id == row.id)
            .order_by(MilestoneRow.seq)
        )
    ]
