"""The outbox's life: claim pending intents, record the platform's invoice, or record the failure.

`drain_outbox` (in `jobs/`) calls these inside its own transactions:

    with transaction(sessions) as s:  claimed = claim_pending(s, limit=10)
    ... call the gateway for each, outside any transaction ...
    with transaction(sessions) as s:  complete(s, item.id, created)   # or fail(s, item.id, error)

Claiming moves rows to `processing` and counts the attempt, so a crashed worker leaves evidence;
`reclaim_stale` puts such rows back, and the gateway then looks the key up before creating again.
On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so two workers never take the same row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from connector.billing import lifecycle
from connector.billing.model import InvoiceIntent

from . import mail_outbox, records, service, webhook_events
from .errors import StoreError
from .links import project_connections
from .models import InvoiceMilestoneRow, InvoiceRow, OutboxRow, ProjectRow, utcnow
from .repository import BillingRepository

PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"
# Why a row last waited or failed (`outbox.cause`, 0011): reconnecting a company re-queues
# the rows that waited or failed for AUTH; a row put back for any cause is looked up by its key
# before it is created again.
WAITING, AUTH, INFRASTRUCTURE, RETRY, REFUSED = "waiting", "auth", "infrastructure", "retry", "refused"
INVOICE = "invoice"  # the row's kind; void requests (kind "void") are claimed by `voids`


class _Every(Enum):
    EVERY = "every"


EVERY: Final = _Every.EVERY  # claim rows bound for any connection
Lane = int | None | _Every  # a connection's id, None (rows not bound yet), or EVERY


@dataclass(frozen=True)
class ClaimedIntent:
    id: int
    intent: InvoiceIntent
    attempts: int  # including this one
    connection_id: int | None
    put_back_before: bool = False  # waited once (an outage, a refusal): look before creating


@dataclass(frozen=True)
class CreatedInvoice:
    """What the gateway reports back about the invoice it created (or found by key)."""

    platform: str
    platform_id: str
    number: str
    status: str
    total: Decimal
    balance: Decimal
    amount_paid: Decimal = Decimal(0)
    due_date: date | None = None
    connection_id: int | None = None


def claim_pending(session: Session, limit: int = 10, skip: Collection[int] = (),
                  connection: Lane = EVERY) -> list[ClaimedIntent]:
    """Take up to `limit` pending invoice intents, oldest first, and mark them processing. `skip`:
    rows this drain already tried (put back to wait or retry later), not to be taken again;
    `connection`: only the rows bound for that connection (None: not bound to one yet)."""
    return [
        ClaimedIntent(row.id, records.intent_from_json(row.payload), row.attempts, row.connection_id,
                      put_back_before=row.cause is not None)
        for row in claim_rows(session, INVOICE, limit, skip, connection=connection)
    ]


def pending_connections(session: Session, kind: str) -> list[int | None]:
    """The connections with pending rows of `kind` (None: rows bound to none yet), the one
    with the oldest row first: the lanes of a drain (`jobs.drains`)."""
    lane = _bound_for()
    query = (select(lane).where(OutboxRow.status == PENDING, OutboxRow.kind == kind)
             .group_by(lane).order_by(func.min(OutboxRow.id)))
    return list(session.scalars(query))


def _bound_for() -> ColumnElement[int | None]:
    """The connection a row goes to as `jobs.connections.route_for` sees it before any
    fallback: the row's own, else its project's link (an intent is queued without one)."""
    linked = (select(project_connections.c.connection_id)
              .join(ProjectRow, ProjectRow.key == project_connections.c.project_key)
              .where(ProjectRow.id == OutboxRow.project_id).scalar_subquery())
    return func.coalesce(OutboxRow.connection_id, linked)


def claim_rows(session: Session, kind: str, limit: int, skip: Collection[int],
               now: datetime | None = None, *, connection: Lane = EVERY) -> list[OutboxRow]:
    """Up to `limit` pending outbox rows of `kind`, oldest first, not in `skip`, marked processing
    (attempts counted); on PostgreSQL rows another worker holds are skipped, not waited for.
    With `now`, a row whose backoff (`not_before`) has not run out by then is left waiting;
    with `connection`, only the rows bound for it, by their own or their project's link (None:
    those bound for none yet), are taken."""
    query = (select(OutboxRow).where(OutboxRow.status == PENDING, OutboxRow.kind == kind)
             .order_by(OutboxRow.id).limit(limit))
    if connection is None:
        query = query.where(_bound_for().is_(None))
    elif connection is not EVERY:
        query = query.where(_bound_for() == connection)
    if skip:
        query = query.where(OutboxRow.id.not_in(list(skip)))
    if now is not None:
        query = query.where(or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = PROCESSING
        row.attempts += 1
    session.flush()
    return rows


def complete(session: Session, outbox_id: int, created: CreatedInvoice, at: datetime) -> InvoiceRow:
    """Record the platform invoice for a claimed intent and move its milestones to invoiced.

    A milestone's intent bills one milestone (`seq`); a monthly intent bills every milestone
    its lines name (`InvoiceLine.seq`), and each is linked with its own share of the invoice,
    so payments found later reach all of them. Subscribers get `invoice.created`, queued here.
    """
    row = _row(session, outbox_id)
    assert row.project_id is not None  # an invoice intent always has its project
    repo = BillingRepository(session)  # the project's and milestones' rows read once for all of it
    project = repo.project_row_by_id(row.project_id)
    invoice = InvoiceRow(
        project_id=row.project_id, connection_id=created.connection_id, outbox_id=row.id,
        platform=created.platform, platform_id=created.platform_id, number=created.number,
        status=created.status, currency=project.currency, total=created.total,
        amount_paid=created.amount_paid, balance=created.balance, due_date=created.due_date,
    )
    session.add(invoice)
    row.status, row.last_error, row.cause, row.connection_id = DONE, None, None, created.connection_id
    session.flush()
    intent = records.intent_from_json(row.payload)
    seqs = billed_milestones(intent)
    for seq in seqs:
        service.transition(
            session, project.key, seq,
            lambda p, m, _s: lifecycle.mark_invoiced(
                p, m, at, platform=created.platform, invoice_id=created.platform_id,
                number=created.number,
            ),
            repo=repo,
        )
        session.add(InvoiceMilestoneRow(invoice_id=invoice.id, milestone_id=repo.milestone_row(project, seq).id,
                                        amount=lifecycle.intent_gross(intent, seq).amount))
    webhook_events.invoice_created(session, invoice, seqs, row.idempotency_key, at)
    return invoice


def billed_milestones(intent: InvoiceIntent) -> list[int]:
    """The milestones an intent bills, in order: its own `seq`, or those its lines name."""
    if intent.seq is not None:
        return [intent.seq]
    return list(dict.fromkeys(line.seq for line in intent.lines if line.seq is not None))


def fail(session: Session, outbox_id: int, error: str, *, max_attempts: int, retryable: bool = True,
         retry_at: datetime | None = None) -> str:
    """Record a failed attempt; the row goes back to pending (not claimed before `retry_at`,
    when given), or to failed when it is hopeless. A row failed for good tells the bookkeeper
    in the same transaction, when e-mail is on (`store.mail_outbox`).

    `error` is stored and shown to operators: pass a message without tokens or secrets.
    """
    row = _row(session, outbox_id)
    row.last_error = error[:2000]
    row.status = PENDING if retryable and row.attempts < max_attempts else FAILED
    row.cause = RETRY if retryable else REFUSED
    row.not_before = retry_at if row.status == PENDING else None
    if row.status == FAILED:
        project = session.get(ProjectRow, row.project_id) if row.project_id is not None else None
        mail_outbox.queue_intent_failed(session, row, project.key if project is not None else None)
    session.flush()
    return row.status


def put_back(session: Session, outbox_id: int, why: str, cause: str = WAITING) -> None:
    """A claimed row goes back to pending without spending its attempt (the cause is not the
    row's own: no company chosen, grant dead, budget spent, an outage); `why` is kept as its
    last error and `cause` says which. A row no longer processing is left alone."""
    row = session.get(OutboxRow, outbox_id)
    if row is not None and row.status == PROCESSING:
        row.status, row.attempts, row.last_error = PENDING, max(row.attempts - 1, 0), why
        row.cause = cause
    session.flush()


def requeue_after_reconnect(session: Session, connection_ids: Collection[int]) -> int:
    """A company was connected again: every row that waited or failed for authentication and
    is bound for one of these connections (or not bound yet) goes (back) to pending with a
    fresh count of attempts. Returns how many."""
    ids = list(connection_ids)
    rows = list(session.scalars(
        select(OutboxRow).where(
            OutboxRow.cause == AUTH, OutboxRow.status.in_((PENDING, FAILED)),
            OutboxRow.connection_id.in_(ids) | OutboxRow.connection_id.is_(None),
        )
    ))
    for row in rows:
        row.status, row.attempts = PENDING, 0
    session.flush()
    return len(rows)


def reclaim_stale(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Put back rows left processing by a worker that died; returns how many."""
    cutoff = (now or utcnow()) - older_than
    rows = list(
        session.scalars(
            select(OutboxRow).where(OutboxRow.status == PROCESSING, OutboxRow.updated_at < cutoff)
        )
    )
    for row in rows:
        row.status = PENDING
    session.flush()
    return len(rows)


def _row(session: Session, outbox_id: int) -> OutboxRow:
    row = session.get(OutboxRow, outbox_id)
    if row is None:
        raise StoreError(f"no outbox row {outbox_id}")
    return row
