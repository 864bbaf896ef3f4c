"""The project report, computed from stored facts at a given moment; no platform is called.

`build_report` takes the project, its milestones, the invoices the store knows (as
`InvoiceView`s) and the intents already issued, and returns a `Report` whose `as_json()` has the
issue's fields (amounts as decimal strings) and whose rows carry the construction-style columns:
scheduled value, previously billed, this period, billed to date, percent complete, balance to
finish, retainage.

Two bases, never mixed in one sum (the JSON's `basis` says which figure is which):
- net, in the contract's terms before tax: `contract_total`, `billed` (work put on invoice
  intents), `accepted_unbilled` (accepted work with no intent yet), `remaining` (contract total
  not yet billed), `retainage_held` (withheld and not yet released);
- gross, as the platform computed it, tax included: `invoiced` (live invoices' totals),
  `credited` (credit notes/memos applied), `paid` (cash received, never credits),
  `outstanding` (what the customer still owes: invoiced - credited - paid) and `overdue` (the
  part of it on invoices sent or approved in the books and past due; a draft nobody sent is
  never overdue).

The report is a true as-of view: at a past moment it leaves out invoices the store first saw
later, payments dated later and billing dated later; a void or credit counts from the moment
the store learned of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
_GONE = frozenset({"voided", "void", "deleted"})
SENT_STATUSES = frozenset({"open", "partially_paid", "paid"})  # approved or sent in the books
_SENT = SENT_STATUSES
NET = ("contract_total", "billed", "accepted_unbilled", "remaining", "retainage_held")
GROSS = ("invoiced", "credited", "paid", "outstanding", "overdue")


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
    payments: tuple[tuple[date, Money], ...] = ()  # cash received, dated as the books date it
    issued_at: datetime | None = None  # the moment the store first saw it
    changed_at: datetime | None = None  # the moment the store last saw it change

    def cash(self, today: date | None = None) -> Money:
        """Cash received (on or before `today`), never a credit."""
        return sum((amount for on, amount in self.payments if today is None or on <= today),
                   Money.zero(self.total.currency))

    def known_at(self, now: datetime) -> bool:
        """Whether the store had learned of its latest state by `now`."""
        return self.changed_at is None or self.changed_at <= now

    def live_at(self, now: datetime) -> bool:
        if self.issued_at is not None and self.issued_at > now:
            return False
        return not (self.status.lower() in _GONE and self.known_at(now))

    def credited(self, now: datetime) -> Money:
        """What credit notes (memos) took off it: what was settled beyond the cash."""
        settled = self.total - self.balance - self.cash()
        if settled.amount <= 0 or not self.known_at(now):
            return Money.zero(self.total.currency)
        return settled

    def balance_at(self, now: datetime, today: date) -> Money:
        return self.total - self.credited(now) - self.cash(today)

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
    billed: Money  # billed to date, net of credits: invoiced - credited
    paid: Money
    invoice: InvoiceView | None
    previously_billed: Money
    this_period: Money
    percent_complete: Decimal
    balance_to_finish: Money
    retainage: Money
    basis: str = ""
    credited: Money | None = None  # the net of credits on its invoice (`milepost invoice credit`)

    @property
    def invoiced(self) -> Money:
        """What its live invoices billed, before credits."""
        return self.billed + (self.credited or Money.zero(self.billed.currency))


@dataclass(frozen=True)
class Report:
    key: str
    currency: str
    contract_total: Money
    billed: Money
    invoiced: Money
    credited: Money
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
        head = {k: str(getattr(self, k)) for k in (*NET, *GROSS)}
        return {
            "key": self.key, "currency": self.currency, **head,
            "basis": {"net": list(NET), "gross": list(GROSS)}, "pause_work": self.pause_work,
            "milestones": [_row_json(r) for r in self.milestones],
        }


def _row_json(r: ReportRow) -> dict[str, Any]:
    deadline = r.approval_deadline.isoformat() if r.approval_deadline and r.state is S.SUBMITTED else None
    return {
        "seq": r.seq, "name": r.name, "amount": str(r.amount), "state": r.state.value,
        "approval_deadline": deadline, "invoiced": str(r.invoiced),
        "credited": str(r.credited or Money.zero(r.billed.currency)), "billed": str(r.billed), "paid": str(r.paid),
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
    credits: Mapping[int, Money] | None = None,
) -> Report:
    """The report as of `now`. `period_start` splits billed-to-date into previous and this
    period (default: the first of the current month in the project's time zone). `intents` are
    every intent queued for the project: they date the billing. `credits`: per milestone, the
    net credited on its invoice (`store.credits.credited`)."""
    zero = Money.zero(project.currency)
    today = local_date(now, project.time_zone)
    period_start = period_start or today.replace(day=1)
    amounts = scheduled_amounts(project, milestones)
    live = [i for i in invoices if i.live_at(now)]
    dated = [i for i in intents if i.invoice_date <= today]
    rows = tuple(
        _row(project, m, amounts[m.seq], live, dated, period_start, dates=bool(intents),
             credited=(credits or {}).get(m.seq))
        for m in active(milestones)
    )
    billed = sum((r.billed for r in rows), zero)
    balances = [(i, i.balance_at(now, today)) for i in live]
    owed = [(i, b) for i, b in balances if b.amount > 0]
    sent = [(i, b) for i, b in owed if i.status.lower() in _SENT and i.due_date is not None]
    unpaid_due = [i.due_date for i, _ in sent if i.due_date is not None]
    return Report(
        key=project.key,
        currency=project.currency,
        contract_total=project.contract_total,
        billed=billed,
        invoiced=sum((i.total for i in live), zero),
        credited=sum((i.credited(now) for i in live), zero),
        paid=sum((i.cash(today) for i in live), zero),
        outstanding=sum((b for _, b in owed), zero),
        overdue=sum((b for i, b in sent if i.due_date and i.due_date < today), zero),
        accepted_unbilled=sum(
            (billable_amount(project, milestones, m) for m in active(milestones) if m.state in _ACCEPTED_OPEN),
            zero,
        ),
        remaining=project.contract_total - billed,
        retainage_held=retainage_held(dated, project.currency),
        pause_work=pause_work_due(project, min(unpaid_due) if unpaid_due else None, now),
        milestones=rows,
    )


def _row(
    project: Project, m: Milestone, amount: Money, invoices: Sequence[InvoiceView],
    intents: Sequence[InvoiceIntent], period_start: date, *, dates: bool, credited: Money | None = None,
) -> ReportRow:
    """One milestone's row from the intents dated up to the report's day (`dates`: the caller
    gave the project's intents, so they, not the milestone's current figure, say when work was
    billed)."""
    zero = Money.zero(project.currency)
    previous = zero
    to_date = zero
    retainage = zero
    for intent in intents:
        gross = intent_gross(intent, m.seq)
        if gross.amount > 0 and intent.invoice_date < period_start:
            previous = previous + gross
        if gross.amount > 0:
            to_date = to_date + gross
            for line in intent.lines:
                if line.kind == "retainage":
                    retainage = retainage - line.amount
    # a voided and re-billed milestone has two intents: what it says now caps what they add up to;
    # a credit takes its net off what the intents billed
    credited = credited or zero
    billed = min(m.billed or zero, to_date - credited) if dates else m.billed or zero
    previous = min(previous, billed)
    own = [i for i in invoices if i.seq == m.seq]
    complete = billed.amount * HUNDRED / amount.amount if amount.amount else ZERO
    return ReportRow(
        seq=m.seq, name=m.name, amount=amount, state=m.state,
        approval_deadline=m.approval_deadline, billed=billed, paid=m.paid or zero,
        invoice=own[-1] if own else None, previously_billed=previous,
        this_period=billed - previous, percent_complete=complete,
        balance_to_finish=amount - billed, retainage=retainage,
        basis=basis_text(project, m, amount), credited=credited,
    )
