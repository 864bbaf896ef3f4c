"""Invoice intents to Xero invoices, and Xero objects back to domain facts.

A Milepost invoice lands in Xero as `Type=ACCREC`, `Status=DRAFT`, so the bookkeeper approves
it in Xero. `Reference` carries the printed reference and the idempotency key in brackets,
`ACME-WEB M2 [milepost:ACME-WEB:2:1]`; the brackets make a `Reference.Contains(...)` lookup
exact (key ...:1 never matches ...:10). A project imported from a quote puts the quote number
first (`mappings.estimates`). Builds xero-python models; nothing here does I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from xero_python.accounting import (
    Allocation,
    Contact,
    CreditNote,
    CurrencyCode,
    Invoice,
    LineAmountTypes,
    LineItem,
    LineItemTracking,
)

from connector.billing.model import Customer, InvoiceIntent
from connector.billing.money import Money

from . import credit_split
from .estimates import quote_reference_prefix
from .facts import (
    DELETED,
    DRAFT,
    OPEN,
    PAID,
    PARTIALLY_PAID,
    VOIDED,
    CreditNoteFact,
    InvoiceStatusFact,
    PaymentFact,
    to_decimal,
)
from .settings import ResolvedLine, ResolvedSettings

REFERENCE_MAX = 255
_KEY_IN_REFERENCE = re.compile(r"\[(milepost:[^\]]+)\]")


def key_marker(key: str) -> str:
    return f"[{key}]"


def reference_for(intent: InvoiceIntent) -> str:
    """`ACME-WEB M2 [milepost:ACME-WEB:2:1]`; a project imported from a quote starts with the
    quote's number, `QU-0042 ACME-WEB M2 [...]`, Xero's only way to point back to it. The
    marker is never cut."""
    marker = key_marker(intent.idempotency_key)
    text = " ".join(part for part in (quote_reference_prefix(intent.source), intent.reference) if part)
    head = text[: max(0, REFERENCE_MAX - len(marker) - 1)]
    return f"{head} {marker}".strip()


def key_from_reference(reference: str | None) -> str | None:
    match = _KEY_IN_REFERENCE.search(reference or "")
    return match.group(1) if match else None


def _quantity_and_price(amount: Money, quantity: Decimal) -> tuple[Decimal, Decimal]:
    """Keep the quantity only when Xero's 4-place unit amount multiplies back exactly."""
    if quantity and quantity != 1:
        unit = amount.amount / quantity
        if unit == unit.quantize(Decimal("0.0001")) and unit * quantity == amount.amount:
            return quantity, unit
    return Decimal(1), amount.amount


def line_item(resolved: ResolvedLine, settings: ResolvedSettings) -> LineItem:
    line = resolved.line
    qty, unit = _quantity_and_price(line.amount, line.quantity)
    return LineItem(
        description=line.description,
        quantity=qty,
        unit_amount=unit,
        line_amount=line.amount.amount,
        item_code=resolved.item.name if resolved.item else None,
        account_code=resolved.account.name if resolved.account else None,
        tax_type=resolved.tax_code.id if resolved.tax_code else None,
        tracking=[LineItemTracking(name=name, option=option) for name, option in settings.tracking]
        or None,
    )


def memo_line(intent: InvoiceIntent) -> LineItem:
    """The intent's memo as a description-only line (no quantity, price or account: Xero
    allows it), so the customer reads it on the invoice; Xero has no other printed note."""
    return LineItem(description=intent.memo)


def invoice_model(intent: InvoiceIntent, contact_id: str, settings: ResolvedSettings) -> Invoice:
    """The Xero draft invoice for an intent, lines in the intent's own words, memo last."""
    lines = [line_item(settings.for_line(line), settings) for line in intent.lines]
    if intent.memo:
        lines.append(memo_line(intent))
    return Invoice(
        type="ACCREC",
        status="DRAFT",
        contact=Contact(contact_id=contact_id),
        date=intent.invoice_date,
        due_date=intent.due_date,
        reference=reference_for(intent),
        currency_code=CurrencyCode(intent.currency),
        line_amount_types=LineAmountTypes(settings.settings.line_amount_types),
        line_items=lines,
    )


def contact_model(customer: Customer, name: str) -> Contact:
    """A new Xero contact; `name` is already made unique by the gateway."""
    person = customer.name.split(" ", 1)
    return Contact(
        name=name[:255],
        email_address=customer.email or None,
        first_name=person[0] if customer.company else None,
        last_name=person[1] if customer.company and len(person) > 1 else None,
    )


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def invoice_fact(invoice: Invoice) -> InvoiceStatusFact:
    """A Xero invoice as a status fact; AUTHORISED splits into open and partially paid."""
    currency = _enum_value(invoice.currency_code) or "USD"
    total = Money(to_decimal(invoice.total), currency)
    paid = Money(to_decimal(invoice.amount_paid) + to_decimal(invoice.amount_credited), currency)
    due = Money(to_decimal(invoice.amount_due), currency)
    xero_status = _enum_value(invoice.status)
    status = {
        "DRAFT": DRAFT,
        "SUBMITTED": DRAFT,
        "PAID": PAID,
        "VOIDED": VOIDED,
        "DELETED": DELETED,
    }.get(xero_status, PARTIALLY_PAID if paid.amount > 0 else OPEN)
    return InvoiceStatusFact(
        platform_id=str(invoice.invoice_id),
        number=invoice.invoice_number,
        status=status,
        total=total,
        amount_paid=paid,
        balance=due,
        idempotency_key=key_from_reference(invoice.reference),
        updated_at=_aware(invoice.updated_date_utc),
    )


def payment_fact(payment: Any, currency: str = "USD") -> PaymentFact | None:
    """A Xero payment against an invoice (None for payments on other documents).

    `currency` is the invoice's, for payments whose embedded invoice omits it."""
    invoice = payment.invoice
    if invoice is None or invoice.invoice_id is None:
        return None
    currency = _enum_value(getattr(invoice, "currency_code", None)) or currency
    on = payment.date if isinstance(payment.date, date) else date.min
    return PaymentFact(
        platform_id=str(payment.payment_id),
        invoice_platform_id=str(invoice.invoice_id),
        on=on,
        amount=Money(to_decimal(payment.amount), currency),
        method=_enum_value(payment.payment_type),
        deleted=_enum_value(payment.status) == "DELETED",
    )


def credit_note_fact(note: Any) -> CreditNoteFact:
    currency = _enum_value(note.currency_code) or "USD"
    applied = tuple(
        (str(a.invoice.invoice_id), Money(to_decimal(a.amount), currency))
        for a in note.allocations or []
        if a.invoice is not None
    )
    return CreditNoteFact(
        platform_id=str(note.credit_note_id),
        number=note.credit_note_number,
        status=_enum_value(note.status).lower(),
        total=Money(to_decimal(note.total), currency),
        applied_to=applied,
    )


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def credit_note_model(
    invoice: Invoice, amount: Money, reason: str, key: str, rates: dict[str, Decimal]
) -> CreditNote:
    """An approved ACCRECCREDIT whose Total is exactly `amount` (tax included), split like the
    invoice's lines (same accounts, tax types and tracking; `credit_split`): on the invoice's
    own LineAmountTypes when a net exists for every part, otherwise stated tax included, so
    Xero's own arithmetic gives `amount` to the cent. `rates`: tax type -> percent."""
    kind = _enum_value(invoice.line_amount_types) or "Exclusive"
    firsts: dict[tuple[str, str], LineItem] = {}
    groups: list[tuple[tuple[str, str], Decimal]] = []
    for line in invoice.line_items or []:
        if line.line_amount in (None, "") or to_decimal(line.line_amount) == 0:
            continue  # a description-only line (the memo)
        group = (str(line.account_code or ""), str(line.tax_type or "NONE"))
        firsts.setdefault(group, line)
        gross = to_decimal(line.line_amount)
        if kind == "Exclusive":
            gross += to_decimal(line.tax_amount)
        groups.append((group, gross))
    parts = credit_split.split_like(amount, groups)
    if kind == "Exclusive":
        nets = [credit_split.exclusive_net(part, rates.get(tax, Decimal(0))) for (_, tax), part in parts]
        if any(net is None for net in nets):
            kind = "Inclusive"  # no net in cents gives this total: state the lines tax included
        else:
            parts = [(group, net) for (group, _), net in zip(parts, nets, strict=True) if net is not None]
    return CreditNote(
        type="ACCRECCREDIT",
        status="AUTHORISED",
        contact=Contact(contact_id=invoice.contact.contact_id),
        date=invoice.date,
        currency_code=invoice.currency_code,
        line_amount_types=LineAmountTypes(kind),
        reference=f"{reason[:200]} {key_marker(key)}",
        line_items=[
            LineItem(
                description=reason,
                quantity=Decimal(1),
                unit_amount=part.amount,
                line_amount=part.amount,
                account_code=account or None,
                tax_type=tax,
                tracking=[LineItemTracking(name=t.name, option=t.option) for t in firsts[(account, tax)].tracking or []]
                or None,
            )
            for (account, tax), part in parts
        ],
    )


def allocation_model(invoice_id: str, amount: Money, on: date) -> Allocation:
    return Allocation(invoice=Invoice(invoice_id=invoice_id), amount=amount.amount, date=on)
