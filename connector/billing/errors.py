"""What can go wrong in the billing domain, as values a caller can act on.

```
BillingError                      root: anything the domain refuses
├── ScheduleInvalid               a schedule with problems (carries every ValidationProblem)
├── UnknownCalendar               a holiday calendar code the `holidays` package does not know
├── IllegalTransition             a lifecycle step the transition table does not allow
├── NotBillableYet                a legal step whose condition is not met (window still open...)
├── InvalidShare                  a partial acceptance / progress step that is out of range
├── DateOutOfRange                a number of days that takes a date past what a calendar holds
└── ChangeOrderRejected           a change order that would touch invoiced amounts or break totals
```

Validation does not raise per problem: it returns `ValidationProblem` values so a user sees every
problem at once (beancount's habit), and `ScheduleInvalid` wraps them all when a caller needs an
exception. Messages name fields and states, never secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


class BillingError(Exception):
    """The root of every error the billing domain raises."""


@dataclass(frozen=True)
class ValidationProblem:
    """One problem in a schedule: the field it is about, the rule it breaks, and why."""

    field: str  # e.g. "milestones[2].percent" or "project.currency"
    rule: str  # short machine name: "percent_over_100", "sum_mismatch", ...
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.field}: {prefix}{self.message} [{self.rule}]"


class ScheduleInvalid(BillingError):
    """A schedule that cannot be used; `problems` holds every error and warning found."""

    def __init__(self, problems: Sequence[ValidationProblem]) -> None:
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.is_error]
        first = str(errors[0]) if errors else "no details"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"schedule invalid: {first}{more}")

    @property
    def errors(self) -> tuple[ValidationProblem, ...]:
        return tuple(p for p in self.problems if p.is_error)


class UnknownCalendar(BillingError, ValueError):
    """The holiday calendar is not a country code the `holidays` package supports."""

    def __init__(self, code: object) -> None:
        super().__init__(
            f"unknown holiday calendar {code!r}: use a country code such as US, GB or AU"
        )
        self.code = code


class IllegalTransition(BillingError):
    """A milestone was asked to move where the transition table does not allow."""

    def __init__(self, seq: int | None, current: str, requested: str, why: str = "") -> None:
        self.seq = seq
        self.current = str(current)
        self.requested = str(requested)
        where = f"milestone {seq}" if seq is not None else "project"
        detail = f": {why}" if why else ""
        super().__init__(
            f"{where} cannot go from {self.current} to {self.requested}{detail}"
        )


class NotBillableYet(BillingError):
    """A step that is allowed in principle but whose condition is not met yet."""


class InvalidShare(BillingError, ValueError):
    """A partial acceptance or progress step outside what is still open."""


class DateOutOfRange(BillingError, ValueError):
    """A project's number of days (payment terms, grace) takes a date past year 9999: the
    project's own data is wrong, so it is refused for that project alone, naming the field."""

    def __init__(self, field: str, start: object, days: int) -> None:
        self.field = field
        super().__init__(f"{field}: {days} days after {start} is past the last date a calendar can hold")


class ChangeOrderRejected(BillingError):
    """A change order that cannot be applied; nothing of it is applied."""

    def __init__(self, reference: str, message: str, seq: int | None = None) -> None:
        self.reference = reference
        self.seq = seq
        super().__init__(f"change order {reference}: {message}")
