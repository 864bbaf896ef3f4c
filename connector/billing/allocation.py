"""What each milestone is worth: fixed amounts, percentages of the contract total, and the
amounts already invoiced, which never change.

The rule, in one place:

* A milestone whose whole amount has gone to an invoice (state invoice_due or later) is *locked*
  at what was billed. Nothing, not even a change order, moves it again.
* A fixed-amount milestone is worth its amount.
* Percentage milestones share what is left of the contract total in force (the *pool*) in
  proportion to their percentages, split by largest remainder so every part is a whole minor
  unit and the schedule sums to the contract total exactly. For a schedule as signed this is
  exactly "30% of 50,000.00" (20/30/50% of 1,234.57 -> 246.91, 370.37, 617.29). After a change
  order moves the contract total, the percentages follow the new total; the amounts of milestones
  already invoiced at the old total are kept, and the difference is shared by the open
  percentage milestones in proportion (the basis text says so).

Milestones removed by a change order are not part of the schedule any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from .model import Milestone, MilestoneState, Project
from .money import HUNDRED, ZERO, Money, allocate, minor_digits

LOCKED_STATES = frozenset(
    {
        MilestoneState.INVOICE_DUE,
        MilestoneState.INVOICED,
        MilestoneState.PARTIALLY_PAID,
        MilestoneState.PAID,
    }
)


def active(milestones: Iterable[Milestone]) -> list[Milestone]:
    """The milestones in the schedule now, in sequence order (removed ones left out)."""
    return sorted((m for m in milestones if not m.removed), key=lambda m: m.seq)


def is_locked(m: Milestone) -> bool:
    """True once the milestone's whole amount has been put on an invoice."""
    return m.state in LOCKED_STATES and m.billed is not None


def scheduled_amounts(project: Project, milestones: Sequence[Milestone]) -> dict[int, Money]:
    """Each active milestone's scheduled value, by seq; they sum to the contract total whenever
    the schedule is consistent (validation and change orders make sure it is)."""
    currency = project.currency
    schedule = active(milestones)
    amounts: dict[int, Money] = {}
    shares: list[Milestone] = []
    for m in schedule:
        if is_locked(m):
            amounts[m.seq] = m.billed or Money.zero(currency)
        elif m.fixed_amount is not None:
            amounts[m.seq] = m.fixed_amount
        else:
            shares.append(m)
    if shares:
        pool = project.contract_total - _sum(amounts.values(), currency)
        if pool.amount < 0:
            pool = Money.zero(currency)
        parts = allocate(pool, [m.percent or ZERO for m in shares])
        amounts.update({m.seq: part for m, part in zip(shares, parts, strict=True)})
    return {m.seq: amounts[m.seq] for m in schedule}


def amount_for(project: Project, milestones: Sequence[Milestone], seq: int) -> Money:
    """One milestone's scheduled value (see `scheduled_amounts`)."""
    amounts = scheduled_amounts(project, milestones)
    if seq not in amounts:
        raise KeyError(f"no active milestone {seq} in project {project.key}")
    return amounts[seq]


def literal_percent_amount(project: Project, percent: Decimal) -> Money:
    """percent% of the contract total, rounded half up: the arithmetic a reader checks."""
    return project.contract_total.percent(percent)


def basis_text(project: Project, m: Milestone, amount: Money) -> str:
    """How the amount was reached, for people: '30% of 50,000.00'."""
    if is_locked(m):
        how = f"{format_percent(m.percent)}% of the contract total then in force" if m.percent is not None else "fixed"
        return f"{format_amount(amount)} invoiced ({how})"
    if m.fixed_amount is not None or m.percent is None:
        return f"fixed {format_amount(amount)}"
    plain = f"{format_percent(m.percent)}% of {format_amount(project.contract_total)}"
    if literal_percent_amount(project, m.percent) == amount:
        return plain
    return f"{plain}, rebalanced to {format_amount(amount)} around amounts already invoiced"


def billed_share_percent(project: Project, billed: Money) -> Decimal:
    """Billed amount as a percent of the contract total (for step-down retainage)."""
    if project.contract_total.amount == 0:
        return ZERO
    return billed.amount * HUNDRED / project.contract_total.amount


def format_amount(money: Money) -> str:
    """'50,000.00' (JPY '50,000', BHD '1,234.567'): grouping, minor unit, no symbol."""
    digits = minor_digits(money.currency)
    return f"{money.amount:,.{digits}f}"


def format_percent(percent: Decimal | None) -> str:
    """'30', '12.5': a percentage without trailing zeros."""
    if percent is None:
        return ""
    text = f"{percent:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _sum(items: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
