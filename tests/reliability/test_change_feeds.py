"""Reliability: 600 invoices and 500 payments changed in one QuickBooks CDC window.

Intuit's Change Data Capture reference: "Server responses can handle a maximum of 1,000
objects" (in total, across the entities asked for; the sandbox's CDC caps the same way). With
the cap checked per entity, one answer held 600 invoices and 400 payments, and the cursor moved
past the other 100 payments for good (issue 9, finding 3).

Runs on the stack of tests/stack_fixtures.py (the sandbox, SQLite and the shared PostgreSQL),
not on the reliability suite's own servers: nothing here needs a server stopped.
"""

from __future__ import annotations

from decimal import Decimal

from connector.billing.money import Money
from jobs.runner import run_job, run_sync
from jobs.tables import SyncStateRow
from tests.reliability.outcomes import quickbooks_outcome
from tests.sandbox_books import change_other_invoices, pay_in_parts
from tests.stack_fixtures import sandbox, stack  # noqa: F401 - pytest finds fixtures by name

PROJECTS = [f"CDC-{n}" for n in range(5)]


def test_600_invoices_and_500_payments_in_one_cdc_window_all_come_home(stack) -> None:  # noqa: F811 - the fixture
    connection, realm = stack.connect_quickbooks()
    for key in PROJECTS:
        stack.import_and_accept(key, connection)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    ours = [invoice.platform_id for invoice in stack.invoices()]
    run_sync(ctx, connection)  # the first sync reads everything and sets the cursor
    with stack.reading() as session:
        cursor_before = session.get(SyncStateRow, connection).cursor

    change_other_invoices(stack.sandbox.state, realm, 600)
    payments = set(pay_in_parts(stack.sandbox.state, realm, ours, 500, "1.00"))
    counts = run_sync(ctx, connection)

    outcome = quickbooks_outcome(stack, realm, payments)
    print(outcome.row("CDC window over the 1,000-object cap",
                      "600 invoices + 500 payments changed between two syncs"))
    assert counts["payments"] == 500
    assert (outcome.lost, outcome.duplicated) == (0, 0)
    assert outcome.intents == len(PROJECTS)
    with stack.reading() as session:
        cursor_after = session.get(SyncStateRow, connection).cursor
    assert cursor_before is not None
    assert cursor_after is not None
    assert cursor_after > cursor_before
    # 500 payments of 1.00 over five invoices in turn: each milestone counts its 100.
    assert [stack.first_milestone(key).paid for key in PROJECTS] == [Money(Decimal("100.00"), "USD")] * 5
    # One more payment after the sync comes home on the next one: the cursor did not overshoot
    # and did not stall.
    late = set(pay_in_parts(stack.sandbox.state, realm, ours[:1], 1, "2.00"))
    run_sync(ctx, connection)
    assert quickbooks_outcome(stack, realm, payments | late).lost == 0
