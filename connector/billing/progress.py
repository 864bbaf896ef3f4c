"""Progress billing and monthly invoices.

A milestone with `billing = "progress"` is billed by percent complete: each step, documented with
evidence, bills the newly completed share (60% after 25% bills 35% of the milestone). Steps only
go forward; 100% accepts the milestone, and the last step bills what is left to the minor unit.

Pass-through costs and support time are recorded per month and billed on a monthly invoice
(`milepost:{key}:monthly-2026-11:1`) that also carries the milestones accepted that month and not
yet billed, each line naming its milestone (`InvoiceLine.seq`) so the store can mark them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from .allocation import amount_for, format_percent
from .calendar import local_date
from .errors import InvalidShare, NotBillableYet
from .intents import billable_amount, milestone_wording, project_intent
from .lifecycle import check_move
from .model import (
    AuditEvent,
    BillingMode,
    InvoiceIntent,
    InvoiceLine,
    Milestone,
    MilestoneState,
    Project,
)
from .money import HUNDRED, ZERO, D, Money

S = MilestoneState
CHARGE_KINDS = ("pass_through", "support")


def record_progress(
    project: Project,
    m: Milestone,
    at: datetime,
    by: str,
    percent_complete: Decimal | str,
    evidence: Sequence[str],
    *,
    schedule: Sequence[Milestone],
) -> tuple[Milestone, AuditEvent]:
    """A progress step: the milestone is now `percent_complete` done, shown by `evidence`."""
    if m.billing_mode is not BillingMode.PROGRESS:
        raise InvalidShare(f"milestone {m.seq} is billed on acceptance, not by progress")
    pct = D(percent_complete)
    if not m.percent_complete < pct <= HUNDRED:
        raise InvalidShare(
            f"milestone {m.seq}: progress must move forward from {format_percent(m.percent_complete)}% "
            f"and stay at most 100%, got {format_percent(pct)}%"
        )
    if not evidence:
        raise InvalidShare(f"milestone {m.seq}: a progress step needs evidence")
    to = S.ACCEPTED if pct == HUNDRED else S.PARTIALLY_ACCEPTED
    check_move(m, to)
    whole = amount_for(project, schedule, m.seq)
    accepted = None if to is S.ACCEPTED else whole.percent(pct)
    new = replace(
        m, state=to, version=m.version + 1, percent_complete=pct, accepted_at=at,
        accepted_by=by, accepted_amount=accepted, evidence=m.evidence + tuple(evidence),
    )
    event = AuditEvent(
        project_key=project.key, seq=m.seq, kind="progress", at=at, actor=by,
        from_state=m.state, to_state=to, evidence=tuple(evidence),
        data={"percent_complete": f"{format_percent(m.percent_complete)} -> {format_percent(pct)}"},
    )
    return new, event


@dataclass(frozen=True)
class MonthlyCharge:
    """A pass-through cost or support time recorded for a month."""

    kind: str  # pass_through | support
    on: date
    description: str
    amount: Money  # the line total
    quantity: Decimal = Decimal(1)  # e.g. support hours, for the line's wording


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def monthly_key(project: Project, month: str) -> str:
    return f"milepost:{project.key}:monthly-{month}:1"


def monthly_intent(
    project: Project,
    milestones: Sequence[Milestone],
    month: str,
    charges: Sequence[MonthlyCharge],
    invoice_date: date,
) -> InvoiceIntent:
    """The month's invoice: milestones accepted that month (and unbilled), then the charges."""
    lines: list[InvoiceLine] = []
    for m in sorted(milestones, key=lambda m: m.seq):
        if m.removed or m.accepted_at is None or month_of(local_date(m.accepted_at, project.time_zone)) != month:
            continue
        gross = billable_amount(project, milestones, m)
        if gross.amount <= ZERO:
            continue
        first, second, _ = milestone_wording(project, m)
        kind = "progress" if m.billing_mode is BillingMode.PROGRESS else "milestone"
        lines.append(InvoiceLine(f"{first}\n{second}", gross, kind, seq=m.seq))
    for charge in charges:
        if charge.kind not in CHARGE_KINDS:
            raise InvalidShare(f"unknown monthly charge kind {charge.kind!r}: use pass_through or support")
        if month_of(charge.on) != month:
            continue
        if charge.amount.currency != project.currency:
            raise InvalidShare(f"charge {charge.description!r} is not in {project.currency}")
        lines.append(InvoiceLine(charge.description, charge.amount, charge.kind, quantity=charge.quantity))
    if not lines:
        raise NotBillableYet(f"nothing to invoice for {project.key} in {month}")
    return project_intent(
        project, monthly_key(project, month), invoice_date, lines, f"{project.key} {month}",
        memo=f"Monthly invoice {month} | Payment terms: Net {project.payment_terms_days}",
    )
