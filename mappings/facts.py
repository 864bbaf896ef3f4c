"""What the books told us, in the domain's words: the sync turns these into milestone changes.

Facts are platform-neutral. An invoice's `status` is one of the values below whatever the
platform calls it, and every amount is `Money`, so a payment of 400.00 on invoice 130 reads the
same from QuickBooks and from Xero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.billing.money import D, Money

DRAFT = "draft"  # Xero DRAFT/SUBMITTED; QuickBooks: created, never sent
OPEN = "open"  # approved/sent, nothing paid
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
VOIDED = "voided"
DELETED = "deleted"
INVOICE_STATUSES = (DRAFT, OPEN, PARTIALLY_PAID, PAID, VOIDED, DELETED)


@dataclass(frozen=True)
class InvoiceStatusFact:
    """An invoice as the books hold it now."""

    platform_id: str
    number: str | None
    status: str
    total: Money
    amount_paid: Money
    balance: Money
    idempotency_key: str | None = None  # read back from DocNumber/PrivateNote or Reference
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PaymentFact:
    """Money received against one invoice (one payment may cover several: one fact each)."""

    platform_id: str
    invoice_platform_id: str
    on: date
    amount: Money
    method: str = ""
    deleted: bool = False  # voided/deleted on the platform: take it back


@dataclass(frozen=True)
class CreditNoteFact:
    """A credit note (QuickBooks CreditMemo) and the invoices it is applied to."""

    platform_id: str
    number: str | None
    status: str
    total: Money
    applied_to: tuple[tuple[str, Money], ...] = ()  # (invoice platform id, amount)


def status_from_amounts(total: Money, balance: Money) -> str:
    """Paid, partially paid or open, from what is left to pay."""
    if balance.amount <= 0 < total.amount:
        return PAID
    if balance.amount < total.amount:
        return PARTIALLY_PAID
    return OPEN


def to_decimal(value: Any) -> Decimal:
    """An amount as the books gave it, never kept as a float: python-quickbooks (built with
    use_decimal=True) and xero-python (whose models say float) deliver Decimal, raw JSON a
    string; a stray float goes through its repr, so 0.1 stays 0.1."""
    if value in (None, ""):
        return Decimal(0)
    return D(repr(value) if isinstance(value, float) else value)
