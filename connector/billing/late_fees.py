"""Late fees on overdue balances, and when to pause work.

The rule (documented for users): once an invoice is overdue by more than the grace days, a fee
is due for each *started month* of lateness counted from the end of the grace period: the
policy's percent per month of the overdue balance (rounded half up) plus its flat amount. It is
charged once per period: each period has its own key
(`milepost:{project}:late-fee:{invoice reference}:{n}`), so a job run twice charges once.
Per started month rather than prorated by day, because a customer can check it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .allocation import format_amount, format_percent
from .calendar import days_after, local_date
from .intents import project_intent
from .model import InvoiceIntent, InvoiceLine, Project
from .money import Money


@dataclass(frozen=True)
class LateFee:
    period: int  # 1 for the first started month after grace, 2 for the second...
    period_key: str
    period_start: date
    amount: Money
    description: str


def _months_started(start: date, today: date) -> int:
    """Started months from `start` to `today` inclusive of a partial month (0 before start)."""
    if today < start:
        return 0
    months = (today.year - start.year) * 12 + (today.month - start.month)
    if today.day >= start.day:
        months += 1
    return max(months, 1)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def late_fee_due(
    project: Project, invoice_reference: str, balance: Money, invoice_due: date, today: date
) -> LateFee | None:
    """The fee for the current period of lateness, or None (not overdue past grace, no
    balance, or no policy)."""
    fees = late_fees_due(project, invoice_reference, balance, invoice_due, today)
    return fees[-1] if fees else None


def late_fees_due(
    project: Project, invoice_reference: str, balance: Money, invoice_due: date, today: date
) -> list[LateFee]:
    """One fee for every started period of lateness up to `today`, oldest first.

    Every period is owed whether or not the job ran in it (a worker down for a month must not
    forgive a month); the period keys make charging them again harmless. Each is computed on
    today's balance: the store keeps no balance history per period, and a balance only falls
    as payments arrive, so the customer is never charged more than a per-period charge would.
    """
    policy = project.late_fee
    if balance.amount <= 0 or (policy.percent_per_month <= 0 and policy.flat <= 0):
        return []
    grace_end = days_after(invoice_due, policy.grace_days, "project.late_fee.grace_days")
    first_day = days_after(grace_end, 1, "project.late_fee.grace_days")
    amount = balance.percent(policy.percent_per_month) + Money(policy.flat, balance.currency)
    if amount.amount <= 0:
        return []
    parts = []
    if policy.percent_per_month > 0:
        parts.append(f"{format_percent(policy.percent_per_month)}% of {format_amount(balance)} overdue")
    if policy.flat > 0:
        parts.append(f"flat {format_amount(Money(policy.flat, balance.currency))}")
    fees = []
    for period in range(1, _months_started(first_day, today) + 1):
        start = _add_months(first_day, period - 1)
        fees.append(LateFee(
            period=period,
            period_key=f"milepost:{project.key}:late-fee:{invoice_reference}:{period}",
            period_start=start,
            amount=amount,
            description=f"Late fee on {invoice_reference}, month {period} from {start.isoformat()}: "
            + " + ".join(parts),
        ))
    return fees


def late_fee_intent(project: Project, fee: LateFee, invoice_date: date) -> InvoiceIntent:
    """A separate invoice for one period's late fee, keyed by the period."""
    return project_intent(
        project, fee.period_key, invoice_date, (InvoiceLine(fee.description, fee.amount, "late_fee"),),
        f"{project.key} late fee {fee.period}", memo=f"Payment terms: Net {project.payment_terms_days}",
    )


def days_overdue(project: Project, due: date, now: datetime) -> int:
    """Whole days past the due date, in the project's time zone (0 when not overdue)."""
    return max((local_date(now, project.time_zone) - due).days, 0)


def pause_work_due(project: Project, oldest_unpaid_due_date: date | None, now: datetime) -> bool:
    """True when the oldest unpaid invoice is more than the pause-work threshold overdue."""
    if project.pause_work_after_days is None or oldest_unpaid_due_date is None:
        return False
    return days_overdue(project, oldest_unpaid_due_date, now) > project.pause_work_after_days
