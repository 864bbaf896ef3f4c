"""A known history, made the way Milepost makes it: schedules imported and milestones decided
through the CLI, the outbox's intents recorded as the books' invoices by the drain's own
`complete`, and payments brought home by the sync's own `apply_changes`.

Acme Corp (ap@acme.example) has two contracts in USD:
- ACME-OLD: invoice 1001 (246.91, due 8 Oct) paid 18 Oct, ten days late; invoice 1002
  (370.37, due 20 Oct) paid 24 Oct, four days late; its launch (617.29) is planned 29 Jan.
- ACME-WEB: invoice 1041 (246.91, due 25 Nov) partly paid, 100.00 on 27 Nov (two days late);
  146.91 left. Design (370.37) submitted Tue 1 Dec, deadline Fri 4 Dec; launch (617.29)
  planned Fri 29 Jan.
So Acme pays (10*246.91 + 4*370.37 + 2*100.00) / 717.28 = 5.79 -> 6 days late, 2 to 10.
Beispiel GmbH (EUR, no history): BEISPIEL's discovery (246.91) accepted 30 Nov, its invoice
still queued (due 7 Dec); design planned 11 Dec, launch 29 Jan.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from connector.billing.money import Money
from connector.cli import main
from connector.platforms.gateway import ChangeBatch
from connector.store.db import make_engine, session_factory, transaction
from connector.store.models import ConnectionRow, InvoiceRow, OutboxRow
from connector.store.outbox import CreatedInvoice, claim_pending, complete
from jobs.sync import apply_changes
from mappings.facts import OPEN, PAID, PARTIALLY_PAID, InvoiceStatusFact, PaymentFact

from .conftest import Result
from .schedules import GOOD

BEISPIEL = (GOOD.replace('key = "ACME-WEB"', 'key = "BEISPIEL"').replace('currency = "USD"', 'currency = "EUR"')
            .replace('customer = { name = "Acme Corp", email = "ap@acme.example" }',
                     'customer = { name = "Beispiel GmbH", email = "ap@beispiel.example" }'))
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def build(milepost, folder: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    evidence = folder / "requirements-v1.3.pdf"
    evidence.write_bytes(b"%PDF requirements")
    for key, text in (("ACME-OLD", GOOD.replace('key = "ACME-WEB"', 'key = "ACME-OLD"')),
                      ("ACME-WEB", GOOD), ("BEISPIEL", BEISPIEL)):
        path = folder / f"{key}.toml"
        path.write_text(text, encoding="utf-8")
        assert milepost("schedule", "import", str(path)).code == 0
    decide(milepost, "ACME-OLD", 1, "2026-09-30T10:00", "2026-10-01T10:00", str(evidence))
    decide(milepost, "ACME-OLD", 2, "2026-10-12T10:00", "2026-10-13T10:00", str(evidence))
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        connection = add_connection(sessions)
        books(sessions, connection, {"ACME-OLD": ["1001", "1002"]})
        pay(sessions, connection, "1001", "246.91", date(2026, 10, 18), Decimal(0))
        pay(sessions, connection, "1002", "370.37", date(2026, 10, 24), Decimal(0))
        decide(milepost, "ACME-WEB", 1, "2026-11-17T10:00", "2026-11-18T10:00", str(evidence))
        books(sessions, connection, {"ACME-WEB": ["1041"]})
        pay(sessions, connection, "1041", "100.00", date(2026, 11, 27), Decimal("146.91"))
        assert milepost("milestone", "submit", "ACME-WEB", "2", "--at", "2026-12-01T10:00",
                        "--evidence", str(evidence)).code == 0
        decide(milepost, "BEISPIEL", 1, "2026-11-27T10:00", "2026-11-30T10:00", str(evidence))
    finally:
        engine.dispose()


def cli(database_url: str, folder: Path) -> Callable[..., Result]:
    """`milepost(*args)` on this database, run in `folder` (the evidence folder), for tests
    outside the CLI's own folder (the API's, the browser's)."""

    def run(*args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.chdir(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--database", database_url, *args])
        return Result(code, out.getvalue(), err.getvalue())

    return run


def decide(milepost, key: str, seq: int, submitted: str, accepted: str, evidence: str) -> None:  # type: ignore[no-untyped-def]
    result = milepost("milestone", "submit", key, str(seq), "--at", submitted, "--by", "Sam",
                      "--evidence", evidence)
    assert result.code == 0, result.err
    result = milepost("milestone", "accept", key, str(seq), "--at", accepted, "--by", "Dana Lee")
    assert result.code == 0, result.err


def books_made(database_url: str, numbers: dict[str, list[str]]) -> None:
    """A connection to the books, and the invoices `numbers` they made for the projects'
    pending intents (as `books`), from outside a session."""
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        books(sessions, add_connection(sessions), numbers)
    finally:
        engine.dispose()


def add_connection(sessions) -> int:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        row = ConnectionRow(platform="quickbooks", tenant_id="realm-forecast", name="Acme's books", status="active")
        session.add(row)
        session.flush()
        return row.id


def books(sessions, connection: int, numbers: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    """The drain's last step for each pending intent of these projects, in order: the books
    made invoice `number`, open, due on the intent's due date."""
    with transaction(sessions) as session:
        claimed = claim_pending(session, limit=50)
    wanted = [(c, number) for key, found in numbers.items()
              for c, number in zip([c for c in claimed if c.intent.project_key == key], found, strict=True)]
    with transaction(sessions) as session:
        for item, number in wanted:
            total = item.intent.total.amount
            complete(session, item.id, CreatedInvoice(
                "quickbooks", f"qb-{number}", number, OPEN, total, total,
                due_date=item.intent.due_date, connection_id=connection), NOW)
        for item in claimed:  # those not named go back to wait, as an outage would leave them
            if item not in [c for c, _ in wanted]:
                row = session.get(OutboxRow, item.id)
                assert row is not None
                row.status = "pending"


def pay(sessions, connection: int, number: str, amount: str, on: date, balance: Decimal) -> None:  # type: ignore[no-untyped-def]
    """The sync brings home a payment and the invoice's new balance, as the books report them."""
    with transaction(sessions) as session:
        invoice = session.scalars(select(InvoiceRow).where(InvoiceRow.number == number)).one()
        total = Money(invoice.total, invoice.currency)
        paid = Money(invoice.total - balance, invoice.currency)
        fact = InvoiceStatusFact(invoice.platform_id, number, PAID if balance == 0 else PARTIALLY_PAID,
                                 total, paid, Money(balance, invoice.currency))
        payment = PaymentFact(f"pay-{number}-{on}", invoice.platform_id, on, Money(Decimal(amount), invoice.currency))
        apply_changes(session, connection, ChangeBatch(invoices=(fact,), payments=(payment,)), NOW)
