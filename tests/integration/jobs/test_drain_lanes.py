"""The drain carries each company's drafts in a lane of its own (`jobs.drains`).

A company that answers slowly (or whose rate budget is spent) must not hold up the drafts of
every other company in the same drain; and however the lanes and the workers race, an intent
becomes one invoice, never two.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from connector.platforms.endpoints import endpoints_from_sandbox
from connector.store.models import InvoiceRow, OutboxRow
from jobs.context import build_context
from jobs.runner import run_job
from tests.jobs_harness import Stack, wait_for
from tests.sandbox_books import invoice_keys


def _drafts_of(stack: Stack, connection: int) -> int:
    with stack.reading() as session:
        return len(session.scalars(select(InvoiceRow.id).where(InvoiceRow.connection_id == connection)).all())


def _in_background(work: Any) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_a_company_that_answers_slowly_does_not_hold_up_another_companys_drafts(stack) -> None:
    control = stack.sandbox.control
    slow, slow_realm = stack.connect_quickbooks(control.add_quickbooks_company("Slow Builders"))
    quick, _ = stack.connect_quickbooks(control.add_quickbooks_company("Quick Builders"))
    stack.import_and_accept("SLOW-1", slow)  # the oldest intents: the old drain took them first
    stack.import_and_accept("SLOW-2", slow)
    stack.import_and_accept("QUICK-1", quick)
    stack.import_and_accept("QUICK-2", quick)
    # the slow company's first answer takes 10 s (well inside the client's 30 s timeout)
    control.set_fault("quickbooks", "slow", company=slow_realm, count=1, delay_seconds=10)
    try:
        drain = _in_background(lambda: run_job(stack.context(), "drain_outbox"))
        wait_for(lambda: _drafts_of(stack, quick) == 2, timeout=60)
        slow_drafts_meanwhile = _drafts_of(stack, slow)
        drain.join(60)
    finally:
        control.clear_faults()

    assert slow_drafts_meanwhile == 0  # the quick company's drafts did not wait for its answer
    assert (_drafts_of(stack, slow), _drafts_of(stack, quick)) == (2, 2)
    assert stack.outbox_statuses() == ["done"] * 4


def test_racing_drains_make_one_invoice_per_intent(stack) -> None:
    control = stack.sandbox.control
    realms = [control.add_quickbooks_company(f"Racing Builders {n}") for n in range(3)]
    connections = [stack.connect_quickbooks(realm)[0] for realm in realms]
    for n in range(9):
        stack.import_and_accept(f"RACE-{n}", connections[n % 3])
    # a few answers lost after the books committed them: each retry must look before creating
    control.set_fault("quickbooks", "timeout_after_commit", endpoint="POST invoice", count=3)
    try:
        # two workers, each with its own context and its lanes
        contexts = [stack.context(), build_context(stack.settings, environ={},
                                                   endpoints=endpoints_from_sandbox(stack.sandbox.url))]
        for _ in range(3):  # a drain's rows put back for a retry wait for the next one
            drains = [_in_background(lambda ctx=ctx: run_job(ctx, "drain_outbox")) for ctx in contexts]
            for drain in drains:
                drain.join(120)
    finally:
        control.clear_faults()
        contexts[-1].close()

    with stack.reading() as session:
        done = session.scalars(select(OutboxRow.status)).all()
        stored = session.scalars(select(InvoiceRow.outbox_id)).all()
    assert done == ["done"] * 9
    assert sorted(set(stored)) == sorted(stored)
    assert len(stored) == 9
    books = invoice_keys(stack.sandbox.state, [("quickbooks", realm) for realm in realms])
    assert sorted(books.values()) == [1] * 9  # one invoice in the books per intent, no duplicate


class _Outage:
    """A gateway that meets the database going away when it creates the invoice."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def create_draft_invoice(self, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT INTO invoices", {}, Exception("server closed the connection"))


def test_an_outage_in_one_lane_ends_the_run_and_every_lane_puts_its_rows_back(stack) -> None:
    control = stack.sandbox.control
    down, _ = stack.connect_quickbooks(control.add_quickbooks_company("Outage Builders"))
    up, _ = stack.connect_quickbooks(control.add_quickbooks_company("Steady Builders"))
    for n in range(3):
        stack.import_and_accept(f"DOWN-{n}", down)
        stack.import_and_accept(f"UP-{n}", up)
    ctx = stack.context()
    gateways = {down: _Outage(ctx.gateway_for(down)), up: ctx.gateway_for(up)}
    ctx.gateway_factory = gateways.__getitem__

    run = run_job(ctx, "drain_outbox")

    assert run.outcome == "error"
    with stack.reading() as session:
        rows = session.scalars(select(OutboxRow)).all()
    assert {r.status for r in rows} <= {"pending", "done"}  # none left processing, none failed
    assert all(r.attempts == 0 for r in rows if r.status == "pending")  # no attempt spent
    assert _drafts_of(stack, down) == 0

    ctx.gateway_factory = None  # the database is back
    run_job(ctx, "drain_outbox")
    assert (_drafts_of(stack, down), _drafts_of(stack, up)) == (3, 3)
    assert stack.outbox_statuses() == ["done"] * 6
