"""What every reliability case ends by checking: each intent invoiced exactly once in the books
and every payment made there home, read from the books (the sandbox) and from Milepost's store.
Each case prints one line of the README "Reliability" table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from connector.store.models import OutboxRow, PaymentRow
from mappings.quickbooks import key_from_private_note
from tests.jobs_harness import Stack


@dataclass(frozen=True)
class Outcome:
    intents: int
    invoiced_once: int
    duplicated: int
    payments: int
    payments_home: int

    @property
    def lost(self) -> int:
        return (self.intents - self.invoiced_once) + (self.payments - self.payments_home)

    def row(self, fault: str, injected: str) -> str:
        return (f"| {fault} | {injected} | {self.intents} | {self.payments} | {self.lost} | "
                f"{self.duplicated} |")


def quickbooks_outcome(stack: Stack, realm: str, payment_ids: set[str]) -> Outcome:
    """Intents against the invoices the books hold for their keys, payments against the store."""
    with stack.sandbox.state.lock:
        company = stack.sandbox.state.quickbooks.company(realm)
        keys = [key_from_private_note(row.get("PrivateNote")) for row in company.table("Invoice").values()]
    in_books = Counter(key for key in keys if key)
    with stack.reading() as session:
        intents = list(session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.kind == "invoice")))
        home = set(session.scalars(select(PaymentRow.platform_id)))
    return Outcome(
        intents=len(intents),
        invoiced_once=sum(1 for key in intents if in_books[key] == 1),
        duplicated=sum(count - 1 for key, count in in_books.items() if count > 1),
        payments=len(payment_ids),
        payments_home=len(payment_ids & home),
    )
