"""Outbound webhook events in the outbox: queued with their cause, claimed with a backoff.

An event (`subscriptions.EVENTS`) is queued by the code that records its cause, in the same
transaction: a milestone submitted or accepted (`service.transition`), an invoice created
(`outbox.complete`), a payment stored by a sync (`jobs.sync`), a project flagged or cleared for
pause-work (`jobs.pause_work`). So a cause that commits has its event, and one rolled back
has none. One outbox row (kind `webhook`) per live subscription that wants the event, keyed
`webhook:{event id}:{subscription id}`; every row of one event carries the same event id, the
message's `webhook-id` on every attempt, by which a receiver drops a repeat. Nobody subscribed:
nothing is queued.

The message is fixed when queued: `{"type", "timestamp", "data"}`, sent as the same bytes on
every attempt (only `webhook-timestamp` and the signature over it change).

Retries use the outbox's own fields: a failed attempt puts the row back to pending with
`updated_at` set to the attempt's time, and it is not claimed again before
`retry_delay(attempts)` has passed (30 s, doubling, at most an hour), until
`[worker] max_attempts`; then it is failed, shown by `milepost jobs` and `milepost retry`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.billing.model import AuditEvent, Milestone, MilestoneState

from . import outbox, subscriptions
from .models import InvoiceRow, OutboxRow, PaymentRow, ProjectRow

KIND = "webhook"
FIRST_RETRY, LONGEST_RETRY = timedelta(seconds=30), timedelta(hours=1)
CANDIDATES = 200  # rows looked at per claim for one whose backoff has run out
ACCEPTED_STATES = (MilestoneState.ACCEPTED, MilestoneState.DEEMED_ACCEPTED, MilestoneState.PARTIALLY_ACCEPTED)


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    idempotency_key: str
    event_id: str
    subscription_id: int
    message: dict[str, Any]
    attempts: int  # including this one


def queue(session: Session, event_type: str, project_id: int, data: dict[str, Any], at: datetime) -> str | None:
    """Queue `event_type` for every live subscription of the project's organisation that wants
    it; the event's id, or None when nobody does."""
    wanted = subscriptions.subscribers(session, event_type, project_id)
    if not wanted:
        return None
    event_id = f"msg_{uuid.uuid4().hex}"
    message = {"type": event_type, "timestamp": at.isoformat(), "data": data}
    for subscription_id in wanted:
        session.add(OutboxRow(
            idempotency_key=f"webhook:{event_id}:{subscription_id}", project_id=project_id,
            seq=data.get("seq"), kind=KIND, status=outbox.PENDING, attempts=0,
            payload={"event_id": event_id, "subscription_id": subscription_id, "message": message},
        ))
    session.flush()
    return event_id


def milestone_changed(session: Session, event: AuditEvent, milestone: Milestone) -> None:
    """`milestone.submitted` or `milestone.accepted` (accepted, deemed accepted, or a share of
    it accepted) when `event` moved the milestone there."""
    if event.to_state is MilestoneState.SUBMITTED and event.from_state is not MilestoneState.SUBMITTED:
        event_type = "milestone.submitted"
    elif event.to_state in ACCEPTED_STATES:
        event_type = "milestone.accepted"
    else:
        return
    accepted = milestone.accepted_amount
    data = {
        "project": event.project_key, "seq": milestone.seq, "name": milestone.name,
        "state": milestone.state.value, "at": event.at.isoformat(), "by": event.actor,
        "evidence": list(event.evidence),
        "accepted_amount": None if accepted is None else str(accepted.amount),
        "currency": None if accepted is None else accepted.currency,
    }
    queue(session, event_type, _project_id(session, event.project_key), data, event.at)


def invoice_created(session: Session, invoice: InvoiceRow, seqs: list[int], idempotency_key: str,
                    at: datetime) -> None:
    project = session.get(ProjectRow, invoice.project_id)
    assert project is not None
    data = {"project": project.key, "milestones": seqs, "idempotency_key": idempotency_key,
            "invoice": _invoice(invoice)}
    queue(session, "invoice.created", invoice.project_id, data, at)


def payment_received(session: Session, invoice: InvoiceRow, payment: PaymentRow, at: datetime) -> None:
    project = session.get(ProjectRow, invoice.project_id)
    assert project is not None
    data = {"project": project.key, "invoice": _invoice(invoice),
            "payment": {"id": payment.platform_id, "amount": _money(payment.amount), "currency": invoice.currency,
                        "on": payment.on.isoformat(), "method": payment.method}}
    queue(session, "payment.received", invoice.project_id, data, at)


def pause_work(session: Session, project_id: int, paused: bool, reason: str, at: datetime) -> None:
    project = session.get(ProjectRow, project_id)
    assert project is not None
    queue(session, "project.pause_work", project_id,
          {"project": project.key, "paused": paused, "reason": reason}, at)


def claim_deliveries(session: Session, limit: int, skip: Collection[int], now: datetime) -> list[ClaimedDelivery]:
    """Up to `limit` pending deliveries whose backoff has run out by `now`, never tried ones
    first, marked processing (attempts counted); on PostgreSQL rows another worker holds are
    skipped."""
    query = (select(OutboxRow)
             .where(OutboxRow.status == outbox.PENDING, OutboxRow.kind == KIND,
                    or_(OutboxRow.attempts == 0, OutboxRow.updated_at <= now - FIRST_RETRY))
             .order_by(OutboxRow.attempts, OutboxRow.id).limit(CANDIDATES))
    if skip:
        query = query.where(OutboxRow.id.not_in(list(skip)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = [row for row in session.scalars(query)
           if row.attempts == 0 or row.updated_at + retry_delay(row.attempts) <= now][:limit]
    for row in due:
        row.status = outbox.PROCESSING
        row.attempts += 1
        row.updated_at = now
    session.flush()
    return [ClaimedDelivery(row.id, row.idempotency_key, row.payload["event_id"], row.payload["subscription_id"],
                            row.payload["message"], row.attempts) for row in due]


def retry_delay(attempts: int) -> timedelta:
    """How long a row that failed `attempts` times waits before its next attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def finished(session: Session, outbox_id: int, note: str | None = None) -> None:
    """Delivered (or dropped, with `note` saying why): done, if still processing."""
    row = session.get(OutboxRow, outbox_id)
    if row is not None and row.status == outbox.PROCESSING:
        row.status, row.last_error, row.cause = outbox.DONE, note, None
    session.flush()


def attempt_failed(session: Session, outbox_id: int, error: str, now: datetime, *,
                   max_attempts: int, retryable: bool) -> str:
    """Record a failed attempt (`outbox.fail`): pending again, waiting its backoff from `now`,
    or failed; returns the row's status."""
    status = outbox.fail(session, outbox_id, error, max_attempts=max_attempts, retryable=retryable)
    row = session.get(OutboxRow, outbox_id)
    assert row is not None
    row.updated_at = now
    session.flush()
    return status


def _project_id(session: Session, key: str) -> int:
    return session.scalars(select(ProjectRow.id).where(ProjectRow.key == key)).one()


def _invoice(row: InvoiceRow) -> dict[str, Any]:
    return {"platform": row.platform, "id": row.platform_id, "number": row.number, "status": row.status,
            "currency": row.currency, "total": _money(row.total), "balance": _money(row.balance),
            "due_date": row.due_date.isoformat() if row.due_date else None}


def _money(amount: Decimal) -> str:
    return f"{amount:f}"
