"""A milestone's life from plan to paid, as pure functions over frozen records.

Every step takes the current values and returns `(new_milestone, AuditEvent)`; the store saves
both in one transaction (and bumps nothing itself: `version` is bumped here, for optimistic
locking). The transition table in `transitions` is the only place that says which moves are
legal; any other move raises `IllegalTransition` naming the current and requested state.

This module holds the road to acceptance (sign, submit, accept, partially accept, reject, deem
accepted); `invoicing` holds what follows (invoice due, invoiced, paid, voided, reopened). Every
step of both stays importable from here, so callers keep writing `lifecycle.mark_invoiced`.

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

from .allocation import active, amount_for
from .calendar import approval_deadline
from .errors import IllegalTransition, InvalidShare, NotBillableYet
from .invoicing import (
    billable_without_acceptance,
    intent_gross,
    mark_invoice_due,
    mark_invoiced,
    record_payment,
    reopen,
    take_back_payment,
    void,
)
from .model import AuditEvent, Milestone, MilestoneState, Project, Trigger
from .money import HUNDRED, ZERO, D, Money
from .transitions import TRANSITIONS, aware, can_move, check_move, move

__all__ = [
    "DEEMED_ACTOR", "TRANSITIONS", "accept", "accept_partially", "billable_without_acceptance",
    "can_move", "check_move", "deem_accepted", "intent_gross", "lapsed", "mark_invoice_due",
    "mark_invoiced", "record_payment", "reject", "reopen", "sign", "submit", "take_back_payment",
    "void",
]

S = MilestoneState

DEEMED_ACTOR = "milepost (approval window lapsed)"


def sign(project: Project, at: datetime, by: str = "") -> tuple[Project, AuditEvent]:
    """Record the signature: on_signature milestones and the deposit become billable."""
    if project.signed_at is not None:
        raise IllegalTransition(None, "signed", "signed", "the contract is already signed")
    signed = replace(project, signed_at=aware(at), version=project.version + 1)
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
        aware(at), project.approval_window_days, project.holiday_calendar, project.time_zone
    )
    changes = {
        "submitted_at": at,
        "approval_deadline": deadline,
        "evidence": m.evidence + tuple(evidence),
    }
    return move(
        project, m, S.SUBMITTED, at, by, "submitted", changes,
        evidence=evidence, data={"approval_deadline": deadline.isoformat()},
    )


def _refuse_after_deadline(m: Milestone, at: datetime, requested: MilestoneState) -> None:
    if m.state is S.SUBMITTED and m.approval_deadline and aware(at) > m.approval_deadline:
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
    return move(
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
    return move(
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
    return move(project, m, S.REJECTED, at, by, "rejected", reason=reason, evidence=evidence)


def deem_accepted(project: Project, m: Milestone, now: datetime) -> tuple[Milestone, AuditEvent]:
    """Accept by silence: only once the approval deadline has passed; dated at the deadline."""
    check_move(m, S.DEEMED_ACCEPTED)
    deadline = m.approval_deadline
    if deadline is None or aware(now) <= deadline:
        raise NotBillableYet(
            f"milestone {m.seq}: the approval window is still open"
            + (f" until {deadline.isoformat()}" if deadline else "")
        )
    changes = {"accepted_at": deadline, "accepted_by": DEEMED_ACTOR, "accepted_amount": None}
    return move(
        project, m, S.DEEMED_ACCEPTED, deadline, DEEMED_ACTOR, "deemed_accepted", changes,
        reason="approval window lapsed with no answer",
        data={"approval_deadline": deadline.isoformat(), "noticed_at": now.isoformat()},
    )


def lapsed(project: Project, milestones: Iterable[Milestone], now: datetime) -> list[Milestone]:
    """Submitted milestones whose approval window has lapsed at `now` (to deem accepted)."""
    aware(now)
    return [
        m
        for m in active(milestones)
        if m.state is S.SUBMITTED and m.approval_deadline is not None and now > m.approval_deadline
    ]


