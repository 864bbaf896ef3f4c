"""A milestone's life from plan to paid, as pure functions over frozen records.

Every step takes the current values and returns `(new_milestone, AuditEvent)`; the store saves
both in one transaction (and bumps nothing itself: `version` is bumped here, for optimistic
locking). The transition table below is the only place that says which moves are legal; any
other move raises `IllegalTransition` naming the current and requested state.

Decisions (documented for users):

* A rejected milestone goes back to work and may be resubmitted; each submission starts a new
  approval window.
* A partial acceptance accepts a share of the milestone (a percent *of the milestone* or an
  amount); shares add up. The rest stays open: it can be accepted later (`accept`), accepted in
  further shares, or resubmitted for a new window. Each accepted share is billable at once.
* Silence is acceptance: once the window has lapsed, `deem_accepted` accepts the milestone as
  of the deadline, and a rejection recorded after the deadline is refused.
* `on_signature` milestones become invoice-due once the project is signed; `on_date` milestones
  on their planned date (local to the project). Neither is submitted for acceptance.
* Payments or invoices for earlier partial shares are recorded without moving the state.
* A voided milestone may be reopened; it then bills under a new generation (a new idempotency
  key), since the old invoice is void.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .allocation import active, amount_for
from .calendar import approval_deadline, local_date
from .errors import IllegalTransition, InvalidShare, NotBillableYet
from .model import AuditEvent, InvoiceIntent, Milestone, MilestoneState, Project, Trigger
from .money import HUNDRED, ZERO, D, Money

S = MilestoneState

TRANSITIONS: dict[MilestoneState, frozenset[MilestoneState]] = {
    # accepted without a formal submission, or a progress step
    S.PLANNED: frozenset(
        {S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.INVOICE_DUE, S.VOIDED}
    ),
    S.SUBMITTED: frozenset(
        {S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.REJECTED, S.DEEMED_ACCEPTED, S.VOIDED}
    ),
    S.REJECTED: frozenset({S.SUBMITTED, S.VOIDED}),
    S.PARTIALLY_ACCEPTED: frozenset(
        {S.PARTIALLY_ACCEPTED, S.ACCEPTED, S.SUBMITTED, S.VOIDED}
    ),
    S.ACCEPTED: frozenset({S.INVOICE_DUE, S.VOIDED}),
    S.DEEMED_ACCEPTED: frozenset({S.INVOICE_DUE, S.VOIDED}),
    S.INVOICE_DUE: frozenset({S.INVOICED, S.VOIDED}),
    S.INVOICED: frozenset({S.PARTIALLY_PAID, S.PAID, S.VOIDED}),
    S.PARTIALLY_PAID: frozenset({S.PARTIALLY_PAID, S.PAID}),
    S.PAID: frozenset(),
    S.VOIDED: frozenset({S.PLANNED}),
}

DEEMED_ACTOR = "milepost (approval window lapsed)"


def can_move(current: MilestoneState, requested: MilestoneState) -> bool:
    return requested in TRANSITIONS[current]


def check_move(m: Milestone, requested: MilestoneState, why: str = "") -> None:
    if not can_move(m.state, requested):
        raise IllegalTransition(m.seq, m.state.value, requested.value, why)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return at


def _move(
    project: Project,
    m: Milestone,
    to: MilestoneState,
    at: datetime,
    by: str,
    kind: str,
    changes: dict[str, Any] | None = None,
    *,
    reason: str = "",
    evidence: Iterable[str] = (),
    data: dict[str, str] | None = None,
) -> tuple[Milestone, AuditEvent]:
    """Check the table, apply the changes, bump the version, and explain it in an event."""
    check_move(m, to)
    new = replace(m, state=to, version=m.version + 1, **(changes or {}))
    event = AuditEvent(
        project_key=project.key,
        seq=m.seq,
        kind=kind,
        at=_aware(at),
        actor=by,
        from_state=m.state,
        to_state=to,
        reason=reason,
        evidence=tuple(evidence),
        data=dict(data or {}),
    )
    return new, event


def sign(project: Project, at: datetime, by: str = "") -> tuple[Project, AuditEvent]:
    """Record the signature: on_signature milestones and the deposit become billable."""
    if project.signed_at is not None:
        raise IllegalTransition(None, "signed", "signed", "the contract is already signed")
    signed = replace(project, signed_at=_aware(at), version=project.version + 1)
    event = AuditEvent(project_key=project.key, seq=None, kind="signed", at=at, actor=by)
    return signed, event


def submit(
    project: Project, m: Milestone, at: datetime, by: str, evidence: Sequence[str] = ()
) -> tuple[Milestone, AuditEvent]:
    """Submit the deliverable for acceptance; the approval window starts now."""
    if m.trigger is not Trigger.ON_ACCEPTANCE:
        why = f"an {m.trigger.value} milestone is not submitted for acceptance"
        raise IllegalTransition(m.seq, m.state.value, S.SUBMITTED.value, why)
    check_move(m, S.SUBMITTED)
    if m.evidence_required and not evidence:
        raise NotBillableYet(
            f"milestone {m.seq} needs evidence to be submitted: {', '.join(m.evidence_required)}"
        )
    deadline = approval_deadline(
        _aware(at), project.approval_window_days, project.holiday_calendar, project.time_zone
    )
    changes = {
        "submitted_at": at,
        "approval_deadline": deadline,
        "evidence": m.evidence + tuple(evidence),
    }
    return _move(
        project, m, S.SUBMITTED, at, by, "submitted", changes,
        evidence=evidence, data={"approval_deadline": deadline.isoformat()},
    )


def _refuse_after_deadline(m: Milestone, at: datetime, requested: MilestoneState) -> None:
    if m.state is S.SUBMITTED and m.approval_deadline and _aware(at) > m.approval_deadline:
        why = (
            f"the approval window lapsed at {m.approval_deadline.isoformat()}; "
            "the milestone is deemed accepted"
        )
        raise IllegalTransition(m.seq, m.state.value, requested.value, why)


def accept(
    project: Project,
    m: Milestone,
    at: datetime,
    by: str,
    *,
    evidence: Sequence[str] = (),
    reason: str = "",
) -> tuple[Milestone, AuditEvent]:
    """The approver accepts the milestone (or, after a partial acceptance, the remainder)."""
    changes = {"accepted_at": at, "accepted_by": by, "accepted_amount": None}
    return _move(
        project, m, S.ACCEPTED, at, by, "accepted", changes, reason=reason, evidence=evidence
    )


def accept_partially(
    project: Project,
    m: Milestone,
    at: datetime,
    by: str,
    *,
    schedule: Sequence[Milestone],
    percent: Decimal | str | None = None,
    amount: Money | None = None,
    reason: str = "",
    evidence: Sequence[str] = (),
) -> tuple[Milestone, AuditEvent]:
    """Accept a share of the milestone: `percent` of the milestone's amount, or `amount`.

    Shares accumulate in `accepted_amount`; the accepted share must leave something open
    (accepting everything is `accept`). `schedule` is the project's milestones, needed to
    resolve the milestone's amount.
    """
    check_move(m, S.PARTIALLY_ACCEPTED)
    _refuse_after_deadline(m, at, S.PARTIALLY_ACCEPTED)
    whole = amount_for(project, schedule, m.seq)
    share = _share(whole, percent, amount, m.seq)
    before = m.accepted_amount or Money.zero(project.currency)
    after = before + share
    if after.amount >= whole.amount:
        raise InvalidShare(
            f"milestone {m.seq}: a share of {share} would accept all of {whole}; accept it instead"
        )
    changes = {"accepted_at": at, "accepted_by": by, "accepted_amount": after}
    data = {"share": str(share), "accepted_total": str(after), "milestone_amount": str(whole)}
    if percent is not None:
        data["percent"] = f"{D(percent):f}"
    return _move(
        project, m, S.PARTIALLY_ACCEPTED, at, by, "partially_accepted", changes,
        reason=reason, evidence=evidence, data=data,
    )


def _share(whole: Money, percent: Decimal | str | None, amount: Money | None, seq: int) -> Money:
    if (percent is None) == (amount is None):
        raise InvalidShare(f"milestone {seq}: give either a percent or an amount for the share")
    if percent is not None:
        pct = D(percent)
        if not ZERO < pct < HUNDRED:
            raise InvalidShare(f"milestone {seq}: percent must be between 0 and 100, got {pct}")
        return whole.percent(pct)
    assert amount is not None
    if amount.currency != whole.currency:
        raise InvalidShare(f"milestone {seq}: amount must be in {whole.currency}")
    if amount.amount <= 0:
        raise InvalidShare(f"milestone {seq}: amount must be positive, got {amount}")
    return amount


def reject(
    project: Project,
    m: Milestone,
    at: datetime,
    by: str,
    reason: str,
    *,
    evidence: Sequence[str] = (),
) -> tuple[Milestone, AuditEvent]:
    """The approver rejects the submission with a reason; the work goes back for changes."""
    if not reason.strip():
        raise IllegalTransition(m.seq, m.state.value, S.REJECTED.value, "a rejection needs a reason")
    check_move(m, S.REJECTED)
    _refuse_after_deadline(m, at, S.REJECTED)
    return _move(project, m, S.REJECTED, at, by, "rejected", reason=reason, evidence=evidence)


def deem_accepted(project: Project, m: Milestone, now: datetime) -> tuple[Milestone, AuditEvent]:
    """Accept by silence: only once the approval deadline has passed; dated at the deadline."""
    check_move(m, S.DEEMED_ACCEPTED)
    deadline = m.approval_deadline
    if deadline is None or _aware(now) <= deadline:
        raise NotBillableYet(
            f"milestone {m.seq}: the approval window is still open"
            + (f" until {deadline.isoformat()}" if deadline else "")
        )
    changes = {"accepted_at": deadline, "accepted_by": DEEMED_ACTOR, "accepted_amount": None}
    return _move(
        project, m, S.DEEMED_ACCEPTED, deadline, DEEMED_ACTOR, "deemed_accepted", changes,
        reason="approval window lapsed with no answer",
        data={"approval_deadline": deadline.isoformat(), "noticed_at": now.isoformat()},
    )


def lapsed(project: Project, milestones: Iterable[Milestone], now: datetime) -> list[Milestone]:
    """Submitted milestones whose approval window has lapsed at `now` (to deem accepted)."""
    _aware(now)
    return [
        m
        for m in active(milestones)
        if m.state is S.SUBMITTED and m.approval_deadline is not None and now > m.approval_deadline
    ]


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
    return _move(project, m, to, at, by, "invoice_due", {"billed": billed}, data=data)


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
        return _still(project, m, at, by, "invoiced", data)
    return _move(project, m, S.INVOICED, at, by, "invoiced", data=data)


_SHARE_STATES = frozenset(
    {S.PARTIALLY_ACCEPTED, S.SUBMITTED, S.ACCEPTED, S.DEEMED_ACCEPTED, S.REJECTED}
)


def _still(
    project: Project, m: Milestone, at: datetime, by: str, kind: str, data: dict[str, str],
    changes: dict[str, Any] | None = None,
) -> tuple[Milestone, AuditEvent]:
    new = replace(m, version=m.version + 1, **(changes or {}))
    event = AuditEvent(
        project_key=project.key, seq=m.seq, kind=kind, at=_aware(at), actor=by,
        from_state=m.state, to_state=m.state, data=data,
    )
    return new, event


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
        return _still(project, m, at, by, "payment", data, {"paid": paid})
    billed = m.billed or Money.zero(project.currency)
    settled = invoice_balance.amount <= 0 if invoice_balance is not None else paid.amount >= billed.amount
    to = S.PAID if settled else S.PARTIALLY_PAID
    return _move(project, m, to, at, by, "payment", {"paid": paid}, data=data)


def void(
    project: Project, m: Milestone, at: datetime, by: str, reason: str
) -> tuple[Milestone, AuditEvent]:
    """Void the milestone (and what was billed for it); nothing paid can be voided."""
    if m.paid is not None and m.paid.amount > 0:
        why = "payments have been recorded against it"
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, why)
    return _move(project, m, S.VOIDED, at, by, "voided", {"billed": None}, reason=reason)


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
    return _move(project, m, S.PLANNED, at, by, "reopened", changes, reason=reason)
