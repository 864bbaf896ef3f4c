"""What every reliability case ends by checking: each intent invoiced exactly once in the books
and every payment made there home, read from the books (the sandbox) and from Milepost's store.
Each case prints one line of the README "Reliability" table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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


# -- the suite's table ------------------------------------------------------------------------
# What each case injected and what came of it, printed at the end of the run
# (`pytest_terminal_summary` in conftest.py). `books.settle` counts from the books: for every
# invoice intent the invoices the sandbox company holds with its key (QuickBooks `PrivateNote`),
# for every payment recorded there whether Milepost shows it. `lost` is an intent with no invoice
# in the books (or not done in the outbox) plus a payment not home; `duplicated` is every invoice
# beyond the first for one intent plus any payment counted twice.

COLUMNS = ("fault", "injected", "intents", "payments", "lost", "duplicated")


@dataclass(frozen=True)
class Row:
    fault: str
    injected: str
    intents: int
    payments: int
    lost: int
    duplicated: int

    def cells(self) -> tuple[str, ...]:
        return (self.fault, self.injected, str(self.intents), str(self.payments), str(self.lost),
                str(self.duplicated))


@dataclass
class Outcomes:
    rows: list[Row] = field(default_factory=list)

    def record(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def table(self) -> str:
        """A Markdown table (it goes into the README as printed)."""
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        return "\n".join(lines)
