"""Change orders: written changes to a signed schedule, applied all or nothing.

A change order may add milestones, change the amount, percent, name, deliverable or planned date
of a milestone not yet invoiced, remove one not yet invoiced, or set a new contract total.
Rules (documented for users):

* Invoiced amounts never change on the invoice: an order that lowers the amount of a milestone
  whose invoice is in the books and still owed on (`invoiced`, `partially_paid`) is a credit of
  the difference, citing the order (`crediting`; the store queues it with the order). Anything
  else on an invoiced milestone (a higher amount, other terms, removal) is refused naming the
  milestone and telling the user to void its invoice first (`milepost invoice void`, see
  `voiding`): a voided milestone's amount is open again.
* A partially accepted milestone keeps what was accepted and billed; an order may change the
  unbilled remainder (its amount, not below what was accepted) and its words.
* Every milestone whose terms or amount an order changes remembers it (`amended_by`), and the
  lines of its later invoices cite it: "as amended by CO-1 of 2026-12-14".
* The contract total follows: without an explicit new total it moves by the amounts added,
  changed and removed. With `contract_total` set, the open percentage milestones follow it.
* Percentages apply to the contract total in force when the milestone is invoiced; amounts
  already invoiced stay as they were (see `allocation` for how the open ones share the rest).
* Nothing is lost: the result keeps removed milestones (flagged `removed`) and an event per
  change describing old -> new, for the store's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from .allocation import active, is_locked, scheduled_amounts
from .crediting import CREDITABLE
from .errors import ChangeOrderRejected
from .model import AuditEvent, BillingMode, ChangeOrder, Milestone, MilestoneState, Project
from .money import ZERO, D, Money

CHANGEABLE = frozenset({"amount", "percent", "deliverable", "planned_date", "name"})


def is_invoiced(m: Milestone) -> bool:
    """True once anything of the milestone has gone to an invoice intent."""
    return is_locked(m) or (m.billed is not None and m.billed.amount > 0)


def apply_change_order(
    project: Project,
    milestones: Sequence[Milestone],
    order: ChangeOrder,
    *,
    at: datetime | None = None,
) -> tuple[Project, list[Milestone], list[AuditEvent]]:
    """Apply the order, or raise ChangeOrderRejected and change nothing.

    `at` stamps the events (default: noon UTC on the order's date).
    """
    at = at or datetime.combine(order.on, time(12), tzinfo=UTC)
    by_seq = {m.seq: m for m in milestones}
    before = scheduled_amounts(project, milestones)
    total = project.contract_total
    events: list[AuditEvent] = []
    delta = Money.zero(project.currency)
    for seq in order.remove:
        m = _open_milestone(project.key, order, by_seq, seq, "remove")
        delta = delta - before[seq]
        by_seq[seq] = replace(m, removed=True, version=m.version + 1)
        events.append(_event(project, order, m, at, "change_order.remove", {"amount": f"{before[seq]} -> removed"}))
    credited: set[int] = set()
    for seq, values in order.change:
        found = by_seq.get(seq)
        if found is not None and not found.removed and is_locked(found):
            m = found
            changed, diff, data = _credited(project, order, m, values)
            credited.add(seq)
            kind = "change_order.credit"
        else:
            m = _open_milestone(project.key, order, by_seq, seq, "change", partial_ok=True)
            changed, diff, data = _changed(project, order, m, values, before[seq])
            if is_invoiced(m):
                _check_remainder(project, order, m, before[seq], before[seq] + diff, data)
            kind = "change_order.change"
        delta = delta + diff
        by_seq[seq] = changed
        events.append(_event(project, order, m, at, kind, data))
    for added in order.add:
        _check_new(project, order, by_seq, added)
        by_seq[added.seq] = added
        if added.fixed_amount is not None:
            delta = delta + added.fixed_amount
        events.append(_event(project, order, added, at, "change_order.add", _describe(added)))
    new_total = order.contract_total or (total + delta)
    new_project = replace(project, contract_total=new_total, version=project.version + 1)
    result = sorted(by_seq.values(), key=lambda m: m.seq)
    _check_totals(new_project, result, order)
    _check_billed_kept(project, milestones, new_project, result, order, credited)
    result = _mark_amended(order, before, scheduled_amounts(new_project, result), result,
                           {*credited, *(seq for seq, _ in order.change), *(m.seq for m in order.add)})
    summary = {"reference": order.reference, "approver": order.approver,
               "contract_total": f"{total} -> {new_total}"}
    events.insert(0, AuditEvent(project.key, None, "change_order", at, order.approver,
                                reason=order.reason, data=summary))
    return new_project, result, events


def _open_milestone(
    key: str, order: ChangeOrder, by_seq: dict[int, Milestone], seq: int, verb: str, *, partial_ok: bool = False
) -> Milestone:
    m = by_seq.get(seq)
    if m is None or m.removed:
        raise ChangeOrderRejected(order.reference, f"there is no milestone {seq} to {verb}", seq)
    if partial_ok and m.state is MilestoneState.PARTIALLY_ACCEPTED and m.billing_mode is BillingMode.MILESTONE:
        return m  # its unbilled remainder may change (`_check_remainder`)
    if is_invoiced(m):
        raise ChangeOrderRejected(
            order.reference,
            f"milestone {seq} ({m.name}) is already invoiced ({m.state.value}); "
            f"invoiced amounts never change: {_void_first(key, order, seq)}",
            seq,
        )
    return m


def _credited(
    project: Project, order: ChangeOrder, m: Milestone, values: dict[str, object]
) -> tuple[Milestone, Money, dict[str, str]]:
    """A lower amount for a milestone whose invoice is in the books: a credit of the difference."""
    billed = m.billed or Money.zero(project.currency)
    if set(values) != {"amount"} or m.state not in CREDITABLE:
        why = {
            MilestoneState.PAID: "it is fully paid: a refund is made in the books",
            MilestoneState.INVOICE_DUE: "its invoice is still queued for the books; lower it once it is there",
        }.get(m.state, "an order may only lower its amount (a credit of the difference)")
        raise ChangeOrderRejected(
            order.reference,
            f"milestone {m.seq} ({m.name}) is already invoiced ({m.state.value}): {why}; "
            f"{_void_first(project.key, order, m.seq)}",
            m.seq,
        )
    amount = _money(project, order, m.seq, values["amount"])
    if amount.amount >= billed.amount:
        raise ChangeOrderRejected(
            order.reference,
            f"milestone {m.seq} ({m.name}) is already invoiced at {billed}: an order may lower it (a credit of the "
            f"difference is issued), not raise it to {amount}; add a new milestone for the extra work",
            m.seq,
        )
    changed = replace(m, fixed_amount=amount, percent=None, billed=amount, version=m.version + 1)
    return changed, amount - billed, {"amount": f"{billed} -> {amount}", "credit": str(billed - amount)}


def _check_remainder(project: Project, order: ChangeOrder, m: Milestone, old: Money, new: Money, data: dict[str, str]) -> None:
    """A partially accepted milestone: what was accepted (and billed) stays; the rest may change."""
    if "percent" in data:
        raise ChangeOrderRejected(order.reference, f"milestone {m.seq} is partially accepted: change its amount, "
                                  "not its percent (what was accepted is kept)", m.seq)
    zero = Money.zero(project.currency)
    accepted = max(m.accepted_amount or zero, m.billed or zero, key=lambda money: money.amount)
    if "amount" in data:
        if new.amount <= accepted.amount:
            raise ChangeOrderRejected(
                order.reference, f"milestone {m.seq} is partially accepted with {accepted} accepted: its new "
                f"amount must stay above that (got {new}); credit the invoice for less", m.seq)
        data["remainder"] = f"{old - accepted} -> {new - accepted}"


def _mark_amended(
    order: ChangeOrder, before: dict[int, Money], after: dict[int, Money], result: list[Milestone], touched: set[int]
) -> list[Milestone]:
    """Every milestone whose terms or amount the order changed remembers it, for its invoices' words."""
    cite = f"{order.reference} of {order.on.isoformat()}"
    return [
        replace(m, amended_by=cite) if not m.removed and (m.seq in touched or before.get(m.seq) != after.get(m.seq)) else m
        for m in result
    ]


def _void_first(key: str, order: ChangeOrder, seq: int) -> str:
    """What to do instead: void or credit the invoice first, then apply the order again."""
    return (
        f"void or credit its invoice first (milepost invoice void {key} {seq} --reason "
        f"\"{order.reference}\"), then apply the change order; or add a new milestone instead"
    )


def _changed(
    project: Project, order: ChangeOrder, m: Milestone, values: dict[str, object], old_amount: Money
) -> tuple[Milestone, Money, dict[str, str]]:
    unknown = set(values) - CHANGEABLE
    if unknown:
        raise ChangeOrderRejected(order.reference, f"cannot change {', '.join(sorted(unknown))} of milestone {m.seq}", m.seq)
    updates: dict[str, Any] = {}
    data: dict[str, str] = {}
    diff = Money.zero(project.currency)
    if "amount" in values:
        amount = _money(project, order, m.seq, values["amount"])
        updates.update(fixed_amount=amount, percent=None)
        diff = amount - old_amount
        data["amount"] = f"{old_amount} -> {amount}"
    if "percent" in values:
        pct = D(values["percent"])
        if not ZERO < pct <= Decimal(100):
            raise ChangeOrderRejected(order.reference, f"milestone {m.seq}: percent must be in (0, 100]", m.seq)
        updates.update(percent=pct, fixed_amount=None)
        data["percent"] = f"{m.percent} -> {pct}"
    for key in ("name", "deliverable"):
        if key in values:
            updates[key] = str(values[key])
            data[key] = f"{getattr(m, key)} -> {values[key]}"
    if "planned_date" in values:
        planned = values["planned_date"]
        planned = planned if not isinstance(planned, str) else datetime.fromisoformat(planned).date()
        if planned < project.contract_date:  # type: ignore[operator]
            raise ChangeOrderRejected(order.reference, f"milestone {m.seq}: planned date is before the contract date", m.seq)
        updates["planned_date"] = planned
        data["planned_date"] = f"{m.planned_date} -> {planned}"
    return replace(m, version=m.version + 1, **updates), diff, data


def _money(project: Project, order: ChangeOrder, seq: int, value: object) -> Money:
    amount = value if isinstance(value, Money) else Money(D(value), project.currency)
    if amount.currency != project.currency or amount.amount <= 0:
        raise ChangeOrderRejected(order.reference, f"milestone {seq}: amount must be a positive {project.currency} amount", seq)
    return amount


def _check_new(project: Project, order: ChangeOrder, by_seq: dict[int, Milestone], m: Milestone) -> None:
    if m.seq in by_seq:
        raise ChangeOrderRejected(order.reference, f"milestone {m.seq} already exists (sequence numbers are never reused)", m.seq)
    if (m.fixed_amount is None) == (m.percent is None):
        raise ChangeOrderRejected(order.reference, f"milestone {m.seq}: give exactly one of amount and percent", m.seq)
    if m.fixed_amount is not None:
        _money(project, order, m.seq, m.fixed_amount)
    if m.planned_date is not None and m.planned_date < project.contract_date:
        raise ChangeOrderRejected(order.reference, f"milestone {m.seq}: planned date is before the contract date", m.seq)


def _check_totals(project: Project, milestones: list[Milestone], order: ChangeOrder) -> None:
    schedule = active(milestones)
    if not schedule:
        raise ChangeOrderRejected(order.reference, "a schedule needs at least one milestone")
    fixed = [m for m in schedule if is_locked(m) or m.fixed_amount is not None]
    fixed_sum = sum(((m.billed if is_locked(m) else m.fixed_amount).amount for m in fixed), ZERO)  # type: ignore[union-attr]
    total = project.contract_total.amount
    if total <= 0:
        raise ChangeOrderRejected(order.reference, "the contract total must stay above zero")
    open_percent = [m for m in schedule if m not in fixed]
    if fixed_sum > total or (fixed_sum == total and open_percent):
        raise ChangeOrderRejected(order.reference, f"fixed and invoiced amounts ({fixed_sum}) leave nothing of the contract total {project.contract_total} for the percentage milestones")
    if not open_percent and fixed_sum != total:
        raise ChangeOrderRejected(order.reference, f"milestones add up to {fixed_sum}, not the new contract total {project.contract_total}")


def _check_billed_kept(
    old_project: Project, old: Sequence[Milestone], project: Project, new: list[Milestone], order: ChangeOrder,
    credited: set[int],
) -> None:
    after = scheduled_amounts(project, new)
    for m in new:
        if m.removed or m.billed is None:
            continue
        if after[m.seq].amount < m.billed.amount:
            raise ChangeOrderRejected(order.reference, f"milestone {m.seq} would be worth {after[m.seq]}, less than the {m.billed} already invoiced", m.seq)
    before = scheduled_amounts(old_project, old)
    for m in old:
        if is_locked(m) and not m.removed and m.seq not in credited and after.get(m.seq) != before.get(m.seq):  # pragma: no cover
            raise ChangeOrderRejected(order.reference, f"milestone {m.seq}'s invoiced amount would change", m.seq)


def _describe(m: Milestone) -> dict[str, str]:
    amount = str(m.fixed_amount) if m.fixed_amount is not None else f"{m.percent}%"
    return {"name": m.name, "amount": f"none -> {amount}", "planned_date": str(m.planned_date)}


def _event(project: Project, order: ChangeOrder, m: Milestone, at: datetime, kind: str, data: dict[str, str]) -> AuditEvent:
    return AuditEvent(
        project_key=project.key, seq=m.seq, kind=kind, at=at, actor=order.approver,
        from_state=m.state, to_state=m.state, reason=f"{order.reference}: {order.reason}",
        data={"reference": order.reference, **data},
    )
