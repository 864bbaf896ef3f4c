"""Crediting part of an invoiced milestone: a price reduction after invoicing.

Rules (documented for users):

* `amount` is what comes off the customer's invoice, tax included: the credit note (Xero) or
  credit memo (QuickBooks) totals exactly that, its lines split like the invoice's, and it is
  allocated (applied) in full to the milestone's invoice.
* Only a milestone whose invoice is in the books and still owed on can be credited: `invoiced`
  or `partially_paid`, up to the invoice's balance (what is still due, less credits already
  queued). More than the balance is a refund, which is the bookkeeper's.
* The amount must be positive and in the currency's minor unit (2.50 USD, 250 JPY, 2.500 BHD).
* A credit is a reduction of the price: the milestone's billed amount drops by the credit's net
  (its share of the invoice before tax: amount x invoice net / invoice total), and so does the
  contract total, so the rest of the schedule keeps its values. A change order that reduces an
  invoiced milestone is the same credit, citing the order (the order moves the total itself).
* Each credit has its own outbox key, `milepost:{key}:{seq}:{generation}:credit-{n}` (n counts
  the milestone's credits), so the drain issues it once however often it runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from .errors import BillingError
from .model import AuditEvent, Milestone, MilestoneState, Project
from .money import Money, minor_digits, minor_unit

S = MilestoneState
CREDITABLE = frozenset({S.INVOICED, S.PARTIALLY_PAID})


class CreditRefused(BillingError):
    """A credit that cannot be issued: `field` and `rule` say which input broke which rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field, self.rule, self.message = field, rule, message


def credit_key(project_key: str, m: Milestone, number: int) -> str:
    """The outbox key of the milestone's `number`-th credit on its current invoice."""
    return f"milepost:{project_key}:{m.seq}:{m.generation}:credit-{number}"


def checked_amount(amount: Decimal, currency: str) -> Money:
    """The amount as money, or CreditRefused naming the rule it breaks."""
    try:
        digits = minor_digits(currency)
    except ValueError as unknown:
        raise CreditRefused("currency", "unknown_currency",
                            f"the project's currency {currency!r} has no known minor unit") from unknown
    if not amount.is_finite() or amount <= 0:
        raise CreditRefused("amount", "positive", f"the amount must be above zero, got {amount}")
    if amount != amount.quantize(minor_unit(currency)):
        raise CreditRefused("amount", "minor_unit",
                            f"{currency} amounts have {digits} decimal places, got {amount}")
    return Money(amount, currency)


def check_creditable(m: Milestone, amount: Money, reason: str, creditable: Money) -> None:
    """Refuse what the milestone's state or its invoice's balance does not allow."""
    if not reason.strip():
        raise CreditRefused("reason", "required", "a credit needs a reason")
    if m.removed:
        raise CreditRefused("seq", "removed", f"milestone {m.seq} was removed")
    if m.state not in CREDITABLE:
        why = {
            S.INVOICE_DUE: "its invoice is still queued for the books; credit it once it is there",
            S.PAID: "it is fully paid: nothing is owed to credit (a refund is made in the books)",
            S.VOIDED: "its invoice is voided",
            S.PARTIALLY_ACCEPTED: "only part of it is accepted: a change order may lower its unbilled "
                                  "remainder; credit its invoice once it is fully accepted and invoiced",
        }.get(m.state, "it has no invoice in the books")
        raise CreditRefused("seq", "not_invoiced", f"milestone {m.seq} is {m.state.value}: {why}")
    if amount.amount > creditable.amount:
        raise CreditRefused("amount", "above_balance",
                            f"{amount} is more than the {creditable} still owed on the invoice")


def credit_net(amount: Money, invoice_net: Money, invoice_gross: Money) -> Money:
    """The credit's share of the invoice before tax: what comes off the milestone's billing."""
    if invoice_gross.amount <= 0 or invoice_net == invoice_gross:
        return amount
    return Money(amount.amount * invoice_net.amount / invoice_gross.amount, amount.currency)


def credit_requested(
    project: Project, m: Milestone, at: datetime, by: str, reason: str, *,
    amount: Money, net: Money, key: str, invoice: str, ref: str = "", lower_total: bool = True,
) -> tuple[Project, Milestone, AuditEvent]:
    """The milestone bills `net` less, and (unless a change order moved it already) the
    contract total drops by the same; the event says which invoice, how much, and why."""
    billed = (m.billed or Money.zero(project.currency)) - net
    new_m = replace(m, billed=billed, version=m.version + 1)
    new_project = project
    data = {"invoice": invoice, "amount": str(amount), "net": str(net), "idempotency_key": key,
            "billed": f"{m.billed} -> {billed}"}
    if lower_total:
        new_project = replace(project, contract_total=project.contract_total - net, version=project.version + 1)
        data["contract_total"] = f"{project.contract_total} -> {new_project.contract_total}"
    if ref:
        data["reference"] = ref
    event = AuditEvent(project_key=project.key, seq=m.seq, kind="credit_requested", at=at, actor=by,
                       from_state=m.state, to_state=m.state, reason=reason, data=data)
    return new_project, new_m, event
