"""Credit requests through the outbox: asked for in one transaction, issued by drain_outbox once.

    with transaction(sessions) as s:  request_credit(s, "ACME-WEB", 2, Decimal("500.00"), ...)
    ... drain_outbox: claim_credits, then the gateway credits, outside any transaction ...
    with transaction(sessions) as s:  complete_credit(s, item.id, note, at)

The request refuses (CreditRefused, naming the field and the rule) before anything is written;
otherwise it lowers the milestone's billing (and the contract total) by the credit's net, writes
the audit event `credit_requested` and an outbox row of kind `credit` keyed
`milepost:{key}:{seq}:{generation}:credit-{n}` (`billing.crediting`). The drain issues the
credit note (memo) under that key and looks it up first when an earlier try may have reached
the books, so a crash or a second drain never issues it twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy.orm import Session

from connector.billing import crediting
from connector.billing.allocation import is_locked
from connector.billing.model import AuditEvent, ChangeOrder, Milestone, MilestoneState, Project
from connector.billing.money import Money

from . import records, service
from .credit_totals import CREDIT, credited_by_milestone
from .invoice_requests import ClaimedRequest, InvoiceRequest
from .models import InvoiceRow, OutboxRow
from .outbox import DONE, EVERY, FAILED, PROCESSING, Lane, claim_rows
from .repository import BillingRepository
from .voids import VOID, milestone_invoice


@dataclass(frozen=True)
class CreditRequest(InvoiceRequest):
    """The outbox payload of a credit: how much (tax included, and its net), on which invoice,
    for which milestone generation, why, and the change order it follows (if any)."""

    KIND: ClassVar[str] = CREDIT

    amount: str
    net: str
    currency: str
    ref: str = ""
    at: str = ""  # when it was asked for (ISO 8601); older requests: the outbox row's created_at
    lowers_total: bool = True  # False: a change order lowered the contract total itself

    @property
    def money(self) -> Money:
        return Money(Decimal(self.amount), self.currency)

    @property
    def description(self) -> str:
        """The credit's line wording: the reason, citing the change order when there is one."""
        cited = f"{self.ref}: " if self.ref and not self.reason.startswith(self.ref) else ""
        return f"Credit on milestone {self.seq}: {cited}{self.reason}"


ClaimedCredit = ClaimedRequest[CreditRequest]


def request_credit(
    session: Session, key: str, seq: int, amount: Decimal | None, reason: str, by: str, at: datetime,
    *, ref: str = "", ordered_net: Money | None = None,
) -> CreditRequest:
    """Queue a credit of `amount` (tax included) on the milestone's invoice, or refuse it
    (CreditRefused, VoidRefused for a milestone without an invoice of its own) writing nothing.

    `ordered_net`: a change order lowered the milestone by this much (before tax) and moved the
    contract total itself; the credit is that net with the invoice's tax on it."""
    repo = BillingRepository(session)
    project, current = repo.milestone(key, seq)
    if ordered_net is not None:
        amount = _with_tax(session, repo, key, current, ordered_net)
    money = crediting.checked_amount(amount if amount is not None else Decimal(0), project.currency)
    if not reason.strip():
        raise crediting.CreditRefused("reason", "required", "a credit needs a reason")
    if current.state not in crediting.CREDITABLE:
        crediting.check_creditable(current, money, reason, Money.zero(project.currency))
    invoice, _ = milestone_invoice(session, repo, key, current, "credit")
    if invoice.platform == "xero" and invoice.status == "draft":
        # Xero allocates credit only to AUTHORISED invoices (developer.xero.com, Credit Notes:
        # "Allocations can only be made against Authorised documents")
        raise crediting.CreditRefused("seq", "draft_invoice", f"milestone {seq}'s Xero invoice is a draft: "
                                      "approve it in Xero first (or void it: milepost invoice void)")
    rows = repo.outbox(key)
    mine = [r for r in rows if r.kind == CREDIT and r.seq == seq]
    if any(r.kind == VOID and r.seq == seq and r.status not in (DONE, FAILED) for r in rows):
        raise crediting.CreditRefused("seq", "void_pending", f"milestone {seq}'s invoice is being voided")
    pending = sum((Decimal(r.payload["amount"]) for r in mine
                   if r.status not in (DONE, FAILED) and r.payload.get("invoice_row_id") == invoice.id),
                  Decimal(0))
    creditable = Money(max(invoice.balance - pending, Decimal(0)), project.currency)
    crediting.check_creditable(current, money, reason, creditable)
    net = ordered_net or crediting.credit_net(money, _invoice_net(session, invoice, project.currency),
                                              Money(invoice.total, project.currency))
    idempotency_key = crediting.credit_key(key, current, len(mine) + 1)
    request = CreditRequest(
        idempotency_key=idempotency_key, project_key=key, seq=seq, generation=current.generation,
        amount=str(money.amount), net=str(net.amount), currency=project.currency,
        reason=reason.strip(), by=by, invoice_row_id=invoice.id, platform=invoice.platform,
        platform_id=invoice.platform_id, number=invoice.number or "", ref=ref, at=at.isoformat(),
        lowers_total=ordered_net is None,
    )
    label = f"{invoice.platform} invoice {invoice.number or invoice.platform_id}"
    new_project, new_m, event = crediting.credit_requested(
        project, current, at, by, request.reason, amount=money, net=net, key=idempotency_key,
        invoice=label, ref=ref, lower_total=ordered_net is None)
    if ordered_net is None:  # a change order has lowered the milestone and the total already
        if new_project != project:
            repo.save_project(new_project, None)
        repo.save_milestone(key, new_m, current.version)
    repo.append_event(event)
    session.add(OutboxRow(
        idempotency_key=idempotency_key, project_id=repo.project_row(key).id, seq=seq,
        status="pending", kind=CREDIT, attempts=0, connection_id=invoice.connection_id,
        payload=request.json(),
    ))
    session.flush()
    return request


def _with_tax(session: Session, repo: BillingRepository, key: str, m: Milestone, net: Money) -> Decimal:
    """A net reduction as the amount to credit: with the invoice's own share of tax on it."""
    invoice, _ = milestone_invoice(session, repo, key, m, "credit")
    invoice_net = _invoice_net(session, invoice, net.currency)
    if invoice_net.amount <= 0 or invoice_net.amount == invoice.total:
        return net.amount
    return Money(net.amount * invoice.total / invoice_net.amount, net.currency).amount


def apply_change_order(
    session: Session, key: str, order: ChangeOrder, apply: service.ChangeOrderFn, at: datetime
) -> tuple[Project, list[Milestone], list[CreditRequest]]:
    """Apply a change order and, in the same transaction, queue the credit of the difference for
    each invoiced milestone it lowers, citing it; a credit refused refuses the whole order."""
    _, before = BillingRepository(session).load(key)
    project, schedule = service.apply_change_order(session, key, order, apply)
    was = {m.seq: m for m in before}
    queued = []
    for m in schedule:
        old = was.get(m.seq)
        if old is None or old.billed is None or m.billed is None or not is_locked(old):
            continue
        if m.generation == old.generation and m.billed.amount < old.billed.amount:
            queued.append(request_credit(
                session, key, m.seq, None, f"{order.reference}: {order.reason}", order.approver, at,
                ref=order.reference, ordered_net=old.billed - m.billed))
    return project, schedule, queued


def _invoice_net(session: Session, invoice: InvoiceRow, currency: str) -> Money:
    """What the invoice's lines add up to in Milepost's intent (before any tax the books add)."""
    row = session.get(OutboxRow, invoice.outbox_id) if invoice.outbox_id is not None else None
    if row is None or row.kind != "invoice":
        return Money(invoice.total, currency)
    return records.intent_from_json(row.payload).total


def claim_credits(session: Session, limit: int = 10, skip: Collection[int] = (),
                  connection: Lane = EVERY) -> list[ClaimedCredit]:
    """Take up to `limit` pending credit requests, oldest first, as `claim_pending` does intents."""
    return [ClaimedCredit(row.id, CreditRequest.from_json(row.payload), row.attempts, row.connection_id)
            for row in claim_rows(session, CREDIT, limit, skip, connection=connection)]


def complete_credit(
    session: Session, outbox_id: int, *, credit_id: str, number: str, total: Money,
    applied: Money, at: datetime,
) -> bool:
    """Record what the books did; False if another worker already did. The invoice's stored
    balance drops by what was applied (the next sync confirms it from the books)."""
    row = session.get(OutboxRow, outbox_id)
    if row is None or row.status != PROCESSING:
        return False
    request = CreditRequest.from_json(row.payload)
    row.status, row.last_error = DONE, None
    repo = BillingRepository(session)
    again = any(e.kind == "credit_issued" and e.data.get("idempotency_key") == request.idempotency_key
                for e in repo.events(request.project_key, request.seq))
    invoice = session.get(InvoiceRow, request.invoice_row_id)
    if invoice is not None and applied.amount > 0 and not again:  # a redelivery found it done
        invoice.balance = max(invoice.balance - applied.amount, Decimal(0))
        if invoice.balance == 0:
            invoice.status = "paid"
    repo.append_event(AuditEvent(
        project_key=request.project_key, seq=request.seq, kind="credit_issued", at=at,
        actor=request.by, reason=request.reason,
        data={"platform": request.platform, "invoice_id": request.platform_id,
              "credit_note": credit_id, "credit_number": number, "total": str(total),
              "applied": str(applied), "idempotency_key": request.idempotency_key,
              **({"reference": request.ref} if request.ref else {})},
    ))
    return True


def credited(session: Session, key: str, at: datetime | None = None) -> dict[int, Money]:
    """Per milestone of the project, the net credited on its current invoice (for reports); a
    milestone voided since bills nothing, so nothing of it is credited either. `at`: only the
    credits asked for by then."""
    repo = BillingRepository(session)
    project, schedule = repo.load(key)
    current = {m.seq: m.generation for m in schedule if m.state is not MilestoneState.VOIDED}
    return credited_by_milestone(repo.outbox(key), current, project.currency, at)
