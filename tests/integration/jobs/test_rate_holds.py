"""When the rate gate holds calls back, work waits; it never fails for it.

Under steady load the proactive limiter keeps every connection inside the platform's limits by
holding calls back. A held intent goes back to the outbox without spending an attempt, however
often it is held, and becomes its invoice once the budget returns; a held sync is recorded as
skipped with the reason, not as an error, and runs again when it is next due.
"""

from __future__ import annotations

from sqlalchemy import select

from connector.platforms.limits import Budget, RateGate
from connector.store.db import make_engine, session_factory
from connector.store.models import JobRunRow, OutboxRow
from jobs.runner import run_job, run_sync

TINY = {"quickbooks": Budget(rates=("2/minute",), concurrency=1),
        "xero": Budget(rates=("2/minute",), concurrency=1)}


def tiny_gate() -> RateGate:
    """A gate whose budget is spent two calls into a minute and that never waits for more."""
    return RateGate(budgets=TINY, max_wait=0)


def read(stack, model):  # type: ignore[no-untyped-def]
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(model).order_by(model.id)))
    finally:
        engine.dispose()


def test_a_held_intent_waits_without_spending_attempts_and_is_invoiced_once_budget_returns(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()
    ctx.gate = tiny_gate()

    for _ in range(ctx.settings.worker.max_attempts + 2):  # more holds than attempts allowed
        run_job(ctx, "drain_outbox")

    [row] = read(stack, OutboxRow)
    assert (row.status, row.attempts) == ("pending", 0)
    assert "rate budget for connection" in row.last_error
    assert stack.invoices() == []
    drains = [r for r in read(stack, JobRunRow) if r.job == "drain_outbox"]
    assert {r.outcome for r in drains} == {"partial"}  # said, so `milepost jobs` shows why

    ctx.gate = RateGate()  # the minute has passed: the full budget is back
    run_job(ctx, "drain_outbox")

    [invoice] = stack.invoices()
    assert invoice.connection_id == connection
    assert [(r.status, r.attempts) for r in read(stack, OutboxRow)] == [("done", 1)]


def test_a_held_sync_is_skipped_with_the_reason_and_runs_when_next_due(stack) -> None:
    connection, _ = stack.connect_xero()[0]
    ctx = stack.context()
    ctx.gate = tiny_gate()
    for _ in range(2):
        with ctx.gate.slot("xero", str(connection)):
            pass  # someone else spent this minute's budget

    run_sync(ctx, connection)
    ctx.gate = RateGate()
    run_sync(ctx, connection)

    held, ran = [r for r in read(stack, JobRunRow) if r.job == "sync_connection"]
    assert (held.outcome, held.connection_id) == ("skipped", connection)
    assert f"rate budget for connection {connection} is spent" in held.error
    assert (ran.outcome, ran.error) == ("ok", None)
