"""How a credit of an exact amount, tax included, is split like the invoice it credits.

A bookkeeper reads a credit of 1,700.00 as 1,700.00 off what the customer owes: the credit
note's (memo's) total must be exactly that, or part of it is left unallocated and the invoice
keeps a phantom balance. The amount is shared among the invoice's own lines, grouped by what
they are booked to (account or item, and tax code), in proportion to each group's gross (tax
included), by largest remainder so the parts add up to the cent. Groups whose gross is not
positive (a retainage or deposit credit booked on its own) take no share.

For tax added on top of the line (Xero `Exclusive`), each part's net is the amount whose tax,
rounded per line as the platform rounds it (half away from zero, to the minor unit), brings it
back to the part exactly; `exclusive_net` finds it or says there is none (20% of a net in cents
skips some gross values), and the caller then states the lines tax included instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from connector.billing.money import Money, allocate, minor_unit

K = TypeVar("K", bound=Hashable)
HUNDRED = Decimal(100)


def tax_on(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax on a line's net amount at `rate` percent, rounded as the books round it."""
    return (net * rate / HUNDRED).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def tax_within(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax inside a tax-inclusive line amount."""
    return (gross * rate / (HUNDRED + rate)).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def exclusive_net(gross: Money, rate: Decimal) -> Money | None:
    """The net whose tax added on top gives exactly `gross`; None when no net does."""
    unit = minor_unit(gross.currency)
    guess = (gross.amount * HUNDRED / (HUNDRED + rate)).quantize(unit, rounding=ROUND_HALF_UP)
    for step in (0, -1, 1, -2, 2):
        net = guess + step * unit
        if net + tax_on(net, rate, gross.currency) == gross.amount:
            return Money(net, gross.currency)
    return None


def split_like(amount: Money, groups: Sequence[tuple[K, Decimal]]) -> list[tuple[K, Money]]:
    """`amount` shared among the groups with a positive gross, in proportion to it; merged by
    key first (lines booked alike become one line of the credit)."""
    merged: dict[K, Decimal] = {}
    for key, gross in groups:
        merged[key] = merged.get(key, Decimal(0)) + gross
    shares = [(key, gross) for key, gross in merged.items() if gross > 0]
    if not shares:
        raise ValueError("the invoice has no line with a positive amount to credit against")
    parts = allocate(amount, [gross for _, gross in shares])
    return [(key, part) for (key, _), part in zip(shares, parts, strict=True) if part.amount != 0]
