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
from connector.billing.model import Approver, ChangeOrder, Milestone, Trigger
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


def test_report_at_an_instant_shows_each_milestone_in_the_state_it_was_in_then(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json(KEY), "connection": connection})
    stack.api("POST", f"/projects/{KEY}/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    closed = datetime.now(UTC)  # milestone 1 awaits approval, milestone 2 is still planned

    stack.api("POST", f"/projects/{KEY}/milestones/1/accept", {"by": "Dana Lee"})
    stack.api("POST", f"/projects/{KEY}/milestones/2/submit", {"by": "Sam", "evidence": ["design files"]})
    run_job(stack.context(), "drain_outbox")

    then = cli_report(stack, closed)

    assert [r["state"] for r in then["milestones"][:2]] == ["submitted", "planned"]
    assert then["accepted_unbilled"] == "0.00"
    assert then["milestones"][0]["approval_deadline"] is not None
    now = cli_report(stack)
    assert [r["state"] for r in now["milestones"][:2]] == ["invoiced", "submitted"]


def test_report_at_an_instant_shows_milestones_as_they_stood_before_a_later_change_order(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json(KEY), "connection": connection})
    closed = datetime.now(UTC)
    extra = Milestone(seq=6, name="Training", deliverable="Two training sessions", acceptance_criteria="Held",
                      approver=Approver("Dana Lee", "dana@acme.example", "Project lead"),
                      trigger=Trigger.ON_ACCEPTANCE, fixed_amount=Money(Decimal("6000.00"), "USD"))
    tomorrow = date.today() + timedelta(days=1)
    with transaction(stack.context().sessions) as session:
        service.apply_change_order(session, KEY, ChangeOrder(
            reference="CO-2", approver="Dana Lee", on=tomorrow, reason="rescoped QA, no launch support",
            change=((4, {"amount": "9000.00", "name": "QA and accessibility", "planned_date": "2027-03-01"}),),
            remove=(5,), add=(extra,)), change_orders.apply_change_order)

    then = cli_report(stack, closed)

    assert [(r["seq"], r["name"], r["amount"]) for r in then["milestones"][3:]] == [
        (4, "QA passed", "7500.00"), (5, "Launch", "7500.00")]
    assert (then["contract_total"], then["remaining"]) == ("50000.00", "50000.00")
    now = cli_report(stack)
    assert [(r["seq"], r["name"], r["amount"]) for r in now["milestones"][3:]] == [
        (4, "QA and accessibility", "9000.00"), (6, "Training", "6000.00")]
    recorded_by_then = cli_report(stack, datetime.combine(tomorrow, datetime.min.time(), UTC) + timedelta(hours=12))
    assert [r["seq"] for r in recorded_by_then["milestones"]] == [1, 2, 3, 4, 6]
