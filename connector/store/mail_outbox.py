"""E-mail in the outbox: queued in the transaction of the event that causes it.

    approval_request   to the approver, when a milestone is submitted: the portal link
    approval_reminder  to the approver, the business day before the window lapses
                       (`billing.approval_reminders`; queued by the `remind_approvers` job)
    deemed_accepted    to the approver, when the window lapsed without an answer
    intent_failed      to the bookkeeper, when an invoice intent, credit or void fails for good
    needs_reconnect    to the bookkeeper, when a connection's grant is refused

Nothing is queued unless `[mail]` is configured: its settings ride on the session
(`db.session_factory`), and every function here returns quietly without them (bookkeeper
notices also need `[mail] bookkeeper`). Each is called inside the transaction that records its
event, so a message exists exactly when its event does: a rolled-back submission queues
nothing, a committed one cannot lose its message. The row's idempotency key names the event
(`mail:{project}:{seq}:{generation}:submitted:{when}`, ...), and the key is unique, so one
event never queues two messages, however often a job looks at it.

An e-mail row is kind `mail`, with no project or connection (the payload carries the project's
key and every fact the message needs, as they were when it was queued), so no project's list of
intents shows it and reconnecting or re-linking never touches it. `jobs.mail` sends it; see
there what "once" means across a crash.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.billing.model import AuditEvent, Milestone, Project
from connector.config import MailSettings

from . import outbox as store_outbox
from .db import MAIL_INFO
from .models import ConnectionRow, OutboxRow, utcnow

MAIL = "mail"  # the outbox kind
APPROVAL_REQUEST, APPROVAL_REMINDER, DEEMED_ACCEPTED = "approval_request", "approval_reminder", "deemed_accepted"
INTENT_FAILED, NEEDS_RECONNECT = "intent_failed", "needs_reconnect"
_APPROVER_EVENTS = {"submitted": APPROVAL_REQUEST, "deemed_accepted": DEEMED_ACCEPTED}


@dataclass(frozen=True)
class ClaimedMail:
    id: int
    idempotency_key: str
    payload: Mapping[str, Any]
    attempts: int  # including this one
    queued_at: datetime

    @property
    def message(self) -> str:
        return str(self.payload["message"])


def mail_settings(session: Session) -> MailSettings | None:
    """The `[mail]` settings this session was opened with, or None when e-mail is off."""
    found = session.info.get(MAIL_INFO)
    return found if isinstance(found, MailSettings) and found.configured else None


def queue_for_event(session: Session, project: Project, milestone: Milestone, event: AuditEvent) -> bool:
    """The approver's message for a lifecycle event (a submission, a deemed acceptance), if it
    has one; True when one was queued."""
    message = _APPROVER_EVENTS.get(event.kind)
    if message is None or mail_settings(session) is None:
        return False
    when = milestone.submitted_at if message == APPROVAL_REQUEST else milestone.approval_deadline
    key = f"mail:{project.key}:{milestone.seq}:{milestone.generation}:{event.kind}:{_stamp(when or event.at)}"
    return _queue(session, key, _approver_facts(message, project, milestone, actor=event.actor))


def queue_reminder(session: Session, project: Project, milestone: Milestone) -> bool:
    """The reminder for the milestone's current submission; False when e-mail is off or it was
    queued before (once per submission, even from two workers at once)."""
    if mail_settings(session) is None or milestone.submitted_at is None:
        return False
    key = (f"mail:{project.key}:{milestone.seq}:{milestone.generation}:reminder:"
           f"{_stamp(milestone.submitted_at)}")
    return _queue(session, key, _approver_facts(APPROVAL_REMINDER, project, milestone))


def queue_intent_failed(session: Session, row: OutboxRow, project_key: str | None) -> bool:
    """Tell the bookkeeper that an outbox row failed for good (never for an e-mail row: a
    message about a message that could not be sent would go the same broken way)."""
    settings = mail_settings(session)
    if settings is None or not settings.bookkeeper or row.kind == MAIL:
        return False
    key = f"mail:outbox-{row.id}:failed:{_stamp(utcnow())}"
    return _queue(session, key, {
        "message": INTENT_FAILED, "to": settings.bookkeeper, "project_key": project_key or "",
        "intent_key": row.idempotency_key, "intent_kind": row.kind, "intent_id": row.id,
        "attempts": row.attempts, "error": row.last_error or "",
    })


def queue_needs_reconnect(session: Session, connection: ConnectionRow, why: str) -> bool:
    """Tell the bookkeeper that a connection now waits for someone to reconnect it; called when
    its status turns to needs_reconnect (once per such turn)."""
    settings = mail_settings(session)
    if settings is None or not settings.bookkeeper:
        return False
    key = f"mail:connection-{connection.id}:reconnect:{_stamp(utcnow())}"
    return _queue(session, key, {
        "message": NEEDS_RECONNECT, "to": settings.bookkeeper, "connection_id": connection.id,
        "platform": connection.platform, "company": connection.name or "", "error": why,
    })


def claim_mail(session: Session, limit: int, skip: Collection[int], now: datetime) -> list[ClaimedMail]:
    """Up to `limit` pending messages whose backoff (if any) has run out, oldest first, marked
    processing (see `store.outbox.claim_rows`)."""
    return [
        ClaimedMail(row.id, row.idempotency_key, dict(row.payload), row.attempts, row.created_at)
        for row in store_outbox.claim_rows(session, MAIL, limit, skip, now=now)
    ]


def complete_mail(session: Session, outbox_id: int) -> bool:
    """The server took the message: done. Only a row still `processing` is completed (after a
    reclaim, another worker may have sent and completed it); False when it was not."""
    query = select(OutboxRow).where(OutboxRow.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None or row.status != store_outbox.PROCESSING:
        return False
    row.status, row.last_error, row.cause, row.not_before = store_outbox.DONE, None, None, None
    session.flush()
    return True


def _approver_facts(message: str, project: Project, m: Milestone, actor: str = "") -> dict[str, Any]:
    return {
        "message": message, "to": m.approver.email, "approver": m.approver.name,
        "project_key": project.key, "project": project.name, "seq": m.seq, "milestone": m.name, "deliverable": m.deliverable,
        "acceptance_criteria": m.acceptance_criteria, "submitted_by": actor,
        "deadline": m.approval_deadline.isoformat() if m.approval_deadline else None,
        "time_zone": project.time_zone,
    }


def _queue(session: Session, key: str, payload: dict[str, Any]) -> bool:
    """Add the row unless its key is queued already; a racing writer's row wins quietly."""
    if session.scalars(select(OutboxRow.id).where(OutboxRow.idempotency_key == key)).first() is not None:
        return False
    try:
        with session.begin_nested():
            session.add(OutboxRow(idempotency_key=key, project_id=None, seq=payload.get("seq"),
                                  status=store_outbox.PENDING, kind=MAIL, attempts=0, payload=payload))
    except IntegrityError:
        return False  # another transaction queued the same event first
    return True


def _stamp(at: datetime) -> str:
    """An instant as a compact UTC stamp for keys: 20261124T150000000000Z."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
