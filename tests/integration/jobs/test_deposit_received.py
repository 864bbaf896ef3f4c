"""A deposit is credited only as far as it was received (issue 8, deposit as a balance).

The deposit invoice is queued at signature and drafted in the books; what later invoices may
credit back is the cash the books hold against it, read from the payments the sync stores, never
what was merely invoiced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from connector.store import service
from connector.store.billing import biller
from connector.store.db import transaction
from connector.store.repository import BillingRepository
from jobs.runner import run_job, sync_all
from tests.jobs_harness import schedule_json

KEY = "DEP-RCVD"


def signed_with_a_pro_rata_deposit(stack, connection: int):
    """Five-phase schedule, a 10% deposit credited pro rata, signed and drafted in the books."""
    data = schedule_json(KEY, deposit=True)
    data["project"]["deposit"] = {"percent": "10", "credit": "pro_rata"}
    stack.api("POST", "/schedules", {**data, "connection": connection})
    ctx = stack.context()
    at = datetime.now(UTC)
    with transaction(ctx.sessions) as session:
        service.sign_project(session, KEY, at, "Dana Lee", biller(at))
    run_job(ctx, "drain_outbox")
    return ctx


def accept(stack, ctx, seq: int) -> None:
    stack.api("POST", f"/projects/{KEY}/milestones/{seq}/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", f"/projects/{KEY}/milestones/{seq}/accept", {"by": "Dana Lee"})
    run_job(ctx, "drain_outbox")


def deposit_lines(stack, seq: int) -> list[str]:
    with stack.reading() as session:
        intents = BillingRepository(session).queued_intents(KEY)
    return [str(line.amount) for i in intents if i.seq == seq for line in i.lines if line.kind == "deposit_credit"]


def test_an_unpaid_deposit_is_not_credited_and_is_credited_once_received(stack) -> None:
    """Deposit invoiced but nothing paid, milestone accepted: its invoice credits nothing.
    Once the deposit is paid in the books and synced, the next invoice credits the share of the
    deposit for everything billed so far."""
    connection, realm = stack.connect_quickbooks()
    ctx = signed_with_a_pro_rata_deposit(stack, connection)
    [deposit] = stack.invoices()

    accept(stack, ctx, 1)

    assert deposit_lines(stack, 1) == []
    report = stack.api("GET", f"/projects/{KEY}/report")
    assert report["deposit"] == {"invoiced": "5000.00", "received": "0.00", "credited": "0.00",
                                 "netted": "0.00", "remaining": "5000.00"}

    stack.sandbox.control.record_payment(realm, deposit.platform_id)
    sync_all(ctx)
    accept(stack, ctx, 2)

    # milestones 1 and 2 (20% each) billed: 40% of the 5,000.00 deposit
    assert deposit_lines(stack, 2) == ["-2000.00"]
    received = stack.api("GET", f"/projects/{KEY}/report")["deposit"]
    assert (received["received"], received["credited"]) == ("5000.00", "2000.00")
    assert Decimal(received["remaining"]) == Decimal("3000.00")
