"""A milestone's life after acceptance: invoice due, invoiced, partially paid, paid; or voided.

The books can also take a step back: a payment deleted or voided there is taken back here
(`take_back_payment`: paid -> partially paid or invoiced), since the platform is the witness
of money received.

Pure functions over frozen records, like `lifecycle` (whose decisions apply here too): each
returns `(new_milestone, AuditEvent)` through the one transition table in `transitions`.
Invoices or payments for earlier partial shares are recorded without moving the state.
"""

from __future__ import annotations

from datetime import datetime

from .calendar import local_date
from .errors import IllegalTransition, InvalidShare, NotBillableYet
from .model import AuditEvent, InvoiceIntent, Milestone, MilestoneState, Project, Trigger
from .money import ZERO, Money
from .transitions import move, still

S = MilestoneState


def billable_without_acceptance(project: Project, m: Milestone, at: datetime) -> bool:
    """True for an on_signature milestone of a signed contract, or an on_date milestone whose
    planned date has come (in the project's time zone)."""
    if m.state is not S.PLANNED:
        return False
    if m.trigger is Trigger.ON_SIGNATURE:
        return project.signed_at is not None and project.signed_at <= at
    if m.trigger is Trigger.ON_DATE and m.planned_date is not None:
        return m.planned_date <= local_date(at, project.time_zone)
    return False


def intent_gross(intent: InvoiceIntent, seq: int | None = None) -> Money:
    """What an intent bills for a milestone's work (before deposit credit and retainage).

    A monthly intent carries several milestones; its lines name theirs in `InvoiceLine.seq`.
    """
    seq = intent.seq if seq is None else seq
    total = Money.zero(intent.currency)
    for line in intent.lines:
        line_seq = line.seq if line.seq is not None else intent.seq
        if line.kind in ("milestone", "progress") and line_seq == seq:
            total = total + line.amount
    return total


def mark_invoice_due(
    project: Project, m: Milestone, intent: InvoiceIntent, at: datetime, by: str = "milepost"
) -> tuple[Milestone, AuditEvent]:
    """An invoice intent now exists for the milestone: its gross amount counts as billed.

    For an accepted (or deemed accepted, or due on signature/date) milestone this locks its
    amount; for a partial share the milestone stays partially accepted with the rest open.
    """
    gross = intent_gross(intent, m.seq)
    if intent.project_key != project.key or gross.amount <= 0:
        raise ValueError(f"intent {intent.idempotency_key} bills nothing for milestone {m.seq}")
    if m.state is S.PLANNED and not billable_without_acceptance(project, m, at):
        raise NotBillableYet(f"milestone {m.seq} ({m.trigger.value}) is not billable yet")
    to = S.PARTIALLY_ACCEPTED if m.state is S.PARTIALLY_ACCEPTED else S.INVOICE_DUE
    billed = (m.billed or Money.zero(project.currency)) + gross
    data = {"idempotency_key": intent.idempotency_key, "amount": str(gross)}
    return move(project, m, to, at, by, "invoice_due", {"billed": billed}, data=data)


def mark_invoiced(
    project: Project,
    m: Milestone,
    at: datetime,
    *,
    platform: str,
    invoice_id: str,
    number: str = "",
    by: str = "milepost",
) -> tuple[Milestone, AuditEvent]:
    """The platform invoice exists. For an earlier partial share the state does not move."""
    data = {"platform": platform, "invoice_id": invoice_id, "number": number}
    if m.state is not S.INVOICE_DUE and m.billed is not None and m.state in _SHARE_STATES:
        return still(project, m, at, by, "invoiced", data)
    return move(project, m, S.INVOICED, at, by, "invoiced", data=data)


_SHARE_STATES = frozenset(
    {S.PARTIALLY_ACCEPTED, S.SUBMITTED, S.ACCEPTED, S.DEEMED_ACCEPTED, S.REJECTED}
)


def record_payment(
    project: Project,
    m: Milestone,
    amount: Money,
    at: datetime,
    *,
    invoice_balance: Money | None = None,
    by: str = "platform",
    reference: str = "",
) -> tuple[Milestone, AuditEvent]:
    """A payment seen on the platform against the milestone's invoice.

    Paid when the platform reports the invoice balance at zero (`invoice_balance`), or, without
    it, when payments reach what was billed. Invoice totals differ from the milestone's gross
    when retainage or a deposit credit is on them, so the balance is the better witness.
    """
    if amount.amount <= 0:
        raise InvalidShare(f"milestone {m.seq}: a payment must be positive, got {amount}")
    paid = (m.paid or Money.zero(project.currency)) + amount
    data = {"amount": str(amount), "paid_total": str(paid), "reference": reference}
    if m.state in _SHARE_STATES:
        return still(project, m, at, by, "payment", data, {"paid": paid})
    billed = m.billed or Money.zero(project.currency)
    settled = invoice_balance.amount <= 0 if invoice_balance is not None else paid.amount >= billed.amount
    to = S.PAID if settled else S.PARTIALLY_PAID
    return move(project, m, to, at, by, "payment", {"paid": paid}, data=data)


def take_back_payment(
    project: Project,
    m: Milestone,
    amount: Money,
    at: datetime,
    *,
    invoice_balance: Money | None = None,
    by: str = "platform",
    reference: str = "",
) -> tuple[Milestone, AuditEvent]:
    """A payment recorded earlier was deleted or voided in the books: the books win.

    The milestone goes back to partially paid, or to invoiced when nothing paid is left; it
    stays paid only when the books still say the invoice is settled (`invoice_balance`).
    Taking back more than was recorded is refused, so a payment never counts twice.
    """
    recorded = m.paid or Money.zero(project.currency)
    if amount.amount <= 0 or amount.amount > recorded.amount:
        why = f"cannot take back {amount}: {recorded} is recorded as paid"
        raise InvalidShare(f"milestone {m.seq}: {why}")
    paid = recorded - amount
    changes = {"paid": paid if paid.amount > 0 else None}
    data = {"amount": str(amount), "paid_total": str(paid), "reference": reference}
    if m.state in _SHARE_STATES:
        return still(project, m, at, by, "payment_removed", data, changes)
    if m.state not in (S.PAID, S.PARTIALLY_PAID):
        raise IllegalTransition(m.seq, m.state.value, S.INVOICED.value, "no payment is recorded")
    billed = m.billed or Money.zero(project.currency)
    settled = invoice_balance.amount <= 0 if invoice_balance is not None else paid.amount >= billed.amount
    to = S.INVOICED if paid.amount <= 0 else S.PAID if settled else S.PARTIALLY_PAID
    if to is m.state and to is S.PAID:
        return still(project, m, at, by, "payment_removed", data, changes)
    return move(project, m, to, at, by, "payment_removed", changes, data=data)


def void(
    project: Project, m: Milestone, at: datetime, by: str, reason: str
) -> tuple[Milestone, AuditEvent]:
    """Void the milestone (and what was billed for it); nothing paid can be voided."""
    if m.paid is not None and m.paid.amount > 0:
        why = "payments have been recorded against it"
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, why)
    return move(project, m, S.VOIDED, at, by, "voided", {"billed": None}, reason=reason)


def reopen(
    project: Project, m: Milestone, at: datetime, by: str, reason: str
) -> tuple[Milestone, AuditEvent]:
    """Bring a voided milestone back to planned; it bills under the next generation."""
    changes = {
        "generation": m.generation + 1,
        "submitted_at": None,
        "approval_deadline": None,
        "accepted_at": None,
        "accepted_by": None,
        "accepted_amount": None,
        "billed": None,
        "paid": None,
        "percent_complete": ZERO,
    }
    return move(project, m, S.PLANNED, at, by, "reopened", changes, reason=reason)
