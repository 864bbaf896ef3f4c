"""The project report, computed from stored facts at a given moment; no platform is called.

`build_report` takes the project, its milestones, the invoices the store knows (as
`InvoiceView`s) and the intents already issued, and returns a `Report` whose `as_json()` has the
issue's fields (amounts as decimal strings) and whose rows carry the construction-style columns:
scheduled value, previously billed, this period, billed to date, percent complete, balance to
finish, retainage.

Definitions: `billed` is the gross value of work put on invoice intents; `paid`,
`outstanding` and `overdue` come from the platform invoices (balances, due dates in the
project's time zone); `accepted_unbilled` is accepted work with no intent yet; `remaining` is the
contract total not yet billed; `retainage_held` is withheld and not yet released.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .allocation import active, basis_text, scheduled_amounts
from .calendar import local_date
from .intents import billable_amount, retainage_held
from .late_fees import pause_work_due
from .lifecycle import intent_gross
from .model import InvoiceIntent, Milestone, MilestoneState, Project
from .money import HUNDRED, ZERO, Money

S = MilestoneState
_ACCEPTED_OPEN = frozenset({S.ACCEPTED, S.DEEMED_ACCEPTED, S.PARTIALLY_ACCEPTED})


@dataclass(frozen=True)
class InvoiceView:
    """A platform invoice as the store last saw it."""

    platform: str  # quickbooks | xero | sandbox
    id: str
    number: str
    status: str  # e.g. draft, open, paid, voided
    total: Money
    amount_paid: Money
    balance: Money
    due_date: date | None = None
    seq: int | None = None  # the milestone it bills (None: deposit, monthly, late fee)
    idempotency_key: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "platform": self.platform, "id": self.id, "number": self.number,
            "status": self.status, "total": str(self.total),
            "amount_paid": str(self.amount_paid), "balance": str(self.balance),
        }


@dataclass(frozen=True)
class ReportRow:
    seq: int
    name: str
    amount: Money  # scheduled value
    state: MilestoneState
    approval_deadline: datetime | None
    billed: Money  # billed to date
    paid: Money
    invoice: InvoiceView | None
    previously_billed: Money
    this_period: Money
    percent_complete: Decimal
    balance_to_finish: Money
    retainage: Money
    basis: str = ""


@dataclass(frozen=True)
class Report:
    key: str
    currency: str
    contract_total: Money
    billed: Money
    paid: Money
    outstanding: Money
    overdue: Money
    accepted_unbilled: Money
    remaining: Money
    retainage_held: Money
    pause_work: bool
    milestones: tuple[ReportRow, ...]

    def as_json(self) -> dict[str, Any]:
        """The issue's JSON form; amounts as decimal strings."""
        head = {k: str(getattr(self, k)) for k in (
            "contract_total", "billed", "paid", "outstanding", "overdue",
            "accepted_unbilled", "remaining", "retainage_held")}
        return {
            "key": self.key, "currency": self.currency, **head, "pause_work": self.pause_work,
            "milestones": [_row_json(r) for r in self.milestones],
        }


def _row_json(r: ReportRow) -> dict[str, Any]:
    deadline = r.approval_deadline.isoformat() if r.approval_deadline and r.state is S.SUBMITTED else None
    return {
        "seq": r.seq, "name": r.name, "amount": str(r.amount), "state": r.state.value,
        "approval_deadline": deadline, "billed": str(r.billed), "paid": str(r.paid),
        "invoice": r.invoice.as_json() if r.invoice else None,
    }


TABLE_COLUMNS = (
    "seq", "name", "state", "scheduled value", "previously billed", "this period",
    "billed to date", "percent complete", "balance to finish", "retainage",
)


def table_rows(report: Report) -> list[list[str]]:
    """The construction-style table (a schedule of values), one row per milestone, as text."""
    return [
        [str(r.seq), r.name, r.state.value, str(r.amount), str(r.previously_billed),
         str(r.this_period), str(r.billed), f"{r.percent_complete:.1f}", str(r.balance_to_finish),
         str(r.retainage)]
        for r in report.milestones
    ]


def build_report(
    project: Project,
    milestones: Sequence[Milestone],
    invoices: Sequence[InvoiceView],
    now: datetime,
    *,
    intents: Sequence[InvoiceIntent] = (),
    period_start: date | None = None,
) -> Report:
    """The report at `now`. `period_start` splits billed-to-date into previous and this period
    (default: the first of the current month in the project's time zone)."""
    zero = Money.zero(project.currency)
    today = local_date(now, project.time_zone)
    period_start = period_start or today.replace(day=1)
    amounts = scheduled_amounts(project, milestones)
    live = [i for i in invoices if i.status.lower() not in ("voided", "void", "deleted")]
    rows = tuple(
        _row(project, milestones, m, amounts[m.seq], live, intents, period_start)
        for m in active(milestones)
    )
    billed = sum((r.billed for r in rows), zero)
    unpaid_due = [i.due_date for i in live if i.balance.amount > 0 and i.due_date is not None]
    return Report(
        key=project.key,
        currency=project.currency,
        contract_total=project.contract_total,
        billed=billed,
        paid=sum((i.amount_paid for i in live), zero),
        outstanding=sum((i.balance for i in live if i.balance.amount > 0), zero),
        overdue=sum((i.balance for i in live if i.balance.amount > 0 and i.due_date and i.due_date < today), zero),
        accepted_unbilled=sum(
            (billable_amount(project, milestones, m) for m in active(milestones) if m.state in _ACCEPTED_OPEN),
            zero,
        ),
        remaining=project.contract_total - billed,
        retainage_held=retainage_held(intents, project.currency),
        pause_work=pause_work_due(project, min(unpaid_due) if unpaid_due else None, now),
        milestones=rows,
    )


def _row(
    project: Project, milestones: Sequence[Milestone], m: Milestone, amount: Money,
    invoices: Sequence[InvoiceView], intents: Sequence[InvoiceIntent], period_start: date,
) -> ReportRow:
    zero = Money.zero(project.currency)
    billed = m.billed or zero
    previous = zero
    retainage = zero
    for intent in intents:
        gross = intent_gross(intent, m.seq)
        if gross.amount > 0 and intent.invoice_date < period_start:
            previous = previous + gross
        if gross.amount > 0:
            for line in intent.lines:
                if line.kind == "retainage":
                    retainage = retainage - line.amount
    previous = min(previous, billed)
    own = [i for i in invoices if i.seq == m.seq]
    complete = billed.amount * HUNDRED / amount.amount if amount.amount else ZERO
    return ReportRow(
        seq=m.seq, name=m.name, amount=amount, state=m.state,
        approval_deadline=m.approval_deadline, billed=billed, paid=m.paid or zero,
        invoice=own[-1] if own else None, previously_billed=previous,
        this_period=billed - previous, percent_complete=complete,
        balance_to_finish=amount - billed, retainage=retainage,
        basis=basis_text(project, m, amount),
    )
