"""A draft costs the worker a bounded number of SQL statements, however many intents wait.

The worker's CPU per draft (issue 15) goes mostly on the store: each statement is a round trip
and SQLAlchemy's work around it. What the drain must know before it calls the platform (the
route, the mapping settings, the evidence, the known customer, the source document) is read
once per claimed batch, not once per intent, and completing an intent reads each row it needs
once. Counted on the drain's own engine over a run of ten intents for two companies whose
customers and lists are already known (the steady state of a busy worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from jobs.runner import run_job
from jobs.tables import SyncLogRow
from tests.jobs_harness import books_invoice

# What one steady-state draft costs (the claim and batch reads shared by ten, the row lock,
# the invoice, the milestone, its audit and version rows, the webhook check): about 11, with
# room for a statement or two. It was about 22 when the delivery's reads were made per intent
# and completion read the project and milestone rows twice.
MOST_PER_DRAFT = 14


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's own transaction start, not a query
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _connections(stack, platform: str) -> list[int]:
    if platform == "quickbooks":
        return [stack.connect_quickbooks(stack.sandbox.control.add_quickbooks_company(f"Builders {n}"))[0]
                for n in range(2)]
    return [connection for connection, _ in stack.connect_xero()][:2]


@pytest.mark.parametrize("platform", ["quickbooks", "xero"])
def test_a_drain_of_ten_intents_issues_a_bounded_number_of_statements_per_draft(stack, platform) -> None:
    connections = _connections(stack, platform)
    ctx = stack.context()
    for n, connection in enumerate(connections):  # each company's customer and lists now known
        stack.import_and_accept(f"WARM-{n}", connection)
    run_job(ctx, "drain_outbox")
    for n in range(10):
        stack.import_and_accept(f"PROJ-{n}", connections[n % 2])

    with statements(ctx.engine) as seen:
        run_job(ctx, "drain_outbox")

    assert len(stack.invoices()) == 12
    assert stack.outbox_statuses().count("done") == 12
    assert len(seen) / 10 <= MOST_PER_DRAFT, "\n".join(seen)


def test_a_new_customer_made_for_one_intent_is_the_known_customer_of_the_next_in_the_batch(stack) -> None:
    """The batch's reads are taken before any of its intents is carried: a customer the first
    intent created must still be the known one for the second (no search, no second log line)."""
    connection, realm = stack.connect_quickbooks()
    for key in ("ALPHA-1", "ALPHA-2", "ALPHA-3"):  # the demo schedule's customer, three times
        stack.import_and_accept(key, connection)

    run_job(stack.context(), "drain_outbox")

    with stack.reading() as session:
        lines = list(session.scalars(select(SyncLogRow.message).where(SyncLogRow.message.like("customer %"))))
    assert len(stack.invoices()) == 3
    [line] = lines  # one customer line: created once, never searched for again
    assert "no customer in the books matched; created" in line
    customers = {books_invoice(stack.sandbox, realm, invoice.platform_id)["CustomerRef"]["value"]
                 for invoice in stack.invoices()}
    assert len(customers) == 1
