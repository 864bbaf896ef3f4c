"""Counting from the books: what the sandbox QuickBooks company holds, against what Milepost says.

`settle(stack, realm, ...)` is how every case ends: wait until the outbox is done, pay each
invoice in full in the books (as the customer would), wait until Milepost shows every payment,
and count. The waits give up with an AssertionError naming what is still missing; the counts
are recorded in the suite's table before anything is asserted, so a failing case still shows
what it lost.
"""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from connector.sandbox.client import SandboxServer
from connector.store.models import InvoiceRow, OutboxRow, PaymentRow
from mappings.quickbooks import key_from_private_note
from tests.jobs_harness import Stack

from .outcomes import Outcomes, Row


def _table(sandbox: SandboxServer, realm: str, entity: str) -> list[dict]:
    state = sandbox.state
    with state.lock:
        return [dict(row) for row in state.quickbooks.company(realm).table(entity).values()]


def invoices_in_books(sandbox: SandboxServer, realm: str) -> Counter[str]:
    """Idempotency key -> how many invoices the company holds with it."""
    return Counter(key for row in _table(sandbox, realm, "Invoice")
                   if (key := key_from_private_note(row.get("PrivateNote"))) is not None)


def payments_in_books(sandbox: SandboxServer, realm: str) -> dict[str, Decimal]:
    """Payment id -> amount, for every payment the company holds."""
    return {str(row["Id"]): Decimal(str(row.get("TotalAmt", 0))) for row in _table(sandbox, realm, "Payment")}


def intent_keys(stack: Stack) -> list[str]:
    with stack.reading() as session:
        return list(session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.kind == "invoice")
                                    .order_by(OutboxRow.id)))


def outbox_counts(stack: Stack) -> Counter[str]:
    with stack.reading() as session:
        return Counter(session.scalars(select(OutboxRow.status).where(OutboxRow.kind == "invoice")))


def wait_for(what, timeout: float, every: float = 0.5, why=lambda: ""):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = what()
        except Exception:  # noqa: BLE001 - a service may still be coming back
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout}s: {why()}")
        time.sleep(every)


def wait_all_done(stack: Stack, timeout: float = 90) -> None:
    wait_for(lambda: set(outbox_counts(stack)) == {"done"}, timeout,
             why=lambda: f"outbox {dict(outbox_counts(stack))}")


def pay_everything(stack: Stack, realm: str) -> int:
    """Pay each invoice Milepost created in full, in the books; returns how many payments."""
    with stack.reading() as session:
        ids = list(session.scalars(select(InvoiceRow.platform_id).order_by(InvoiceRow.id)))
    for invoice_id in ids:
        stack.sandbox.control.record_payment(realm, invoice_id)
    return len(ids)


def payments_home(stack: Stack, realm: str) -> tuple[int, int]:
    """(lost, duplicated): payments in the books Milepost does not show, and shown twice."""
    in_books = payments_in_books(stack.sandbox, realm)
    with stack.reading() as session:
        ours = Counter(session.scalars(select(PaymentRow.platform_id)))
    lost = sum(1 for payment_id in in_books if payment_id not in ours)
    duplicated = sum(count - 1 for count in ours.values() if count > 1)
    return lost, duplicated


def settle(stack: Stack, realm: str, outcomes: Outcomes, fault: str, injected: str,
           *, timeout: float = 90) -> Row:
    """Wait for every intent and every payment, record the case's row, and return it."""
    problems: list[str] = []
    try:
        wait_all_done(stack, timeout)
        payments = pay_everything(stack, realm)
        wait_for(lambda: payments_home(stack, realm)[0] == 0, timeout,
                 why=lambda: f"{payments_home(stack, realm)[0]} payments not home")
    except AssertionError as error:
        problems.append(str(error))
        payments = len(payments_in_books(stack.sandbox, realm))
    keys = intent_keys(stack)
    books = invoices_in_books(stack.sandbox, realm)
    not_done = sum(count for status, count in outbox_counts(stack).items() if status != "done")
    lost_payments, doubled_payments = payments_home(stack, realm)
    with stack.reading() as session:
        ours = Counter(session.scalars(select(InvoiceRow.outbox_id)))
    doubled_here = sum(count - 1 for count in ours.values() if count > 1)
    outcome = outcomes.record(Row(
        fault=fault, injected=injected, intents=len(keys), payments=payments,
        lost=max(not_done, sum(1 for key in keys if books[key] == 0)) + lost_payments,
        duplicated=sum(books[key] - 1 for key in keys if books[key] > 1) + doubled_here + doubled_payments,
    ))
    assert not problems, problems
    return outcome
