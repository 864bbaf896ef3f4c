"""Void requests through the outbox: asked for in one transaction, done by drain_outbox once.

    with transaction(sessions) as s:  request_void(s, "ACME-WEB", 2, reason, by, at)
    ... drain_outbox: claim_voids, then the gateway voids or credits, outside any transaction ...
    with transaction(sessions) as s:  complete_void(s, item.id, settled, at)

The request writes the audit event (`void_requested`) and an outbox row of kind `void` whose
key is `milepost:{key}:{seq}:{generation}:void` (`billing.voiding.void_key`), so asking twice
queues one row and a drain that runs twice voids once: a done row is never claimed again, and
a row reclaimed after a crash is looked up in the books before anything is retried (see
`jobs/voids.py`). The milestone moves to `voided` only when the books have answered.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.billing import lifecycle, voiding
from connector.billing.model import AuditEvent, Milestone, Project
from connector.billing.money import Money

from . import service
from .errors import StoreError
from .invoice_requests import ClaimedRequest, InvoiceRequest
from .models import InvoiceMilestoneRow, InvoiceRow, MilestoneRow, OutboxRow, PaymentRow
from .outbox import DONE, EVERY, PENDING, PROCESSING, Lane, claim_rows
from .repository import BillingRepository

VOID = "void"


class VoidRefused(StoreError):
    """The milestone's invoice cannot be voided from here (none stored, or it bills others)."""


@dataclass(frozen=True)
class VoidRequest(InvoiceRequest):
    """The outbox payload of a void: which invoice, for which milestone generation, and why."""

    KIND: ClassVar[str] = VOID

    invoice_key: str  # the idempotency key the invoice was created under
    reopen: bool = False


ClaimedVoid = ClaimedRequest[VoidRequest]


@dataclass(frozen=True)
class SettledVoid:
    """What the books did: `voided` / `deleted` the invoice, or `credited` its unpaid balance."""

    action: str
    invoice_status: str
    balance: Decimal
    credited: Decimal | None = None
    credit_id: str = ""
    credit_number: str = ""


def request_void(
    session: Session, key: str, seq: int, reason: str, by: str, at: datetime, *, reopen: bool = False
) -> tuple[VoidRequest, bool]:
    """Queue the void of the milestone's invoice; (the request, whether it is new).

    The domain refuses what its state does not allow (IllegalTransition, with what to do
    instead); a repeated request for the same invoice returns the queued one unchanged."""
    repo = BillingRepository(session)
    project, current = repo.milestone(key, seq)
    voiding.check_voidable(current, reason)
    idempotency_key = voiding.void_key(key, current)
    queued = session.scalars(select(OutboxRow).where(OutboxRow.idempotency_key == idempotency_key)).first()
    if queued is not None:
        return VoidRequest.from_json(queued.payload), False
    invoice, invoice_key = milestone_invoice(session, repo, key, current)
    request = VoidRequest(
        idempotency_key=idempotency_key, project_key=key, seq=seq, generation=current.generation,
        reason=reason.strip(), by=by, invoice_row_id=invoice.id, platform=invoice.platform,
        platform_id=invoice.platform_id, number=invoice.number or "", invoice_key=invoice_key,
        reopen=reopen,
    )
    label = f"{invoice.platform} invoice {invoice.number or invoice.platform_id}"
    service.transition(session, key, seq, lambda p, m, _s: voiding.void_requested(
        p, m, at, by, request.reason, invoice=label, key=idempotency_key))
    session.add(OutboxRow(
        idempotency_key=idempotency_key, project_id=repo.project_row(key).id, seq=seq,
        status=PENDING, kind=VOID, attempts=0, connection_id=invoice.connection_id,
        payload=request.json(),
    ))
    session.flush()
    return request, True


def milestone_invoice(
    session: Session, repo: BillingRepository, key: str, m: Milestone, verb: str = "void"
) -> tuple[InvoiceRow, str]:
    """The milestone's latest invoice, which must bill it alone, and its idempotency key."""
    milestone_id = repo.milestone_row(repo.project_row(key), m.seq).id
    invoice_id = session.scalar(select(func.max(InvoiceMilestoneRow.invoice_id))
                                .where(InvoiceMilestoneRow.milestone_id == milestone_id))
    invoice = session.get(InvoiceRow, invoice_id) if invoice_id is not None else None
    if invoice is None:
        raise VoidRefused(f"milestone {m.seq} of {key} has no invoice stored: nothing to {verb}")
    others = session.scalars(
        select(MilestoneRow.seq).join(InvoiceMilestoneRow, InvoiceMilestoneRow.milestone_id == MilestoneRow.id)
        .where(InvoiceMilestoneRow.invoice_id == invoice.id, MilestoneRow.id != milestone_id)
    ).all()
    if others:
        seqs = ", ".join(str(s) for s in sorted(others))
        raise VoidRefused(f"invoice {invoice.number or invoice.platform_id} also bills milestone(s) "
                          f"{seqs} of {key}: {verb} it in the books, where the sync brings it home")
    outbox = session.get(OutboxRow, invoice.outbox_id) if invoice.outbox_id is not None else None
    return invoice, outbox.idempotency_key if outbox is not None else ""


def claim_voids(session: Session, limit: int = 10, skip: Collection[int] = (),
                connection: Lane = EVERY) -> list[ClaimedVoid]:
    """Take up to `limit` pending void requests, oldest first, as `claim_pending` does intents."""
    return [ClaimedVoid(row.id, VoidRequest.from_json(row.payload), row.attempts, row.connection_id)
            for row in claim_rows(session, VOID, limit, skip, connection=connection)]


def payments_recorded(session: Session, request: VoidRequest) -> bool:
    """True when the store knows of money received on the invoice (then it is credited)."""
    invoice = session.get(InvoiceRow, request.invoice_row_id)
    if invoice is not None and invoice.amount_paid > 0:
        return True
    return session.scalars(select(PaymentRow.id).where(PaymentRow.invoice_id == request.invoice_row_id)).first() is not None


def complete_void(session: Session, outbox_id: int, settled: SettledVoid, at: datetime) -> bool:
    """Record what the books did and void the milestone; False if another worker already did.

    A milestone that moved on meanwhile (the sync saw the void first and reopened it) keeps its
    state; the trail still says what the books did."""
    row = session.get(OutboxRow, outbox_id)
    if row is None or row.status != PROCESSING:
        return False
    request = VoidRequest.from_json(row.payload)
    row.status, row.last_error = DONE, None
    invoice = session.get(InvoiceRow, request.invoice_row_id)
    if invoice is not None:
        invoice.status, invoice.balance = settled.invoice_status, settled.balance
    data = _event_data(request, settled)
    _, current = BillingRepository(session).milestone(request.project_key, request.seq)
    if current.generation != request.generation or current.state not in voiding.VOIDABLE:
        BillingRepository(session).append_event(AuditEvent(
            project_key=request.project_key, seq=request.seq, kind=f"invoice_{settled.action}",
            at=at, actor=request.by, reason=f"{request.reason} (the milestone had moved on: "
            f"{current.state.value}, generation {current.generation})", data=data,
        ))
        return True
    service.transition(session, request.project_key, request.seq, _settle_step(request, settled, at, data))
    if request.reopen:
        service.transition(session, request.project_key, request.seq,
                           lambda p, m, _s: lifecycle.reopen(p, m, at, request.by, request.reason))
    return True


def _settle_step(request: VoidRequest, settled: SettledVoid, at: datetime, data: dict[str, str]) -> service.Step:
    def step(p: Project, m: Milestone, _s: object) -> tuple[Milestone, AuditEvent]:
        credited = Money(settled.credited, p.currency) if settled.credited is not None else None
        return voiding.void_settled(p, m, at, request.by, request.reason, data=data, credited=credited)
    return step


def _event_data(request: VoidRequest, settled: SettledVoid) -> dict[str, str]:
    data = {"platform": request.platform, "invoice_id": request.platform_id, "number": request.number,
            "action": settled.action, "idempotency_key": request.idempotency_key}
    if settled.credit_id:
        data.update(credit_note=settled.credit_id, credit_number=settled.credit_number)
    return data
