"""`milepost report --at` is a true as-of view (issue 8): nothing after that instant shows.

A bookkeeper closing October runs `report --at 2026-10-31T23:59` in November and must see the
contract as it stood then: no credit, payment, void or change order that came later.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from connector.billing import change_orders
from connector.billing.model import ChangeOrder
from connector.billing.money import Money
from connector.store import service
from connector.store.db import transaction
from jobs.runner import run_job, sync_all
from tests.jobs_harness import ROOT, schedule_json

KEY = "ASOF-1"


def cli_report(stack, at: datetime | None = None) -> dict:
    args = [sys.executable, "-m", "connector.cli", "report", KEY, "--format", "json"]
    done = subprocess.run([*args, *(["--at", at.isoformat()] if at else [])], cwd=ROOT, env=stack.env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_report_at_an_instant_leaves_out_later_credits_payments_voids_and_change_orders(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json(KEY), "connection": connection})
    for seq in (1, 2):
        stack.api("POST", f"/projects/{KEY}/milestones/{seq}/submit", {"by": "Sam", "evidence": ["requirements document"]})
        stack.api("POST", f"/projects/{KEY}/milestones/{seq}/accept", {"by": "Dana Lee"})
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    first, second = stack.invoices()
    closed = datetime.now(UTC)  # the instant the report is asked about

    stack.api("POST", f"/projects/{KEY}/milestones/1/credit", {"amount": "1000.00", "reason": "goodwill", "by": "Dana Lee"})
    run_job(ctx, "drain_outbox")
    tomorrow = date.today() + timedelta(days=1)
    stack.sandbox.control.record_payment(realm, first.platform_id, amount="500.00", date=tomorrow.isoformat())
    stack.sandbox.control.void_invoice(realm, second.platform_id)
    sync_all(ctx)
    with transaction(ctx.sessions) as session:
        service.apply_change_order(session, KEY, ChangeOrder(
            reference="CO-9", approver="Dana Lee", on=tomorrow, reason="more pages",
            contract_total=Money(Decimal("60000.00"), "USD")), change_orders.apply_change_order)

    then = cli_report(stack, closed)

    assert {k: then[k] for k in ("contract_total", "billed", "invoiced", "credited", "paid", "remaining")} == {
        "contract_total": "50000.00", "billed": "20000.00", "invoiced": "20000.00", "credited": "0.00",
        "paid": "0.00", "remaining": "30000.00"}
    assert [(r["billed"], r["credited"]) for r in then["milestones"][:2]] == [
        ("10000.00", "0.00"), ("10000.00", "0.00")]
    now = cli_report(stack)  # the credit, the void and the change order count now; the payment from tomorrow
    assert (now["billed"], now["credited"], now["paid"], now["contract_total"]) == (
        "9000.00", "1000.00", "0.00", "60000.00")
    later = cli_report(stack, closed + timedelta(days=2))
    assert (later["billed"], later["paid"], later["contract_total"]) == ("9000.00", "500.00", "60000.00")
