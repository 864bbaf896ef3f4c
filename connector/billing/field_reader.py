"""Reading a schedule's raw fields one by one, recording a problem instead of stopping.

`FieldReader` converts text, whole numbers, decimals, dates, amounts and percentages the way a
schedule file writes them (amounts are decimal strings, never floats) and, for each field that
is wrong, records a `ValidationProblem` naming the field and the rule; the caller carries on so
the user sees every problem at once. `validation` (the schedule and the project) and
`milestone_rules` (one milestone) are written with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import ValidationProblem
from .money import HUNDRED, D, Money, minor_unit

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldReader:
    """Converts fields one by one, recording a problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[ValidationProblem] = []

    def problem(self, where: str, rule: str, message: str, severity: str = "error") -> None:
        self.problems.append(ValidationProblem(where, rule, message, severity))  # type: ignore[arg-type]

    def text(self, data: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return ""
        if not isinstance(value, str):
            self.problem(f"{where}.{key}", "not_text", f"{key} must be text")
            return ""
        return value.strip()

    def decimal(self, value: Any, where: str) -> Decimal | None:
        if isinstance(value, bool) or isinstance(value, float):
            self.problem(where, "not_decimal_string", 'write amounts as decimal strings, e.g. "12.50"')
            return None
        try:
            return D(value)
        except (ValueError, TypeError):
            self.problem(where, "not_decimal", f"not a decimal number: {value!r}")
            return None

    def integer(self, data: Mapping[str, Any], key: str, where: str, *, default: int | None = None,
                minimum: int = 0) -> int | None:
        value = data.get(key)
        if value is None or value == "":
            if default is None:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(f"{where}.{key}", "not_integer", f"{key} must be a whole number")
            return None
        if value < minimum:
            self.problem(f"{where}.{key}", "too_small", f"{key} must be at least {minimum}")
            return None
        return value

    def day(self, value: Any, where: str) -> date | None:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(where, "bad_date", f"not an ISO 8601 date (YYYY-MM-DD): {value!r}")
            return None

    def amount(self, value: Any, where: str, currency: str | None) -> Money | None:
        number = self.decimal(value, where)
        if number is None:
            return None
        if number <= 0:
            self.problem(where, "not_positive", f"must be greater than zero, got {number}")
            return None
        if currency is None:
            return None
        if number != number.quantize(minor_unit(currency)):
            self.problem(where, "too_precise", f"{currency} amounts have at most "
                         f"{-minor_unit(currency).as_tuple().exponent} decimal places")  # type: ignore[operator]
            return None
        return Money(number, currency)

    def percent(self, value: Any, where: str, *, allow_zero: bool = False) -> Decimal | None:
        number = self.decimal(value, where)
        if number is None:
            return None
        if number > HUNDRED:
            self.problem(where, "percent_over_100", f"a percentage cannot exceed 100, got {number}")
            return None
        if number < 0 or (number == 0 and not allow_zero):
            self.problem(where, "not_positive", f"must be greater than zero, got {number}")
            return None
        return number

    def table(self, data: Mapping[str, Any], key: str, where: str, required: bool) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return None
        if not isinstance(value, Mapping):
            self.problem(f"{where}.{key}", "not_table", f"{key} must be a table")
            return None
        return value
