"""Invoice intents: for every billable event, exactly what to invoice and under which key.

The wording of a milestone invoice follows the seed, word for word:

    Milestone 2: Discovery complete (per contract dated 2026-11-02)
    Deliverable: Requirements document v1.3, accepted 2026-11-20 by Dana Lee (Project lead)
    Approval window: 3 business days | Payment terms: Net 7

The first two lines are the milestone line's description; the third is the intent's memo.
A deemed acceptance reads "deemed accepted 2026-11-20 (approval window lapsed)".

Amounts on an intent: the milestone's gross (its unbilled accepted share), then, where they
apply, a negative `retainage` line (percent by the project's step policy, chosen by the share of
the contract billed *before* this invoice), a negative `deposit_credit` line, and on the final
invoice (the one after which every milestone is billed) a `retainage_release` line returning
everything withheld. What was withheld or credited before comes from `prior_intents` (the
intents already in the outbox), and the deposit received from the payments synced on the
deposit invoice, so every figure is reproducible from stored facts. A deposit is credited only
as far as it was received; a final invoice takes the part still unpaid off as a
`deposit_unpaid` line (owed on the deposit invoice).

Idempotency keys: `milepost:{key}:{seq}:{generation}` for a milestone's (remaining) amount;
a partial-acceptance share adds `:partial-{accepted total}` and a progress step
`:progress-{percent complete}`, both strictly increasing, so each billable event has its own key;
the deposit is `milepost:{key}:deposit:1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .allocation import active, format_amount, format_percent, is_locked, scheduled_amounts
from .calendar import days_after, local_date
from .errors import NotBillableYet
from .lifecycle import DEEMED_ACTOR
from .model import (
    BillingMode,
    DepositCredit,
    InvoiceIntent,
    InvoiceLine,
    Milestone,
    MilestoneState,
    Project,
    RetainagePolicy,
    Trigger,
)
from .money import HUNDRED, ZERO, Money

S = MilestoneState
_BILLABLE = frozenset({S.ACCEPTED, S.DEEMED_ACCEPTED, S.PARTIALLY_ACCEPTED, S.PLANNED})


def due_date(invoice_date: date, terms_days: int) -> date:
    """Net N: the invoice date plus N calendar days."""
    return days_after(invoice_date, terms_days, "project.payment_terms_days")


def project_intent(
    project: Project,
    key: str,
    invoice_date: date,
    lines: Sequence[InvoiceLine],
    reference: str,
    *,
    memo: str = "",
    seq: int | None = None,
    evidence: tuple[str, ...] = (),
) -> InvoiceIntent:
    """An intent to the project's customer, in its currency, due on its payment terms.

    Every kind of invoice (milestone, deposit, monthly, late fee) bills the project the same
    way; only the key, the lines and the words differ, so those are all a caller gives."""
    return InvoiceIntent(
        idempotency_key=key,
        project_key=project.key,
        customer=project.customer,
        currency=project.currency,
        invoice_date=invoice_date,
        due_date=due_date(invoice_date, project.payment_terms_days),
        payment_terms_days=project.payment_terms_days,
        lines=tuple(lines),
        reference=reference,
        seq=seq,
        evidence=evidence,
        memo=memo,
    )


def milestone_key(project: Project, m: Milestone) -> str:
    base = f"milepost:{project.key}:{m.seq}:{m.generation}"
    if m.state is S.PARTIALLY_ACCEPTED and m.accepted_amount is not None:
        if m.billing_mode is BillingMode.PROGRESS:
            return f"{base}:progress-{format_percent(m.percent_complete)}"
        return f"{base}:partial-{m.accepted_amount}"
    return base


def deposit_key(project: Project) -> str:
    return f"milepost:{project.key}:deposit:1"


def milestone_wording(
    project: Project, m: Milestone, *, contract_date: date | None = None, share: Money | None = None,
    whole: Money | None = None,
) -> tuple[str, str, str]:
    """The three lines of the seed wording for this milestone in its current state."""
    signed = (contract_date or project.contract_date).isoformat()
    amended = f", as amended by {m.amended_by}" if m.amended_by else ""
    first = f"Milestone {m.seq}: {m.name} (per contract dated {signed}{amended})"
    second = f"Deliverable: {m.deliverable or m.name}, {_how_accepted(project, m, share, whole)}"
    third = (
        f"Approval window: {project.approval_window_days} business days"
        f" | Payment terms: Net {project.payment_terms_days}"
    )
    return first, second, third


def _how_accepted(project: Project, m: Milestone, share: Money | None, whole: Money | None) -> str:
    if m.state is S.PLANNED:
        if m.trigger is Trigger.ON_SIGNATURE:
            signed = project.signed_at
            day = local_date(signed, project.time_zone) if signed else project.contract_date
            return f"due on signature {day.isoformat()}"
        return f"due as scheduled on {m.planned_date.isoformat() if m.planned_date else ''}"
    on = local_date(m.accepted_at, project.time_zone).isoformat() if m.accepted_at else ""
    if m.state is S.DEEMED_ACCEPTED or m.accepted_by == DEEMED_ACTOR:
        return f"deemed accepted {on} (approval window lapsed)"
    who = _approver_text(m)
    if m.state is S.PARTIALLY_ACCEPTED and m.billing_mode is BillingMode.PROGRESS:
        return f"{format_percent(m.percent_complete)}% complete as of {on}, confirmed by {who}"
    if m.state is S.PARTIALLY_ACCEPTED and share is not None and whole is not None:
        return f"partially accepted {on} by {who} ({format_amount(share)} of {format_amount(whole)})"
    return f"accepted {on} by {who}"


def _approver_text(m: Milestone) -> str:
    name = m.accepted_by or m.approver.name
    if name == m.approver.name and m.approver.role:
        return f"{name} ({m.approver.role})"
    return name


def billable_amount(project: Project, milestones: Sequence[Milestone], m: Milestone) -> Money:
    """What is accepted (or due) and not yet billed for this milestone."""
    zero = Money.zero(project.currency)
    if m.state is S.PARTIALLY_ACCEPTED:
        return (m.accepted_amount or zero) - (m.billed or zero)
    if m.state in (S.ACCEPTED, S.DEEMED_ACCEPTED, S.PLANNED):
        return scheduled_amounts(project, milestones)[m.seq] - (m.billed or zero)
    return zero


def invoice_intent_for(
    project: Project,
    milestones: Sequence[Milestone],
    m: Milestone,
    invoice_date: date,
    *,
    contract_date: date | None = None,
    prior_intents: Sequence[InvoiceIntent] = (),
    deposit_received: Money | None = None,
) -> InvoiceIntent:
    """The intent for the milestone's billable event (acceptance, deemed acceptance, a partial
    share, a progress step, or an on_signature/on_date milestone falling due).
    `deposit_received`: the cash received on the deposit invoice (`received_net`); a deposit
    is credited only as far as it was received."""
    _check_billable(project, m, invoice_date)
    gross = billable_amount(project, milestones, m)
    if gross.amount <= 0:
        raise NotBillableYet(f"milestone {m.seq} has nothing accepted and unbilled")
    whole = scheduled_amounts(project, milestones)[m.seq]
    first, second, memo = milestone_wording(
        project, m, contract_date=contract_date, share=m.accepted_amount, whole=whole
    )
    kind = "progress" if m.billing_mode is BillingMode.PROGRESS else "milestone"
    lines = [InvoiceLine(f"{first}\n{second}", gross, kind=kind, seq=m.seq)]
    final = _is_final(milestones, m, gross, whole)
    lines += _retainage_lines(project, milestones, gross, final, prior_intents)
    lines += _deposit_credit_lines(project, prior_intents, deposit_received, gross, final)
    return project_intent(
        project, milestone_key(project, m), invoice_date, lines, f"{project.key} M{m.seq}",
        memo=memo, seq=m.seq, evidence=m.evidence,
    )


def _check_billable(project: Project, m: Milestone, invoice_date: date) -> None:
    if m.state not in _BILLABLE or m.removed:
        raise NotBillableYet(f"milestone {m.seq} is {m.state.value}: nothing to invoice")
    if m.state is S.PLANNED:
        due = (m.trigger is Trigger.ON_SIGNATURE and project.signed_at is not None) or (
            m.trigger is Trigger.ON_DATE and m.planned_date is not None and m.planned_date <= invoice_date
        )
        if not due:
            raise NotBillableYet(f"milestone {m.seq} ({m.trigger.value}) is not billable yet")


def _is_final(milestones: Sequence[Milestone], m: Milestone, gross: Money, whole: Money) -> bool:
    """True when, after this invoice, every milestone of the schedule is fully billed."""
    if m.state is S.PARTIALLY_ACCEPTED:
        return False
    if ((m.billed.amount if m.billed else ZERO) + gross.amount) != whole.amount:
        return False
    return all(is_locked(o) or o.state is S.VOIDED for o in active(milestones) if o.seq != m.seq)


def withholding_percent(policy: RetainagePolicy, billed_before_percent: Decimal) -> Decimal:
    """The retainage percent for the next invoice: the first step whose limit the billed share
    of the contract has not reached (10% until half is billed, 5% after)."""
    for step in policy.steps:
        if step.until_billed_percent is None or billed_before_percent < step.until_billed_percent:
            return step.percent
    return ZERO


def retainage_held(prior_intents: Sequence[InvoiceIntent], currency: str) -> Money:
    """Withheld so far and not yet released, from the intents already issued."""
    held = Money.zero(currency)
    for intent in prior_intents:
        for line in intent.lines:
            if line.kind in ("retainage", "retainage_release"):
                held = held - line.amount
    return held


def _line_total(prior_intents: Sequence[InvoiceIntent], kind: str, currency: str) -> Money:
    return sum((line.amount for intent in prior_intents for line in intent.lines if line.kind == kind),
               Money.zero(currency))


def deposit_credited(prior_intents: Sequence[InvoiceIntent], currency: str) -> Money:
    return -_line_total(prior_intents, "deposit_credit", currency)


def received_net(invoiced: Money, invoice_total: Money, cash: Money) -> Money:
    """Cash received on the deposit invoice, on the deposit's own basis (before tax): the share
    of the invoice's total (tax included, as the books computed it) that was paid, never more
    than was invoiced."""
    if invoice_total.amount <= 0 or cash.amount <= 0:
        return Money.zero(invoiced.currency)
    if cash.amount >= invoice_total.amount:
        return invoiced
    return min(Money(invoiced.amount * cash.amount / invoice_total.amount, invoiced.currency), invoiced)


@dataclass(frozen=True)
class PriorBilling:
    """What a new invoice needs of the past: the live intents already issued (what was billed,
    withheld and credited) and the cash received on the deposit invoice (`received_net`)."""

    intents: tuple[InvoiceIntent, ...] = ()
    deposit_received: Money | None = None


@dataclass(frozen=True)
class DepositBalance:
    """The advance as a balance: what was invoiced for it, what was received in cash on that
    invoice, what later invoices credited back (never more than was received), what a final
    invoice took off while it was still unpaid (`netted`: still owed on the deposit invoice),
    and what is left. Derived from the live intents only, so a credit on an invoice voided in
    the books returns to `remaining`, and a change order to the contract total never changes
    what was invoiced or received."""

    invoiced: Money
    received: Money
    credited: Money
    netted: Money

    @property
    def remaining(self) -> Money:
        return self.invoiced - self.credited - self.netted

    @property
    def creditable(self) -> Money:
        """Received and not yet credited: what a later invoice may credit now."""
        return max(self.received - self.credited, Money.zero(self.received.currency))

    def as_json(self) -> dict[str, str]:
        return {"invoiced": str(self.invoiced), "received": str(self.received), "credited": str(self.credited),
                "netted": str(self.netted), "remaining": str(self.remaining)}


def deposit_balance(
    project: Project, prior_intents: Sequence[InvoiceIntent], received: Money | None = None,
) -> DepositBalance | None:
    """None without a deposit. Only a deposit actually invoiced (a live deposit intent) is
    credited: before signature, or after its invoice was voided, there is nothing to credit.
    `received`: the cash on the deposit invoice on its net basis (`received_net`); none given,
    none received."""
    if project.deposit is None:
        return None
    zero = Money.zero(project.currency)
    invoiced = _line_total(prior_intents, "deposit", project.currency)
    return DepositBalance(invoiced, min(received or zero, invoiced) if invoiced.amount > 0 else zero,
                          deposit_credited(prior_intents, project.currency),
                          -_line_total(prior_intents, "deposit_unpaid", project.currency))


def _retainage_lines(
    project: Project, milestones: Sequence[Milestone], gross: Money, final: bool,
    prior: Sequence[InvoiceIntent],
) -> list[InvoiceLine]:
    if not project.retainage.is_active:
        return []
    lines: list[InvoiceLine] = []
    zero = Money.zero(project.currency)
    billed_before = sum((m.billed or zero for m in active(milestones)), zero)
    share = billed_before.amount * HUNDRED / project.contract_total.amount
    pct = withholding_percent(project.retainage, share)
    if pct > 0 and not final:
        lines.append(InvoiceLine(f"Retainage withheld ({format_percent(pct)}%)", -gross.percent(pct), "retainage"))
    held = retainage_held(prior, project.currency)
    if held.amount < 0:
        # released on a final invoice, then an invoice that had withheld part of it was voided
        lines.append(InvoiceLine(
            f"Retainage withheld again: {format_amount(-held)} released earlier was withheld on an "
            "invoice since voided", held, "retainage"))
    elif final and held.amount > 0:
        lines.append(InvoiceLine("Retainage released (final milestone)", held, "retainage_release"))
    return lines


def deposit_amount(project: Project) -> Money | None:
    """The advance: a percent of the contract total, or a fixed amount."""
    d = project.deposit
    if d is None:
        return None
    if d.amount is not None:
        return d.amount
    return project.contract_total.percent(d.percent or ZERO)


def _deposit_credit_lines(
    project: Project, prior: Sequence[InvoiceIntent], received: Money | None, gross: Money, final: bool,
) -> list[InvoiceLine]:
    """Credit only the deposit received: pro rata, each invoice brings the deposit credited up
    to the contract share billed so far (so cash received late is credited on the next
    invoice); a final invoice credits all that was received, and takes the part still unpaid
    off as `deposit_unpaid` (owed on the deposit invoice, so the contract is billed once)."""
    balance = deposit_balance(project, prior, received)
    if balance is None or project.deposit is None:
        return []
    if balance.remaining.amount < 0:  # the deposit invoice was voided after later invoices credited it
        return _deposit_reversal(balance)
    if balance.remaining.amount == 0:
        return []
    if final:
        credit = min(balance.creditable, balance.remaining)
        unpaid = balance.remaining - credit
    elif project.deposit.credit is DepositCredit.PRO_RATA:
        billed = _line_total(prior, "milestone", project.currency) + _line_total(prior, "progress", project.currency)
        share = min(Money((billed + gross).amount * balance.invoiced.amount / project.contract_total.amount,
                          project.currency), balance.invoiced)
        credit = min(max(share - balance.credited - balance.netted, Money.zero(project.currency)),
                     balance.creditable, balance.remaining)
        unpaid = Money.zero(project.currency)
    else:
        return []
    lines = []
    if credit.amount > 0:
        lines.append(InvoiceLine(f"Less deposit received ({format_amount(balance.received)})", -credit,
                                 "deposit_credit"))
    if unpaid.amount > 0:
        lines.append(InvoiceLine(f"Less deposit invoiced and not yet received ({format_amount(unpaid)}): "
                                 "still owed on the deposit invoice", -unpaid, "deposit_unpaid"))
    return lines


def _deposit_reversal(balance: DepositBalance) -> list[InvoiceLine]:
    lines = []
    over = -balance.remaining
    netted = min(balance.netted, over)
    if netted.amount > 0:
        lines.append(InvoiceLine(f"Deposit taken off reversed: {format_amount(netted)} taken off an earlier "
                                 "invoice for a deposit invoice since voided", netted, "deposit_unpaid"))
    credit = over - netted
    if credit.amount > 0:
        lines.append(InvoiceLine(f"Deposit credit reversed: {format_amount(credit)} credited on earlier "
                                 "invoices for a deposit invoice since voided", credit, "deposit_credit"))
    return lines


def deposit_intent(project: Project, invoice_date: date) -> InvoiceIntent:
    """The deposit invoice, due at signature: an advance credited on later invoices."""
    amount = deposit_amount(project)
    if amount is None or project.deposit is None:
        raise NotBillableYet(f"project {project.key} has no deposit")
    if project.signed_at is None:
        raise NotBillableYet(f"project {project.key} is not signed yet")
    basis = (
        f"{format_percent(project.deposit.percent)}% of {format_amount(project.contract_total)}"
        if project.deposit.percent is not None else format_amount(amount)
    )
    credited = "on the final invoice" if project.deposit.credit is DepositCredit.FINAL else "pro rata on each milestone invoice"
    signed = project.contract_date.isoformat()
    line = InvoiceLine(
        f"Deposit: {basis} (per contract dated {signed}; credited {credited})", amount, "deposit"
    )
    return project_intent(
        project, deposit_key(project), invoice_date, (line,), f"{project.key} deposit",
        memo=f"Payment terms: Net {project.payment_terms_days}",
    )
