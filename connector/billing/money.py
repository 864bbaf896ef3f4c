"""The one place money comes from.

Accounting never uses floats: every amount in Milepost is a `decimal.Decimal`, and an amount is
only ever seen together with its currency. Quantization to the currency's minor unit (JPY 0,
USD 2, BHD 3) uses Babel's ISO 4217 table, not a guess, and happens at the edges: when an
amount is stored, put on an invoice line or sent to a platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class UnknownCurrency(ValueError):
    """The code is not an active ISO 4217 currency."""

    def __init__(self, code: object) -> None:
        super().__init__(f"unknown currency {code!r}: must be an ISO 4217 code such as USD")
        self.code = code


def D(value: object) -> Decimal:
    """Build a Decimal from a string, int or Decimal; refuse floats, which lose cents."""
    if isinstance(value, float):
        raise TypeError("money is never a float: pass a string such as '12.50'")
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _known_currencies() -> frozenset[str]:
    return frozenset(get_global("currency_fractions")) | frozenset(
        code for code in get_global("all_currencies")
    )


_KNOWN = _known_currencies()


def check_currency(code: str) -> str:
    """Return the upper-cased code, or raise UnknownCurrency."""
    if not isinstance(code, str) or len(code) != 3 or code.upper() not in _KNOWN:
        raise UnknownCurrency(code)
    return code.upper()


def minor_digits(currency: str) -> int:
    """Digits after the decimal point for the currency (USD 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(check_currency(currency)))


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency, as a quantum: Decimal('0.01') for USD."""
    return Decimal(1).scaleb(-minor_digits(currency))


def quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to the currency's minor unit (half up, as invoices are rounded)."""
    return D(amount).quantize(minor_unit(currency), rounding=rounding)


@dataclass(frozen=True, order=True)
class Money:
    """An immutable amount in one currency, always quantized to its minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = check_currency(self.currency)
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", quantize(D(self.amount), currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} with {getattr(other, 'currency', other)!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def percent(self, pct: Decimal) -> Money:
        """pct percent of this amount, rounded half up to the minor unit."""
        return Money(self.amount * D(pct) / HUNDRED, self.currency)

    def is_zero(self) -> bool:
        return self.amount == ZERO

    def __str__(self) -> str:
        """Plain decimal string, as the JSON report and platforms want it."""
        return f"{self.amount:f}"

    def display(self, locale: str = "en_US") -> str:
        """Human form with symbol and grouping: '$1,234.57'."""
        return format_currency(self.amount, self.currency, locale=locale)


def money_sum(items: Sequence[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def allocate(total: Money, weights: Sequence[Decimal]) -> list[Money]:
    """Split `total` in proportion to `weights` so the parts sum to it exactly.

    Largest-remainder method: every share is first rounded down to the minor unit, then the
    leftover minor units go one each to the shares with the largest remainders (ties to the
    earlier share). 20/30/50 of 1,234.57 gives 246.91, 370.37, 617.29.
    Use `allocate_percentages` for percentages that may cover less than the whole.
    """
    weights = [D(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("allocation weights must not be negative")
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        return [Money.zero(total.currency) for _ in weights]
    unit = minor_unit(total.currency)
    covered = total.amount
    exact = [covered * w / weight_sum for w in weights]
    floors = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
    leftover_units = int(((covered - sum(floors, ZERO)) / unit).to_integral_value(ROUND_HALF_UP))
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover_units]:
        floors[i] += unit
    return [Money(f, total.currency) for f in floors]


def allocate_percentages(total: Money, percents: Sequence[Decimal]) -> list[Money]:
    """Shares of `total` for percentages summing to at most 100.

    When they sum to exactly 100 the parts sum to the total exactly (largest remainder).
    When they sum to less, the parts are the largest-remainder split of that covered share.
    """
    percents = [D(p) for p in percents]
    covered_pct = sum(percents, ZERO)
    if covered_pct > HUNDRED:
        raise ValueError("percentages sum to more than 100")
    if covered_pct == 0:
        return [Money.zero(total.currency) for _ in percents]
    covered = Money(total.amount * covered_pct / HUNDRED, total.currency)
    return allocate(covered, percents)
