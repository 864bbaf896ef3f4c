"""The figures people read at a glance, derived from a `Report`: pure, no I/O.

- `totals_by_currency`: the dashboard's totals, one line per currency. Amounts in different
  currencies are never added together: a firm billing in USD and GBP sees two lines.
- `milestone_lines`: the project page's row per milestone: scheduled amount, planned date,
  state, its invoice (number, due date), paid, balance and days overdue. Overdue follows the
  report's rule: only an invoice sent or approved in the books, past its due date and with
  something still owed counts; a draft nobody sent is never overdue.
- `progress_series`: billed vs paid vs scheduled over time, as cumulative steps (the project
  chart): scheduled by each milestone's planned date, billed by each intent's invoice date
  (the work billed, before tax, as the report's `billed`), paid by each payment's date (cash
  received, tax included, as the report's `paid`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .allocation import active
from .invoicing import intent_gross
from .model import InvoiceIntent, Milestone, MilestoneState
from .money import Money
from .report import SENT_STATUSES, InvoiceView, Report, ReportRow


@dataclass(frozen=True)
class CurrencyTotals:
    """One currency's totals over every project billed in it."""

    currency: str
    projects: int
    contract_total: Money
    billed: Money
    paid: Money
    outstanding: Money
    overdue: Money
    pause_work: int  # projects whose overdue invoices call for pausing work


def totals_by_currency(reports: Iterable[Report]) -> list[CurrencyTotals]:
    """A line per currency (sorted by code), summing only reports in that currency."""
    by: dict[str, list[Report]] = {}
    for report in reports:
        by.setdefault(report.currency, []).append(report)
    lines = []
    for currency in sorted(by):
        group = by[currency]
        zero = Money.zero(currency)

        def total(name: str, group: list[Report] = group, zero: Money = zero) -> Money:
            return sum((getattr(r, name) for r in group), zero)

        lines.append(CurrencyTotals(
            currency, len(group), total("contract_total"), total("billed"), total("paid"),
            total("outstanding"), total("overdue"), sum(1 for r in group if r.pause_work),
        ))
    return lines


def days_overdue(invoice: InvoiceView | None, now: datetime, today: date) -> int:
    """Whole days past due of an invoice still owed and sent in the books; 0 otherwise."""
    if invoice is None or invoice.due_date is None or invoice.status.lower() not in SENT_STATUSES:
        return 0
    if invoice.balance_at(now, today).amount <= 0 or invoice.due_date >= today:
        return 0
    return (today - invoice.due_date).days


@dataclass(frozen=True)
class MilestoneLine:
    """A milestone as the project page shows it."""

    row: ReportRow
    planned_date: date | None
    invoice: InvoiceView | None
    due_date: date | None
    paid: Money
    balance: Money | None  # None: no invoice yet
    overdue_days: int

    @property
    def state(self) -> MilestoneState:
        return self.row.state


def milestone_lines(report: Report, milestones: Sequence[Milestone], now: datetime,
                    today: date) -> list[MilestoneLine]:
    """The report's rows with each milestone's planned date and its invoice's figures."""
    planned = {m.seq: m.planned_date for m in milestones}
    lines = []
    for row in report.milestones:
        invoice = row.invoice
        balance = invoice.balance_at(now, today) if invoice is not None else None
        lines.append(MilestoneLine(
            row, planned.get(row.seq), invoice, invoice.due_date if invoice else None, row.paid,
            balance, days_overdue(invoice, now, today),
        ))
    return lines


@dataclass(frozen=True)
class Series:
    """A cumulative figure over time: (date, amount so far) steps, oldest first."""

    name: str
    points: tuple[tuple[date, Money], ...]


def _cumulative(name: str, dated: Iterable[tuple[date, Money]], currency: str) -> Series:
    steps: dict[date, Money] = {}
    for on, amount in sorted(dated, key=lambda pair: pair[0]):
        steps[on] = steps.get(on, Money.zero(currency)) + amount
    running, points = Money.zero(currency), []
    for on in sorted(steps):
        running = running + steps[on]
        points.append((on, running))
    return Series(name, tuple(points))


def progress_series(report: Report, milestones: Sequence[Milestone], intents: Sequence[InvoiceIntent],
                    invoices: Sequence[InvoiceView], today: date) -> tuple[Series, Series, Series]:
    """(scheduled, billed, paid), each cumulative by date, up to `today` for billed and paid."""
    currency = report.currency
    amounts = {row.seq: row.amount for row in report.milestones}
    live = [m for m in active(milestones) if m.seq in amounts]
    scheduled = _cumulative("scheduled", ((m.planned_date, amounts[m.seq]) for m in live
                                          if m.planned_date is not None), currency)
    billed = _cumulative("billed", (
        (intent.invoice_date, gross) for intent in intents if intent.invoice_date <= today
        for m in live if (gross := intent_gross(intent, m.seq)).amount
    ), currency)
    paid = _cumulative("paid", (
        (on, amount) for invoice in invoices for on, amount in invoice.payments if on <= today
    ), currency)
    return scheduled, billed, paid
