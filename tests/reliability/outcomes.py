"""What each reliability case injected and what came of it, and the table printed at the end.

A case counts from the books, not from Milepost's own records: for every invoice intent the
invoices the sandbox company holds with its key (QuickBooks `PrivateNote`, Xero `Reference`), and
for every payment recorded in the books whether Milepost's invoice shows it. `lost` is an
intent with no invoice in the books (or not done in the outbox) plus a payment not home;
`duplicated` is every invoice beyond the first for one intent plus any payment counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = ("fault", "injected", "intents", "payments", "lost", "duplicated")


@dataclass(frozen=True)
class Outcome:
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
    rows: list[Outcome] = field(default_factory=list)

    def record(self, outcome: Outcome) -> Outcome:
        self.rows.append(outcome)
        return outcome

    def table(self) -> str:
        """A Markdown table (it goes into the README as printed)."""
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        return "\n".join(lines)
