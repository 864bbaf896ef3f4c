"""Expected cash in, week by week and per currency, from stored facts; nothing is called.

The rule, in one place (the README's "Cash-flow forecast" says the same to users):

* **A customer's lateness** comes from their synced payment history: a payment made d days
  after its invoice's due date is d days late (negative: early). The *expected* lateness is the
  average over their payments, each weighing its amount, to the nearest day (halves away from
  zero); the *early* and *late* lateness are the earliest and the latest any of their payments
  came. A
  customer with no history pays on the due date, with a stated range of `NO_HISTORY_EARLY_DAYS`
  before it to `NO_HISTORY_LATE_DAYS` after it. A customer is who `customer_key` says across
  projects (the e-mail when there is one), so history from one contract serves the next.
* **An open invoice** (sent or approved in the books, balance left) brings its remaining
  balance, after payments and credits, on its due date shifted by the customer's lateness.
  **A queued invoice** (an intent not yet in the books) brings its total the same way.
* **A submitted milestone** is invoiced when accepted: early, today (it may be accepted any
  moment); expected and late, on its approval deadline (silence is acceptance then). Payment
  follows after the project's payment terms, shifted by the customer's early, expected and late
  lateness in turn. An accepted milestone not yet queued is invoiced today.
* **A planned milestone** is submitted on its planned date (today, if that has passed):
  early, accepted that day; expected and late, deemed at the end of the approval window (business
  days of the project's calendar). A milestone due on its date, or on signature, has no window.
  A rejected milestone is back at work, so it counts as planned. Milestone amounts are what is
  not yet on an invoice, net of tax, before retainage and deposit credits.
* **Weeks** run Monday to Sunday; the first holds `today`. Money expected before it (overdue)
  counts in the first week; money expected after the last week counts as `later`. Each week
  has three figures: *early*, *expected* and *late*, the sums of the items whose early,
  expected or late date falls in it, so each is a whole scenario.
* **Drafts** (invoices in the books that nobody sent) and milestones with no planned date are
  listed apart and count in no week. Currencies are never mixed: every figure is per currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .allocation import active, scheduled_amounts
from .calendar import add_business_days, local_date
from .model import Milestone, MilestoneState, Project, Trigger
from .money import ZERO, Money

S = MilestoneState
NO_HISTORY_EARLY_DAYS = 7
NO_HISTORY_LATE_DAYS = 30
SOURCES = ("invoice", "queued", "accepted", "submitted", "planned")
_ACCEPTED = frozenset({S.ACCEPTED, S.DEEMED_ACCEPTED})
_IN_REVIEW = frozenset({S.SUBMITTED, S.PARTIALLY_ACCEPTED})
_TO_DO = frozenset({S.PLANNED, S.REJECTED})


@dataclass(frozen=True)
class PaidRecord:
    """One synced payment against an invoice with a due date: one point of a customer's history."""

    customer: str
    due_date: date
    paid_on: date
    amount: Money


@dataclass(frozen=True)
class Lateness:
    """Days after the due date a customer pays: early, expected and late; `payments` is how
    many payments the figures come from (0: the stated default)."""

    early: int
    expected: int
    late: int
    payments: int = 0


NO_HISTORY = Lateness(-NO_HISTORY_EARLY_DAYS, 0, NO_HISTORY_LATE_DAYS)


@dataclass(frozen=True)
class DueInvoice:
    """An invoice (or a queued intent) still owed: `amount` is what is left to pay."""

    source: str  # invoice | queued | draft
    project_key: str
    customer: str
    amount: Money
    due_date: date | None
    seq: int | None = None
    number: str = ""  # the books' invoice number; "" while queued


@dataclass(frozen=True)
class Schedule:
    """A project and its milestones, for the work not yet invoiced."""

    project: Project
    milestones: tuple[Milestone, ...]
    customer: str


@dataclass(frozen=True)
class ForecastItem:
    """One contribution: an invoice or a milestone, its amount and when it should come in."""

    source: str  # one of SOURCES, or draft / undated for the lists apart
    project_key: str
    seq: int | None
    name: str  # the milestone's name ("" for an invoice of several)
    number: str  # the invoice number, "" when there is none yet
    amount: Money
    due_date: date | None  # the due date before the customer's lateness
    early: date | None
    expected: date | None
    late: date | None
    lateness: Lateness

    def as_json(self, weeks: Sequence[Week] = ()) -> dict[str, Any]:
        iso = {k: (v.isoformat() if v else None) for k, v in
               (("due_date", self.due_date), ("early", self.early), ("expected", self.expected),
                ("late", self.late))}
        return {
            "source": self.source, "project": self.project_key, "seq": self.seq,
            "milestone": self.name or None, "invoice": self.number or None,
            "currency": self.amount.currency, "amount": str(self.amount), **iso,
            "week": week_of(weeks, self.expected) if weeks and self.expected else None,
            "lateness_days": {"early": self.lateness.early, "expected": self.lateness.expected,
                              "late": self.lateness.late, "payments": self.lateness.payments},
        }


@dataclass(frozen=True)
class Week:
    number: int  # 1 is the week holding the forecast's day
    start: date  # a Monday
    end: date  # the Sunday after it


@dataclass(frozen=True)
class Figures:
    """One week's (or `later`'s) three scenarios in one currency."""

    early: Money
    expected: Money
    late: Money

    def as_json(self) -> dict[str, str]:
        return {"early": str(self.early), "expected": str(self.expected), "late": str(self.late)}


@dataclass(frozen=True)
class CurrencyForecast:
    currency: str
    weeks: tuple[Figures, ...]  # in the order of `Forecast.weeks`
    later: Figures  # after the last week
    total: Figures  # every week and later


@dataclass(frozen=True)
class Forecast:
    as_of: date
    weeks: tuple[Week, ...]
    currencies: tuple[CurrencyForecast, ...]  # sorted by code
    items: tuple[ForecastItem, ...]  # every item counted in the figures, by expected date
    drafts: tuple[ForecastItem, ...]  # unsent invoices: listed, never counted
    undated: tuple[ForecastItem, ...]  # milestones with no planned date: listed, never counted

    def as_json(self) -> dict[str, Any]:
        """The documented JSON form (README "Cash-flow forecast"); amounts as decimal strings."""
        return {
            "as_of": self.as_of.isoformat(),
            "weeks": [{"week": w.number, "start": w.start.isoformat(), "end": w.end.isoformat()}
                      for w in self.weeks],
            "currencies": {
                c.currency: {
                    "weeks": [{"week": w.number, **f.as_json()} for w, f in zip(self.weeks, c.weeks, strict=True)],
                    "later": c.later.as_json(), "total": c.total.as_json(),
                }
                for c in self.currencies
            },
            "items": [i.as_json(self.weeks) for i in self.items],
            "drafts": [i.as_json() for i in self.drafts],
            "undated": [i.as_json() for i in self.undated],
        }


def customer_lateness(history: Iterable[PaidRecord]) -> dict[str, Lateness]:
    """Each customer's lateness from their payments (see the module's rule)."""
    days: dict[str, list[tuple[int, Decimal]]] = {}
    for paid in history:
        days.setdefault(paid.customer, []).append(((paid.paid_on - paid.due_date).days, paid.amount.amount))
    found = {}
    for customer, points in days.items():
        weight = sum((abs(amount) for _, amount in points), ZERO)
        if weight == 0:
            continue
        mean = sum((d * abs(amount) for d, amount in points), ZERO) / weight
        expected = int(mean.to_integral_value(ROUND_HALF_UP))
        found[customer] = Lateness(min(d for d, _ in points), expected, max(d for d, _ in points), len(points))
    return found


def build_forecast(
    today: date,
    weeks: int,
    invoices: Sequence[DueInvoice],
    schedules: Sequence[Schedule],
    history: Iterable[PaidRecord],
) -> Forecast:
    """The forecast as of `today` over `weeks` weeks (see the module's rule)."""
    if weeks < 1:
        raise ValueError("weeks: at least 1")
    lateness = customer_lateness(history)
    counted: list[ForecastItem] = []
    drafts: list[ForecastItem] = []
    undated: list[ForecastItem] = []
    for invoice in invoices:
        item = _invoice_item(invoice, lateness.get(invoice.customer, NO_HISTORY))
        (drafts if invoice.source == "draft" else undated if item.expected is None else counted).append(item)
    for schedule in schedules:
        for item in _milestone_items(schedule, today, lateness.get(schedule.customer, NO_HISTORY)):
            (counted if item.expected is not None else undated).append(item)
    counted.sort(key=lambda i: (i.expected or today, i.project_key, i.seq or 0, i.number))
    calendar = week_list(today, weeks)
    currencies = sorted({i.amount.currency for i in counted})
    return Forecast(
        as_of=today, weeks=calendar,
        currencies=tuple(_per_currency(c, calendar, [i for i in counted if i.amount.currency == c])
                         for c in currencies),
        items=tuple(counted), drafts=tuple(drafts), undated=tuple(undated),
    )


def week_list(today: date, weeks: int) -> tuple[Week, ...]:
    monday = today - timedelta(days=today.weekday())
    return tuple(Week(n + 1, monday + timedelta(weeks=n), monday + timedelta(weeks=n, days=6))
                 for n in range(weeks))


def week_of(weeks: Sequence[Week], day: date) -> int | None:
    """The week `day` counts in: the first for anything before it, None after the last."""
    number = max((day - weeks[0].start).days // 7 + 1, 1)
    return number if number <= len(weeks) else None


def _per_currency(currency: str, weeks: Sequence[Week], items: Sequence[ForecastItem]) -> CurrencyForecast:
    zero = Money.zero(currency)
    sums = {(n, scenario): zero for n in [*range(1, len(weeks) + 1), None]
            for scenario in ("early", "expected", "late")}
    for item in items:
        for scenario in ("early", "expected", "late"):
            day = getattr(item, scenario)
            sums[week_of(weeks, day), scenario] += item.amount

    def figures(n: int | None) -> Figures:
        return Figures(sums[n, "early"], sums[n, "expected"], sums[n, "late"])

    total = sum((i.amount for i in items), zero)
    return CurrencyForecast(currency, tuple(figures(w.number) for w in weeks), figures(None),
                            Figures(total, total, total))


def _shifted(due: date | None, lateness: Lateness) -> tuple[date | None, date | None, date | None]:
    if due is None:
        return None, None, None
    return (due + timedelta(days=lateness.early), due + timedelta(days=lateness.expected),
            due + timedelta(days=lateness.late))


def _invoice_item(invoice: DueInvoice, lateness: Lateness) -> ForecastItem:
    early, expected, late = _shifted(invoice.due_date, lateness)
    return ForecastItem(invoice.source, invoice.project_key, invoice.seq, "", invoice.number,
                        invoice.amount, invoice.due_date, early, expected, late, lateness)


def _milestone_items(schedule: Schedule, today: date, lateness: Lateness) -> list[ForecastItem]:
    project = schedule.project
    amounts = scheduled_amounts(project, schedule.milestones)
    items = []
    for m in active(schedule.milestones):
        left = amounts[m.seq] - (m.billed or Money.zero(project.currency))
        dates = _invoice_dates(project, m, today)
        if left.amount <= 0 or dates is None:
            continue
        source, first, last = dates
        terms = timedelta(days=project.payment_terms_days)
        due = None if last is None else last + terms
        early = None if first is None else first + terms + timedelta(days=lateness.early)
        _, expected, late = _shifted(due, lateness)
        items.append(ForecastItem(source if due else "undated", project.key, m.seq, m.name, "",
                                  left, due, early, expected, late, lateness))
    return items


def _invoice_dates(project: Project, m: Milestone, today: date) -> tuple[str, date | None, date | None] | None:
    """(source, earliest invoice date, expected invoice date) for work not yet invoiced; None
    for a milestone whose money is already on an invoice or voided."""
    zone = project.time_zone
    if m.state in _ACCEPTED:
        return "accepted", today, today
    if m.state in _IN_REVIEW:
        submitted = local_date(m.submitted_at, zone) if m.submitted_at else today
        deadline = local_date(m.approval_deadline, zone) if m.approval_deadline else today
        return "submitted", max(today, submitted), max(today, deadline)
    if m.state not in _TO_DO:
        return None
    if m.planned_date is None:
        return "planned", None, None
    start = max(today, m.planned_date)
    if m.trigger is not Trigger.ON_ACCEPTANCE:
        return "planned", start, start
    return "planned", start, add_business_days(start, project.approval_window_days, project.holiday_calendar)
