"""Late fees per project policy: its own draft (`as = "invoice"`, the default, see
test_collections) or a line on the project's next invoice (`as = "line"`), once per period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select, update

from connector.store.models import InvoiceRow, LateFeeChargeRow, OutboxRow
from jobs.runner import run_job
from tests.jobs_harness import schedule_json

KEY = "ACME-WEB"
MONTH_ONE = datetime(2027, 1, 20, 15, tzinfo=UTC)  # due 2027-01-01, grace 5 days
MONTH_TWO = datetime(2027, 2, 10, 15, tzinfo=UTC)


def overdue_first_invoice(stack, fee_as: str):
    """M1 invoiced in QuickBooks, approved and overdue since 2027-01-01; the context and realm."""
    connection, realm = stack.connect_quickbooks()
    body = schedule_json(KEY)
    body["project"]["late_fee"]["as"] = fee_as
    stack.api("POST", "/schedules", {**body, "connection": connection})
    accept(stack, 1)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    with ctx.sessions.begin() as session:
        session.execute(update(InvoiceRow).values(status="open", due_date=date(2027, 1, 1)))
    return ctx, realm


def accept(stack, seq: int) -> None:
    stack.api("POST", f"/projects/{KEY}/milestones/{seq}/submit", {"by": "Sam", "evidence": ["files"]})
    stack.api("POST", f"/projects/{KEY}/milestones/{seq}/accept", {"by": "Dana Lee"})


def charge(ctx, *moments: datetime) -> list[tuple[int, int]]:
    return [(c["queued"], c["waiting"]) for c in (run_job(ctx, "charge_late_fees", at) for at in moments)]


def test_a_line_policy_puts_each_periods_fee_on_the_next_invoice_once(stack) -> None:
    ctx, realm = overdue_first_invoice(stack, "line")

    counts = charge(ctx, MONTH_ONE, MONTH_ONE, MONTH_TWO)
    accept(stack, 2)
    run_job(ctx, "drain_outbox")
    after = charge(ctx, MONTH_TWO)

    assert counts == [(0, 1), (0, 0), (0, 1)]
    assert after == [(0, 0)]  # the period is on an invoice now: never charged again
    with ctx.sessions() as session:
        keys = list(session.scalars(select(OutboxRow.idempotency_key).order_by(OutboxRow.id)))
        fees = list(session.scalars(select(LateFeeChargeRow).order_by(LateFeeChargeRow.id)))
        second = session.scalars(select(InvoiceRow).order_by(InvoiceRow.id.desc())).first()
    assert not any(":late-fee:" in key for key in keys)  # no draft of its own
    assert [fee.intent_key for fee in fees] == [f"milepost:{KEY}:2:1", f"milepost:{KEY}:2:1"]
    assert second.total == Decimal("10300.00")  # 10,000.00 for M2 + 150.00 for each month
    books = stack.sandbox.control.quickbooks_invoice(realm, second.platform_id)
    late_lines = [line for line in books["Line"] if "Late fee on" in str(line.get("Description"))]
    assert [Decimal(str(line["Amount"])) for line in late_lines] == [Decimal("150.00"), Decimal("150.00")]


def test_an_invoice_policy_queues_a_draft_and_leaves_the_next_invoice_alone(stack) -> None:
    ctx, _ = overdue_first_invoice(stack, "invoice")

    counts = charge(ctx, MONTH_ONE, MONTH_ONE)
    accept(stack, 2)
    run_job(ctx, "drain_outbox")

    assert counts == [(1, 0), (0, 0)]
    with ctx.sessions() as session:
        totals = list(session.scalars(select(InvoiceRow.total).order_by(InvoiceRow.id)))
        waiting = list(session.scalars(select(LateFeeChargeRow.id)))
    assert totals == [Decimal("10000.00"), Decimal("150.00"), Decimal("10000.00")]
    assert waiting == []
