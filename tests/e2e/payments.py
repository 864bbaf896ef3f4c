"""What a user sees of a payment coming home: the project report, read through the API.

`seen(stack, key)` is milestone `seq`'s state with the report's `paid` and `outstanding`;
`pay_in_two(...)` records a partial payment and then the rest in the sandbox's books, as a
bookkeeper would, and checks after each that the report moved exactly as the books did.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tests.jobs_harness import Stack, books_payments, wait_for


@dataclass(frozen=True)
class Seen:
    state: str
    paid: Decimal
    outstanding: Decimal


def seen(stack: Stack, key: str = "ACME-WEB", seq: int = 1) -> Seen:
    report = stack.api("GET", f"/projects/{key}/report")
    [row] = [m for m in report["milestones"] if m["seq"] == seq]
    return Seen(row["state"], Decimal(report["paid"]), Decimal(report["outstanding"]))


def wait_for_state(stack: Stack, state: str, key: str = "ACME-WEB", timeout: float = 20) -> Seen:
    """The report once milestone 1 shows `state` (AssertionError, with what it shows, if never)."""
    try:
        found: Seen = wait_for(lambda: (now := seen(stack, key)).state == state and now,
                               timeout=timeout)
    except AssertionError:
        raise AssertionError(f"milestone never became {state}: the report shows {seen(stack, key)}") from None
    return found


def pay_in_two(stack: Stack, realm: str, invoice_id: str, first: str, key: str = "ACME-WEB",
               timeout: float = 20) -> None:
    """Pay `first`, then the balance, in the books; the report follows each step."""
    billed = seen(stack, key)
    assert billed.state == "invoiced"
    assert billed.paid == 0

    stack.sandbox.control.record_payment(realm, invoice_id, amount=first)
    partly = wait_for_state(stack, "partially_paid", key, timeout)
    assert partly.paid == sum(books_payments(stack.sandbox, realm, invoice_id)) == Decimal(first)
    assert partly.outstanding == billed.outstanding - Decimal(first)

    stack.sandbox.control.record_payment(realm, invoice_id)
    paid = wait_for_state(stack, "paid", key, timeout)
    in_books = books_payments(stack.sandbox, realm, invoice_id)
    assert len(in_books) == 2
    assert paid.paid == sum(in_books) == billed.outstanding
    assert paid.outstanding == 0
